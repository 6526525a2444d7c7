// Package echopb holds the gRPC service of Braid's cross-implementation
// benchmark, generated from echo.proto and committed so that building the
// benchmark needs no protoc. To regenerate (Debian: apt-get install
// protobuf-compiler), with the plugins on PATH:
//
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.11
//	go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.1
//	go generate ./echopb
package echopb

//go:generate protoc -I.. --go_out=.. --go_opt=paths=source_relative --go-grpc_out=.. --go-grpc_opt=paths=source_relative ../echopb/echo.proto
