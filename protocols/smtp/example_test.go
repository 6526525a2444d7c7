package smtp_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"github.com/braidkit/braid/protocols/smtp"
)

// A server delivering into an in-memory store, and the client sending to it.
func Example() {
	store := smtp.NewMemoryStore()
	srv := &smtp.Server{
		Hostname: "mx.example.org",
		Store:    store,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go srv.Serve(l)
	defer srv.Close()

	ctx := context.Background()
	msg := "From: carol@example.org\r\nSubject: hello\r\n\r\nHi Alice!\r\n"
	err = smtp.SendMail(ctx, "tcp:"+l.Addr().String(), smtp.SendOptions{},
		"carol@example.org", []string{"alice@localhost"}, strings.NewReader(msg))
	if err != nil {
		panic(err)
	}

	infos, _ := store.List(ctx, "alice")
	rc, _ := store.Open(ctx, "alice", infos[0].ID)
	defer rc.Close()
	stored, _ := io.ReadAll(rc)
	fmt.Println(len(infos), "message for alice; stored with a trace header:", strings.HasPrefix(string(stored), "Received: from localhost"))
	fmt.Println(strings.HasSuffix(string(stored), msg))
	// Output:
	// 1 message for alice; stored with a trace header: true
	// true
}
