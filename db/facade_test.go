package db_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// dbRoot publishes a facade as db(), as the conformance server does.
type dbRoot struct {
	pb.Referenceable
	f *db.Facade
}

func (r *dbRoot) RemoteDb(ctx context.Context) (*db.Facade, error) { return r.f, nil }

// serve runs a PB server on a loopback port for the test's duration.
func serve(t *testing.T, srv *pb.Server) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv.Config.Logger = quiet
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-done, pb.ErrServerClosed)
	})
	return "tcp:" + l.Addr().String()
}

func dial(t *testing.T, endpoint string) *pb.Broker {
	t.Helper()
	b, err := pb.Dial(ctxT(t, 5*time.Second), endpoint, &pb.Config{Logger: quiet})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	return b
}

// remoteDB serves f and returns a client's reference to it.
func remoteDB(t *testing.T, f *db.Facade) *pb.RemoteReference {
	t.Helper()
	b := dial(t, serve(t, &pb.Server{Root: &dbRoot{f: f}}))
	v, err := b.Root().CallRemote(ctxT(t, 5*time.Second), "db")
	require.NoError(t, err)
	ref, ok := v.(*pb.RemoteReference)
	require.True(t, ok, "db() returned %T", v)
	return ref
}

// requireRemote asserts err is a PB failure of type typ (and of the
// braid.db.Error family).
func requireRemote(t *testing.T, err error, typ string) {
	t.Helper()
	var re *pb.RemoteError
	require.True(t, errors.As(err, &re), "want a remote %s, got %v", typ, err)
	assert.True(t, re.Check(typ), "want %s, got %s: %s", typ, re.Type, re.Value)
	if typ != pb.TypeNoSuchMethod {
		assert.True(t, re.Check(db.TypeError), "%s is a %s", re.Type, db.TypeError)
	}
}

