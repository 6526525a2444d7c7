// Command conformance serves, or checks, the PB conformance root that
// Braid's interoperability tests run against Twisted in both directions.
//
//	conformance -listen tcp:127.0.0.1:8787    serve the root
//	conformance -connect tcp:127.0.0.1:8787   run every check against a server
//
// See README.md for the methods of the root.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/pb"
	"github.com/braidkit/braid/transport"
)

func main() {
	listen := flag.String("listen", "", "serve the conformance root on this endpoint (tcp:HOST:PORT)")
	connect := flag.String("connect", "", "run the conformance checks against the server at this endpoint")
	users := flag.String("users", "", "serve a login portal instead, with users from FILE (user:password lines)")
	anonymous := flag.Bool("anonymous", false, "with -users: allow anonymous login")
	dsn := flag.String("db", "", "publish a database facade as db() on the root (and on avatars): postgres://..., sqlite:PATH, ...")
	user := flag.String("user", "", "with -connect: log in as this user and check the avatar instead")
	password := flag.String("password", "", "with -user: the password")
	verbose := flag.Bool("v", false, "log connection events")
	flag.Parse()

	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	switch {
	case *listen != "" && *connect == "":
		if err := serve(ctx, *listen, *users, *anonymous, *dsn, logger); err != nil {
			fmt.Fprintln(os.Stderr, "conformance:", err)
			os.Exit(1)
		}
	case *connect != "" && *listen == "":
		if err := check(ctx, *connect, *user, *password, logger); err != nil {
			fmt.Fprintln(os.Stderr, "FAIL", err)
			os.Exit(1)
		}
	default:
		fmt.Fprintln(os.Stderr, "usage: conformance -listen ENDPOINT | -connect ENDPOINT")
		os.Exit(2)
	}
}

func serve(ctx context.Context, endpoint, users string, anonymous bool, dsn string, logger *slog.Logger) error {
	var facade *db.Facade
	if dsn != "" {
		pool, err := db.Open(ctx, dsn, db.WithLogger(logger))
		if err != nil {
			return err
		}
		defer pool.Close()
		// Read-only: conformance clients may query, not change, the database.
		facade = db.NewFacade(pool, db.ReadOnly)
	}
	counter := pb.NewLive[int64]("conformance.Counter", 0)
	srv := &pb.Server{
		NewRoot: func(*pb.Broker) any { return &Root{counter: counter, db: facade} },
		Config:  pb.Config{Logger: logger, Registry: registry()},
	}
	if users != "" || anonymous {
		portal, err := portalFor(users, anonymous, facade, logger)
		if err != nil {
			return err
		}
		srv.NewRoot = pb.LoginRoot(portal)
	}
	l, err := transport.Listen(ctx, endpoint)
	if err != nil {
		return err
	}
	// Tell the harness where we listen (useful with port 0).
	fmt.Printf("LISTENING %s\n", transport.EndpointOf(l.Addr()))
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	err = srv.Serve(l)
	if err == pb.ErrServerClosed || ctx.Err() != nil {
		return nil
	}
	if _, ok := err.(*net.OpError); ok && ctx.Err() != nil {
		return nil
	}
	return err
}

func check(ctx context.Context, endpoint, user, password string, logger *slog.Logger) error {
	b, err := pb.Dial(ctx, endpoint, clientConfig(logger))
	if err != nil {
		return err
	}
	defer b.Close()
	if user != "" {
		lc := &loginChecker{ctx: ctx, b: b, user: user, password: password, out: os.Stdout}
		if err := lc.run(); err != nil {
			return err
		}
		fmt.Printf("PASS %d checks\n", lc.n)
		return nil
	}
	c := &checker{ctx: ctx, endpoint: endpoint, logger: logger, root: b.Root(), out: os.Stdout}
	if err := c.run(); err != nil {
		return err
	}
	fmt.Printf("PASS %d checks\n", c.n)
	return nil
}
