package db_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/pb"
)

func Example() {
	ctx := context.Background()
	pool, err := db.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	if _, err := pool.RunOperation(ctx, "create table users (id integer primary key, name text)"); err != nil {
		log.Fatal(err)
	}
	err = pool.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
		for _, name := range []string{"ada", "grace"} {
			if _, err := tx.RunOperation(ctx, "insert into users (name) values ($1)", name); err != nil {
				return err // rolls back
			}
		}
		return nil // commits
	})
	if err != nil {
		log.Fatal(err)
	}

	type User struct {
		ID   int64
		Name string
	}
	users, err := db.Query[User](ctx, pool, "select id, name from users order by id")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(users)
	// Output: [{1 ada} {2 grace}]
}

func ExamplePool_RunInteraction() {
	ctx := context.Background()
	pool, err := db.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.RunOperation(ctx, "create table accounts (name text, balance integer)"); err != nil {
		log.Fatal(err)
	}

	err = pool.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
		if _, err := tx.RunOperation(ctx, "insert into accounts values ($1, $2)", "ada", 100); err != nil {
			return err
		}
		return errors.New("changed my mind")
	}, db.WithRetry(3)) // retries only transient conflicts, not this error
	fmt.Println(err)

	rows, err := pool.RunQuery(ctx, "select count(*) as n from accounts")
	if err != nil {
		log.Fatal(err)
	}
	n, _ := rows[0].Get("n")
	fmt.Println("rows:", n)
	// Output:
	// changed my mind
	// rows: 0
}

func ExamplePool_RunQueryAsync() {
	ctx := context.Background()
	pool, err := db.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Start several, collect later.
	futures := []*db.Future[[]db.Row]{
		pool.RunQueryAsync(ctx, "select 1 + 1 as n"),
		pool.RunQueryAsync(ctx, "select $1 * 3 as n", 7),
	}
	results, err := db.WaitAll(ctx, futures...)
	if err != nil {
		log.Fatal(err)
	}
	for _, rows := range results {
		fmt.Println(rows[0].Map())
	}
	// Output:
	// map[n:2]
	// map[n:21]
}

func ExampleNewFacade() {
	ctx := context.Background()
	pool, err := db.Open(ctx, "sqlite::memory:")
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()

	// Publish it on a PB server with, e.g., &pb.Server{Root: facade}; here
	// we call it directly, as PB would.
	facade := db.NewFacade(pool, db.ReadOnly)
	res, err := facade.HandleCall(ctx, &pb.Request{Method: "runQuery", Args: []any{"select 1 as one"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%#v\n", res)

	_, err = facade.HandleCall(ctx, &pb.Request{Method: "runOperation", Args: []any{"create table t (x integer)"}})
	var re *pb.RemoteError
	fmt.Println(errors.Is(err, db.ErrPermissionDenied), errors.As(err, &re) && re.Type == db.TypePermissionDenied)
	// Output:
	// jelly.List{jelly.Dict{jelly.Pair{Key:"one", Value:1}}}
	// true true
}

func ExampleScan() {
	type Point struct {
		X, Y int
	}
	rows := []db.Row{{Columns: []string{"x", "y"}, Values: []any{int64(1), int64(2)}}}
	points, err := db.Scan[Point](rows)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(points)
	// Output: [{1 2}]
}