func dict(kv ...any) jelly.Dict {
	d := jelly.Dict{}
	for i := 0; i < len(kv); i += 2 {
		d = append(d, jelly.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return d
}

func TestFacadeOverPB(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 20*time.Second)
		tbl := createTable(t, p, "id bigint primary key, name text")
		ref := remoteDB(t, db.NewFacade(p, db.ReadWrite))

		v, err := ref.CallRemote(ctx, "runQuery", "select 1 as one")
		require.NoError(t, err)
		assert.Equal(t, jelly.List{jelly.Dict{{Key: "one", Value: int64(1)}}}, v)

		v, err = ref.CallRemote(ctx, "runOperation", "insert into "+tbl+" (id, name) values ($1, $2)", 1, "ada")
		require.NoError(t, err)
		assert.Equal(t, int64(1), v)

		v, err = ref.CallRemote(ctx, "run_query", "select id, name from "+tbl+" where id = $1", 1)
		require.NoError(t, err)
		assert.Equal(t, jelly.List{dict("id", int64(1), "name", "ada")}, v)

		// Every statement shape, in one transaction.
		v, err = ref.CallRemote(ctx, "runInteraction", jelly.List{
			"insert into " + tbl + " (id, name) values (2, 'bob')",
			jelly.List{"insert into " + tbl + " (id, name) values ($1, $2)", 3, "cy"},
			jelly.Tuple{"select name from " + tbl + " where id >= $1 order by id", jelly.List{2}},
			jelly.Tuple{"update " + tbl + " set name = 'cyd' where id = 3"},
			jelly.Tuple{"select count(*) as n from " + tbl, nil},
		})
		require.NoError(t, err)
		assert.Equal(t, jelly.List{
			int64(1), int64(1),
			jelly.List{dict("name", "bob"), dict("name", "cy")},
			int64(1),
			jelly.List{dict("n", int64(3))},
		}, v)

		// A failing statement rolls the whole interaction back.
		_, err = ref.CallRemote(ctx, "runInteraction", jelly.List{
			"insert into " + tbl + " (id, name) values (4, 'dee')",
			"insert into no_such_table_anywhere values (1)",
		})
		requireRemote(t, err, db.TypeDatabaseError)
		assert.Contains(t, err.Error(), "statement 1")
		assert.EqualValues(t, 3, count(t, p, tbl))

		// Requests the facade refuses whatever the policy.
		for _, bad := range []struct {
			method string
			args   []any
		}{
			{"runQuery", nil},
			{"runQuery", []any{42}},
			{"runQuery", []any{"select 1; select 2"}},
			{"runQuery", []any{"commit"}},
			{"runOperation", []any{"begin"}},
			{"runInteraction", []any{"select 1"}},
			{"runInteraction", []any{jelly.List{jelly.Tuple{"select $1", 1}}}},
			{"runInteraction", []any{jelly.List{jelly.List{}}}},
			{"runInteraction", []any{jelly.List{"insert into " + tbl + " (id) values (5)", "rollback"}}},
			{"runNamed", []any{"anything"}},
		} {
			_, err := ref.CallRemote(ctx, bad.method, bad.args...)
			if bad.method == "runNamed" {
				requireRemote(t, err, db.TypePermissionDenied)
				continue
			}
			requireRemote(t, err, db.TypeBadRequest)
		}
		assert.EqualValues(t, 3, count(t, p, tbl))
		_, err = ref.CallRemoteKw(ctx, "runQuery", []any{"select 1"}, pb.Kwargs{"x": 1})
		requireRemote(t, err, db.TypeBadRequest)
		_, err = ref.CallRemote(ctx, "dropEverything")
		requireRemote(t, err, pb.TypeNoSuchMethod)
		_, err = ref.CallRemote(ctx, "runQuery", "select * from no_such_table_anywhere")
		requireRemote(t, err, db.TypeDatabaseError)

		// Results have a size limit.
		small := remoteDB(t, db.NewFacade(p, db.ReadOnly, db.WithMaxRows(2)))
		_, err = small.CallRemote(ctx, "runQuery", "select id from "+tbl)
		requireRemote(t, err, db.TypeTooManyRows)
		v, err = small.CallRemote(ctx, "runQuery", "select id from "+tbl+" where id < 3 order by id")
		require.NoError(t, err)
		assert.Len(t, v, 2)
	})
}

// permissiveReadOnly allows anything but asks for a read-only transaction,
// to show that the database itself refuses what a lexical check misses.
type permissiveReadOnly struct{}

func (permissiveReadOnly) Allow(context.Context, any, db.Statement) error { return nil }
func (permissiveReadOnly) ReadOnlyTx() bool                               { return true }

func TestFacadeReadOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 20*time.Second)
		tbl := createTable(t, p, "id bigint, name text")
		_, err := p.RunOperation(ctx, "insert into "+tbl+" (id, name) values (1, 'ada')")
		require.NoError(t, err)
		ref := remoteDB(t, db.NewFacade(p, nil)) // nil policy: ReadOnly

		v, err := ref.CallRemote(ctx, "runQuery", "select name from "+tbl+" where id = $1", 1)
		require.NoError(t, err)
		assert.Equal(t, jelly.List{dict("name", "ada")}, v)
		v, err = ref.CallRemote(ctx, "runQuery", "with x as (select id from "+tbl+") select count(*) as n from x")
		require.NoError(t, err)
		assert.Equal(t, jelly.List{dict("n", int64(1))}, v)
		v, err = ref.CallRemote(ctx, "runInteraction", jelly.List{"select 1 as a", jelly.List{"select $1 + 1 as b", 1}})
		require.NoError(t, err)
		assert.Equal(t, jelly.List{jelly.List{dict("a", int64(1))}, jelly.List{dict("b", int64(2))}}, v)

		writes := []string{
			"insert into " + tbl + " (id, name) values (2, 'eve')",
			"update " + tbl + " set name = 'eve'",
			"delete from " + tbl,
			"drop table " + tbl,
			"with x as (insert into " + tbl + " (id) values (3) returning id) select * from x",
			"with x as (delete from " + tbl + " returning id) select * from x",
			"select 1; delete from " + tbl,
			"select 1 as one; commit; delete from " + tbl,
			"select * into braid_stolen from " + tbl,
			"select * from " + tbl + " for update",
			"/* select */ delete from " + tbl,
			"explain analyze delete from " + tbl,
		}
		if p.Dialect().Name == "postgres" {
			writes = append(writes,
				"select E'\\'' ; delete from "+tbl+"; --'",
				"select $$ $$; delete from "+tbl+"; select $$ $$",
				"set transaction read write",
				"copy "+tbl+" from program 'true'",
			)
		} else {
			writes = append(writes, "pragma query_only = 0", "replace into "+tbl+" values (9, 'x')",
				"attach database ':memory:' as other")
		}
		for _, w := range writes {
			_, err := ref.CallRemote(ctx, "runQuery", w)
			requireRemote(t, err, db.TypePermissionDenied)
			_, err = ref.CallRemote(ctx, "runOperation", w)
			requireRemote(t, err, db.TypePermissionDenied)
			_, err = ref.CallRemote(ctx, "runInteraction", jelly.List{"select 1", w})
			requireRemote(t, err, db.TypePermissionDenied)
		}
		rows, err := p.RunQuery(ctx, "select id, name from "+tbl)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, []any{int64(1), "ada"}, rows[0].Values)

		// Defense in depth: the transaction itself is read-only, so even a
		// policy that lets a write through cannot change data.
		loose := remoteDB(t, db.NewFacade(p, permissiveReadOnly{}))
		_, err = loose.CallRemote(ctx, "runOperation", "insert into "+tbl+" (id, name) values (2, 'eve')")
		requireRemote(t, err, db.TypeDatabaseError)
		assert.EqualValues(t, 1, count(t, p, tbl))
		if p.Dialect().Name == "postgres" {
			// A read-only transaction cannot be turned read-write from inside.
			_, err = loose.CallRemote(ctx, "runInteraction", jelly.List{
				"select set_config('transaction_read_only', 'off', true)",
				"insert into " + tbl + " (id, name) values (2, 'eve')",
			})
			requireRemote(t, err, db.TypeDatabaseError)
			// Several statements in one text never reach the server as such.
			_, err = loose.CallRemote(ctx, "runQuery", "select 1; commit; delete from "+tbl)
			requireRemote(t, err, db.TypeBadRequest)
			assert.EqualValues(t, 1, count(t, p, tbl))
		}

		// Direct callers get the Go error.
		_, err = db.NewFacade(p, db.ReadOnly).HandleCall(ctx, &pb.Request{Method: "runOperation", Args: []any{"delete from " + tbl}})
		require.ErrorIs(t, err, db.ErrPermissionDenied)
	})
}

func TestFacadeNamedOnly(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 20*time.Second)
		tbl := createTable(t, p, "id bigint, name text")
		ref := remoteDB(t, db.NewFacade(p, db.NamedOnly(map[string]string{
			"add":   "insert into " + tbl + " (id, name) values ($1, $2)",
			"get":   "select name from " + tbl + " where id = $1",
			"count": "select count(*) as n from " + tbl,
		})))
		v, err := ref.CallRemote(ctx, "namedStatements")
		require.NoError(t, err)
		assert.Equal(t, jelly.List{"add", "count", "get"}, v)

		v, err = ref.CallRemote(ctx, "runNamed", "add", 1, "ada")
		require.NoError(t, err)
		assert.Equal(t, int64(1), v)
		v, err = ref.CallRemote(ctx, "runNamed", "get", 1)
		require.NoError(t, err)
		assert.Equal(t, jelly.List{dict("name", "ada")}, v)
		v, err = ref.CallRemote(ctx, "runNamedInteraction", jelly.List{
			jelly.List{"add", 2, "bob"},
			jelly.Tuple{"add", jelly.List{3, "cy"}},
			"count",
		})
		require.NoError(t, err)
		assert.Equal(t, jelly.List{int64(1), int64(1), jelly.List{dict("n", int64(3))}}, v)

		for _, call := range [][]any{
			{"runQuery", "select 1"},
			{"runOperation", "delete from " + tbl},
			{"runInteraction", jelly.List{"select 1"}},
			{"runNamed", "drop"},
			{"runNamedInteraction", jelly.List{"count", "nope"}},
		} {
			_, err := ref.CallRemote(ctx, call[0].(string), call[1:]...)
			requireRemote(t, err, db.TypePermissionDenied)
		}
		assert.EqualValues(t, 3, count(t, p, tbl))
	})
}

