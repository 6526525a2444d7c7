package pop3_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/pop3"
)

// A server offering APOP over an in-memory store, and the client reading it.
func Example() {
	ctx := context.Background()
	store := pop3.NewMemoryStore()
	store.Deliver(ctx, "alice", strings.NewReader("Subject: hello\r\n\r\nHi Alice!\r\n"))

	users := map[string]string{"alice": "secret"}
	realm := cred.RealmFunc(func(_ context.Context, id string, _ any) (any, func(), error) { return id, nil, nil })
	portal := cred.NewPortal(realm, []cred.Checker{
		cred.NewInMemory(users),                        // USER/PASS
		pop3.APOPChecker{Secrets: pop3.Secrets(users)}, // APOP
	})
	srv := &pop3.Server{Store: store, Portal: portal, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	c, err := pop3.Dial(ctx, "tcp:"+l.Addr().String())
	if err != nil {
		panic(err)
	}
	if err := c.APOP(ctx, "alice", "secret"); err != nil {
		panic(err)
	}
	n, size, _ := c.Stat(ctx)
	msg, _ := c.Retr(ctx, 1)
	c.Quit(ctx)
	fmt.Println(n, size)
	fmt.Printf("%q\n", msg)
	// Output:
	// 1 29
	// "Subject: hello\r\n\r\nHi Alice!\r\n"
}
