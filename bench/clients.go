package main

import (
	"context"
	"fmt"
	"net/rpc"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/braidkit/braid/bench/echopb"
	"github.com/braidkit/braid/pb"
)

// Implementation names, in table order.
const (
	implNative = "braid-native"
	implBanana = "braid-banana"
	implNetRPC = "net-rpc"
	implGRPC   = "grpc-go"
	implRaw    = "raw-tcp"
)

var implNames = []string{implNative, implBanana, implNetRPC, implGRPC, implRaw}

// serverKind is the server process each implementation calls. Braid's two
// dialects get a server process each (the same program), so that neither
// measures the other's garbage.
var serverKind = map[string]string{
	implNative: kindBraid,
	implBanana: kindBraid,
	implNetRPC: kindNetRPC,
	implGRPC:   kindGRPC,
	implRaw:    kindRaw,
}

// client is one connection to one implementation's server. Its methods are
// safe for concurrent use and return the echoed value decoded into the
// same Go type as sent.
type client interface {
	Int64(ctx context.Context, v int64) (int64, error)
	Bytes(ctx context.Context, p []byte) ([]byte, error)
	Records(ctx context.Context, rs []Record) (int, error) // returns how many records came back
	Close() error
}

// dial opens the one client connection of an implementation.
func dial(ctx context.Context, impl, addr string, recs []Record) (client, error) {
	switch impl {
	case implNative:
		return dialBraid(ctx, addr, nil)
	case implBanana:
		return dialBraid(ctx, addr, []string{"pb"})
	case implNetRPC:
		c, err := rpc.Dial("tcp", addr)
		if err != nil {
			return nil, err
		}
		return netRPCClient{c}, nil
	case implGRPC:
		return dialGRPC(addr, recs)
	case implRaw:
		return dialRaw(addr)
	}
	return nil, fmt.Errorf("unknown implementation %q", impl)
}

// braidClient calls the Braid server through pb's public API.
type braidClient struct {
	b    *pb.Broker
	root *pb.RemoteReference
}

// dialBraid connects speaking the given dialects (nil: pb's default, which
// is the native msgpack dialect between two Braid peers; {"pb"}: Banana,
// Twisted's dialect).
func dialBraid(ctx context.Context, addr string, dialects []string) (*braidClient, error) {
	b, err := pb.Dial(ctx, "tcp:"+addr, &pb.Config{Limits: braidLimits, Dialects: dialects})
	if err != nil {
		return nil, err
	}
	if b.NativeDialect() != (dialects == nil) {
		b.Close()
		return nil, fmt.Errorf("braid: dialects %q negotiated native=%v", dialects, b.NativeDialect())
	}
	return &braidClient{b: b, root: b.Root()}, nil
}

func (c *braidClient) Int64(ctx context.Context, v int64) (int64, error) {
	return pb.Call[int64](ctx, c.root, "echo", v)
}

func (c *braidClient) Bytes(ctx context.Context, p []byte) ([]byte, error) {
	return pb.Call[[]byte](ctx, c.root, "echoBytes", p)
}

func (c *braidClient) Records(ctx context.Context, rs []Record) (int, error) {
	v, err := pb.Call[[]Record](ctx, c.root, "echoRecords", rs)
	if err != nil {
		return 0, err
	}
	return len(v), verifyRecords(len(v), func(i int) Record { return v[i] }, rs)
}

func (c *braidClient) Close() error { return c.b.Close() }

// netRPCClient calls the net/rpc server (gob) over one rpc.Client, which
// multiplexes concurrent calls on its connection.
type netRPCClient struct{ c *rpc.Client }

func (c netRPCClient) Int64(ctx context.Context, v int64) (int64, error) {
	var r int64
	err := c.c.Call("EchoRPC.Int64", v, &r)
	return r, err
}

func (c netRPCClient) Bytes(ctx context.Context, p []byte) ([]byte, error) {
	var r []byte
	err := c.c.Call("EchoRPC.Bytes", p, &r)
	return r, err
}

func (c netRPCClient) Records(ctx context.Context, rs []Record) (int, error) {
	var v []Record
	if err := c.c.Call("EchoRPC.Records", rs, &v); err != nil {
		return 0, err
	}
	return len(v), verifyRecords(len(v), func(i int) Record { return v[i] }, rs)
}

func (c netRPCClient) Close() error { return c.c.Close() }

// grpcClient makes unary calls over one grpc.ClientConn (one HTTP/2
// connection) with the generated protobuf stubs and gRPC's defaults.
type grpcClient struct {
	cc   *grpc.ClientConn
	echo echopb.EchoClient
	recs *echopb.Records // the 1,000 records as a protobuf message, built once
}

func dialGRPC(addr string, recs []Record) (*grpcClient, error) {
	cc, err := grpc.NewClient("passthrough:///"+addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	c := &grpcClient{cc: cc, echo: echopb.NewEchoClient(cc), recs: &echopb.Records{}}
	for _, r := range recs {
		c.recs.Records = append(c.recs.Records, &echopb.Record{I: int64(r.I), S: r.S, F: r.F})
	}
	return c, nil
}

func (c *grpcClient) Int64(ctx context.Context, v int64) (int64, error) {
	r, err := c.echo.EchoInt64(ctx, &echopb.Int64{V: v})
	return r.GetV(), err
}

func (c *grpcClient) Bytes(ctx context.Context, p []byte) ([]byte, error) {
	r, err := c.echo.EchoBytes(ctx, &echopb.Bytes{V: p})
	return r.GetV(), err
}

// Records sends the prebuilt message (a gRPC program holds its data as
// protobuf messages) when rs is the benchmark's slice, and converts rs
// otherwise.
func (c *grpcClient) Records(ctx context.Context, rs []Record) (int, error) {
	req := c.recs
	if len(rs) != len(req.Records) {
		req = &echopb.Records{}
		for _, r := range rs {
			req.Records = append(req.Records, &echopb.Record{I: int64(r.I), S: r.S, F: r.F})
		}
	}
	v, err := c.echo.EchoRecords(ctx, req)
	if err != nil {
		return 0, err
	}
	got := v.GetRecords()
	return len(got), verifyRecords(len(got), func(i int) Record {
		return Record{I: int(got[i].GetI()), S: got[i].GetS(), F: got[i].GetF()}
	}, rs)
}

func (c *grpcClient) Close() error { return c.cc.Close() }

// deepCheck makes every call verify its whole answer (the tests set it);
// otherwise the benchmark checks the answer's size and last element.
var deepCheck bool

// verifyRecords checks that n records, read with at, echo want.
func verifyRecords(n int, at func(int) Record, want []Record) error {
	if n != len(want) {
		return fmt.Errorf("sent %d records, %d came back", len(want), n)
	}
	from := n - 1
	if deepCheck {
		from = 0
	}
	for i := max(from, 0); i < n; i++ {
		if got := at(i); got != want[i] {
			return fmt.Errorf("record %d came back as %+v, sent %+v", i, got, want[i])
		}
	}
	return nil
}