// ---- per-avatar policies over a cred login ----

type user struct {
	name  string
	admin bool
	f     *db.Facade
}

func (u *user) PerspectiveDb(ctx context.Context) (*db.Facade, error) { return u.f, nil }

type userRealm struct{ f *db.Facade }

func (r *userRealm) RequestAvatar(ctx context.Context, id string, mind any) (any, func(), error) {
	return &user{name: id, admin: id == "admin", f: r.f}, func() {}, nil
}

func TestFacadePerAvatar(t *testing.T) {
	p := openSQLite(t)
	ctx := ctxT(t, 20*time.Second)
	tbl := createTable(t, p, "id bigint")
	var mu sync.Mutex
	var seen []string
	f := db.NewFacade(p, db.PerAvatar(func(ctx context.Context, avatar any) db.Policy {
		u, ok := avatar.(*user)
		if !ok {
			return nil
		}
		mu.Lock()
		seen = append(seen, u.name)
		mu.Unlock()
		if u.admin {
			return db.ReadWrite
		}
		return db.ReadOnly
	}))
	portal := cred.NewPortal(&userRealm{f: f}, []cred.Checker{cred.NewInMemory(map[string]string{
		"admin": "pw1", "guest": "pw2",
	})})
	endpoint := serve(t, &pb.Server{NewRoot: pb.LoginRoot(portal)})

	login := func(name, pw string) *pb.RemoteReference {
		b := dial(t, endpoint)
		av, err := pb.Login(ctx, b, cred.UsernamePassword{Username: name, Password: pw}, nil)
		require.NoError(t, err)
		v, err := av.CallRemote(ctx, "db")
		require.NoError(t, err)
		return v.(*pb.RemoteReference)
	}
	admin := login("admin", "pw1")
	guest := login("guest", "pw2")

	_, err := admin.CallRemote(ctx, "runOperation", "insert into "+tbl+" (id) values (1)")
	require.NoError(t, err)
	_, err = guest.CallRemote(ctx, "runOperation", "insert into "+tbl+" (id) values (2)")
	requireRemote(t, err, db.TypePermissionDenied)
	v, err := guest.CallRemote(ctx, "runQuery", "select id from "+tbl)
	require.NoError(t, err)
	assert.Equal(t, jelly.List{dict("id", int64(1))}, v)
	mu.Lock()
	assert.Equal(t, []string{"admin", "guest", "guest"}, seen)
	mu.Unlock()

	// Without a login there is no avatar, and this policy refuses.
	anon := remoteDB(t, f)
	_, err = anon.CallRemote(ctx, "runQuery", "select 1")
	requireRemote(t, err, db.TypePermissionDenied)
}

func TestFacadeDescribe(t *testing.T) {
	p := openSQLiteAt(t, db.DefaultDSN)
	ref := remoteDB(t, db.NewFacade(p, nil))
	v, err := ref.CallRemote(ctxT(t, 5*time.Second), pb.DescribeMethod)
	require.NoError(t, err)
	d, err := pb.DescriptionFrom(v)
	require.NoError(t, err)
	var names []string
	for _, m := range d.Methods {
		names = append(names, m.Name)
	}
	assert.Contains(t, names, "runQuery")
	assert.Contains(t, names, "runInteraction")
}
