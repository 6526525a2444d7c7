//go:build race

package main

// The binaries the tests run are built with the race detector when the
// tests are, which also reuses the packages the test build compiled.
func init() { buildFlags = append(buildFlags, "-race") }
