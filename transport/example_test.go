package transport_test

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/braidkit/braid/transport"
)

// A TLS echo server on a free port with a development certificate, and a
// client that trusts that certificate.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "braid-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	cert, key, err := transport.WriteSelfSigned(dir, "localhost", "127.0.0.1")
	if err != nil {
		panic(err)
	}

	l, err := transport.Listen(ctx, "tls:127.0.0.1:0:cert="+cert+":key="+key)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(c, c)
	}()

	// EndpointOf gives "tls:127.0.0.1:PORT"; the client adds its CA.
	c, err := transport.Dial(ctx, transport.EndpointOf(l.Addr())+":ca="+cert)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	fmt.Fprint(c, "hello")
	buf := make([]byte, 5)
	if _, err := io.ReadFull(c, buf); err != nil {
		panic(err)
	}
	fmt.Println(string(buf))
	// Output: hello
}

func ExampleParse() {
	for _, s := range []string{
		"tcp:[::1]:8787",
		"tls:example.com:443:ca=ca.pem:servername=example.com",
		"wss://127.0.0.1:8443/pb?cert=server.pem&key=server.key",
		"tls:127.0.0.1:8443:clientauth=sometimes",
	} {
		ep, err := transport.Parse(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s %s %q %v\n", ep.Scheme, ep.Address, ep.Path, ep.Options)
	}
	// Output:
	// tcp [::1]:8787 "" map[]
	// tls example.com:443 "" map[ca:ca.pem servername:example.com]
	// wss 127.0.0.1:8443 "/pb" map[cert:server.pem key:server.key]
	// transport: bad endpoint "tls:127.0.0.1:8443:clientauth=sometimes": clientauth=sometimes: want none, request or require
}
