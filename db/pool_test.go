package db_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/jelly"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQueryAndOperation(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "id bigint primary key, name text, score double precision, note text")
		for i, name := range []string{"ada", "grace", "barbara"} {
			n, err := p.RunOperation(ctx, "insert into "+tbl+" (id, name, score, note) values ($1, $2, $3, $4)",
				i+1, name, float64(i)+0.5, nil)
			require.NoError(t, err)
			assert.EqualValues(t, 1, n)
		}
		n, err := p.RunOperation(ctx, "update "+tbl+" set note = $1 where id >= $2", "x", 2)
		require.NoError(t, err)
		assert.EqualValues(t, 2, n)

		rows, err := p.RunQuery(ctx, "select id, name, score, note from "+tbl+" order by id")
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Equal(t, []string{"id", "name", "score", "note"}, rows[0].Columns)
		assert.Equal(t, []any{int64(1), "ada", 0.5, nil}, rows[0].Values)
		assert.Equal(t, []any{int64(3), "barbara", 2.5, "x"}, rows[2].Values)
		v, ok := rows[1].Get("name")
		assert.True(t, ok)
		assert.Equal(t, "grace", v)
		_, ok = rows[1].Get("nope")
		assert.False(t, ok)
		assert.Equal(t, map[string]any{"id": int64(2), "name": "grace", "score": 1.5, "note": "x"}, rows[1].Map())

		// $N may repeat and come in any order on every backend.
		rows, err = p.RunQuery(ctx, "select name from "+tbl+" where id = $2 or id = $1 or id = $2 order by id", 1, 3)
		require.NoError(t, err)
		require.Len(t, rows, 2)

		rows, err = p.RunQuery(ctx, "select name from "+tbl+" where id = $1", 99)
		require.NoError(t, err)
		assert.Empty(t, rows)

		_, err = p.RunQuery(ctx, "select * from no_such_table_anywhere")
		require.Error(t, err)
		_, err = p.RunOperation(ctx, "insert into "+tbl+" (id) values ($1)", 1)
		require.Error(t, err, "duplicate key")
	})
}

func TestInteractionCommitAndRollback(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "v bigint")
		insert := "insert into " + tbl + " (v) values ($1)"

		// Commit on nil.
		err := p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			for i := range 3 {
				if _, err := tx.RunOperation(ctx, insert, i); err != nil {
					return err
				}
			}
			rows, err := tx.RunQuery(ctx, "select count(*) from "+tbl)
			if err != nil {
				return err
			}
			assert.Equal(t, int64(3), rows[0].Values[0], "the transaction sees its own rows")
			return nil
		})
		require.NoError(t, err)
		assert.EqualValues(t, 3, count(t, p, tbl))

		// Roll back on error, which comes back unchanged.
		boom := errors.New("boom")
		err = p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			if _, err := tx.RunOperation(ctx, insert, 10); err != nil {
				return err
			}
			return boom
		})
		require.ErrorIs(t, err, boom)
		assert.Equal(t, boom, err)
		assert.EqualValues(t, 3, count(t, p, tbl))

		// Roll back on panic, and the panic goes on.
		assert.PanicsWithValue(t, "kaboom", func() {
			_ = p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
				if _, err := tx.RunOperation(ctx, insert, 20); err != nil {
					return err
				}
				panic("kaboom")
			})
		})
		assert.EqualValues(t, 3, count(t, p, tbl))

		// A statement that fails inside the transaction rolls it all back.
		err = p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			if _, err := tx.RunOperation(ctx, insert, 30); err != nil {
				return err
			}
			_, err := tx.RunOperation(ctx, "insert into no_such_table_anywhere values (1)")
			return err
		})
		require.Error(t, err)
		assert.EqualValues(t, 3, count(t, p, tbl))

		// A Tx is dead once its interaction is over.
		var kept db.Tx
		require.NoError(t, p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error { kept = tx; return nil }))
		_, err = kept.RunQuery(ctx, "select 1")
		assert.ErrorIs(t, err, db.ErrTxDone)
		_, err = kept.RunOperation(ctx, insert, 1)
		assert.ErrorIs(t, err, db.ErrTxDone)

		// Interact returns the function's value.
		total, err := db.Interact(ctx, p, func(ctx context.Context, tx db.Tx) (int64, error) {
			// sum() is numeric on PostgreSQL: Scan converts it.
			sums, err := db.Query[int64](ctx, tx, "select sum(v) from "+tbl)
			if err != nil {
				return 0, err
			}
			return sums[0], nil
		})
		require.NoError(t, err)
		assert.EqualValues(t, 3, total)

		// The pool is fine after all that.
		assert.EqualValues(t, 3, count(t, p, tbl))
	})
}

func TestReadOnlyTransaction(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "v bigint")
		err := p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (1)")
			return err
		}, db.WithReadOnly())
		require.Error(t, err, "the database refuses writes in a read-only transaction")
		assert.EqualValues(t, 0, count(t, p, tbl))
		// Reads work, and the connection is writable again afterwards.
		require.NoError(t, p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			_, err := tx.RunQuery(ctx, "select count(*) from "+tbl)
			return err
		}, db.WithReadOnly()))
		for range 6 {
			_, err := p.RunOperation(ctx, "insert into "+tbl+" (v) values (1)")
			require.NoError(t, err)
		}
		assert.EqualValues(t, 6, count(t, p, tbl))
	})
}

func TestRetryLoop(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "v bigint")
		conflict := errors.New("optimistic check failed")
		failing := func(failures int, attempts *int) func(context.Context, db.Tx) error {
			return func(ctx context.Context, tx db.Tx) error {
				*attempts++
				if _, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values ($1)", *attempts); err != nil {
					return err
				}
				if *attempts <= failures {
					return db.Retryable(conflict)
				}
				return nil
			}
		}

		// Without retries, one attempt.
		attempts := 0
		err := p.RunInteraction(ctx, failing(2, &attempts))
		require.ErrorIs(t, err, conflict)
		assert.True(t, p.IsRetryable(err))
		assert.Equal(t, 1, attempts)

		// Enough retries: the third attempt commits, the first two rolled back.
		attempts = 0
		var retries []int
		err = p.RunInteraction(ctx, failing(2, &attempts), db.WithRetryPolicy(db.RetryPolicy{
			MaxRetries: 3, Backoff: time.Millisecond,
			OnRetry: func(n int, err error) {
				retries = append(retries, n)
				assert.ErrorIs(t, err, conflict)
			},
		}))
		require.NoError(t, err)
		assert.Equal(t, 3, attempts)
		assert.Equal(t, []int{1, 2}, retries)
		rows, err := p.RunQuery(ctx, "select v from "+tbl)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		assert.Equal(t, int64(3), rows[0].Values[0])

		// Too few retries: the error says how many attempts were made.
		attempts = 0
		err = p.RunInteraction(ctx, failing(5, &attempts), db.WithRetry(1))
		require.ErrorIs(t, err, conflict)
		assert.Contains(t, err.Error(), "after 2 attempts")
		assert.Equal(t, 2, attempts)

		// Errors that are not retryable are not retried.
		attempts = 0
		plain := errors.New("plain")
		err = p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error { attempts++; return plain }, db.WithRetry(5))
		require.Equal(t, plain, err)
		assert.Equal(t, 1, attempts)

		// A context that ends stops the retries.
		cctx, cancel := context.WithCancel(ctx)
		attempts = 0
		err = p.RunInteraction(cctx, func(ctx context.Context, tx db.Tx) error {
			attempts++
			cancel()
			return db.Retryable(conflict)
		}, db.WithRetryPolicy(db.RetryPolicy{MaxRetries: 100, Backoff: time.Second}))
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorIs(t, err, conflict)
		assert.Equal(t, 1, attempts)
		assert.EqualValues(t, 1, count(t, p, tbl))
	})
}

func TestConcurrentInteractions(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 40*time.Second)
		tbl := createTable(t, p, "v bigint")
		const n = 1000
		start := time.Now()
		var wg sync.WaitGroup
		var failed atomic.Int64
		var firstErr atomic.Value
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
					_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values ($1)", i)
					return err
				})
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}()
		}
		wg.Wait()
		require.Zero(t, failed.Load(), "first error: %v", firstErr.Load())
		rows, err := p.RunQuery(ctx, "select count(*), count(distinct v), min(v), max(v) from "+tbl)
		require.NoError(t, err)
		assert.Equal(t, []any{int64(n), int64(n), int64(0), int64(n - 1)}, rows[0].Values)
		t.Logf("%d concurrent interactions in %v", n, time.Since(start))
	})
}

func TestAsync(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "v bigint")

		ops := make([]*db.Future[int64], 5)
		for i := range ops {
			ops[i] = p.RunOperationAsync(ctx, "insert into "+tbl+" (v) values ($1)", i)
		}
		counts, err := db.WaitAll(ctx, ops...)
		require.NoError(t, err)
		assert.Equal(t, []int64{1, 1, 1, 1, 1}, counts)

		queries := []*db.Future[[]db.Row]{
			p.RunQueryAsync(ctx, "select count(*) from "+tbl),
			p.RunQueryAsync(ctx, "select max(v) from "+tbl),
		}
		res, err := db.WaitAll(ctx, queries...)
		require.NoError(t, err)
		assert.Equal(t, int64(5), res[0][0].Values[0])
		assert.Equal(t, int64(4), res[1][0].Values[0])

		f := p.RunInteractionAsync(ctx, func(ctx context.Context, tx db.Tx) error {
			_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (100)")
			return err
		})
		<-f.Done()
		_, err = f.Wait(ctx)
		require.NoError(t, err)
		assert.EqualValues(t, 6, count(t, p, tbl))

		bad := p.RunQueryAsync(ctx, "select * from no_such_table_anywhere")
		_, err = db.WaitAll(ctx, queries[0], bad)
		require.Error(t, err)

		// Wait gives up with its own context; the work still finishes.
		release := make(chan struct{})
		slow := db.Async(ctx, func(ctx context.Context) (string, error) {
			<-release
			return "done", nil
		})
		wctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
		defer cancel()
		_, err = slow.Wait(wctx)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		close(release)
		v, err := slow.Wait(ctx)
		require.NoError(t, err)
		assert.Equal(t, "done", v)
	})
}

type person struct {
	ID       int64  `db:"id"`
	FullName string `db:"name"`
	Score    float64
	Note     *string
	Age      int32
	skipped  int    //nolint:unused // unexported fields are never set
	Ignored  string `db:"-"`
}

type withEmbedded struct {
	person
	Extra string `db:"extra"`
}

func TestScan(t *testing.T) {
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		ctx := ctxT(t, 10*time.Second)
		tbl := createTable(t, p, "id bigint, name text, score double precision, note text, age integer")
		_, err := p.RunOperation(ctx, "insert into "+tbl+" values (1, 'ada', 1.5, null, 36), (2, 'grace', 2, 'n', 85)")
		require.NoError(t, err)

		people, err := db.Query[person](ctx, p, "select id, name, score as SCORE, note, age, 'x' as unknown_col from "+tbl+" order by id")
		require.NoError(t, err)
		require.Len(t, people, 2)
		assert.Equal(t, person{ID: 1, FullName: "ada", Score: 1.5, Age: 36}, people[0])
		require.NotNil(t, people[1].Note)
		assert.Equal(t, "n", *people[1].Note)
		assert.Equal(t, 2.0, people[1].Score)

		ptrs, err := db.Query[*person](ctx, p, "select id, name from "+tbl+" order by id")
		require.NoError(t, err)
		assert.Equal(t, "grace", ptrs[1].FullName)

		emb, err := db.Query[withEmbedded](ctx, p, "select id, name, 'e' as extra from "+tbl+" where id = $1", 2)
		require.NoError(t, err)
		require.Len(t, emb, 1)
		assert.Equal(t, "grace", emb[0].FullName)
		assert.Equal(t, "e", emb[0].Extra)

		ids, err := db.Query[int](ctx, p, "select id from "+tbl+" order by id")
		require.NoError(t, err)
		assert.Equal(t, []int{1, 2}, ids)

		_, err = db.Query[int](ctx, p, "select id, name from "+tbl)
		require.Error(t, err)
		_, err = db.Query[int8](ctx, p, "select 1000 as big")
		require.ErrorContains(t, err, "overflows")

		// In a transaction too.
		names, err := db.Interact(ctx, p, func(ctx context.Context, tx db.Tx) ([]string, error) {
			return db.Query[string](ctx, tx, "select name from "+tbl+" order by id")
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"ada", "grace"}, names)
	})
}

func TestScanConversions(t *testing.T) {
	type target struct {
		N     int
		U     uint16
		F     float32
		S     string
		B     []byte
		OK    bool
		T     time.Time
		Any   any
		P     *int64
		UserN string
	}
	cols := []string{"n", "u", "f", "s", "b", "ok", "t", "any", "p", "user_n"}
	when := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	got, err := db.Scan[target]([]db.Row{{Columns: cols, Values: []any{
		"42", int64(7), int64(2), []byte("bytes"), "text", int64(1), "2024-05-06 07:08:09", 3.5, int64(9), "u",
	}}})
	require.NoError(t, err)
	nine := int64(9)
	assert.Equal(t, target{N: 42, U: 7, F: 2, S: "bytes", B: []byte("text"), OK: true, T: when, Any: 3.5, P: &nine, UserN: "u"}, got[0])

	_, err = db.Scan[target]([]db.Row{{Columns: []string{"u"}, Values: []any{int64(-1)}}})
	require.ErrorContains(t, err, "overflows")
	_, err = db.Scan[target]([]db.Row{{Columns: []string{"n"}, Values: []any{1.5}}})
	require.ErrorContains(t, err, "not an integer")
	empty, err := db.Scan[target](nil)
	require.NoError(t, err)
	assert.Empty(t, empty)
}

func TestOpenErrors(t *testing.T) {
	ctx := ctxT(t, 5*time.Second)
	_, err := db.Open(ctx, "mongodb://localhost")
	require.ErrorIs(t, err, db.ErrBadDSN)
	_, err = db.Open(ctx, "sql:")
	require.ErrorIs(t, err, db.ErrBadDSN)
	_, err = db.Open(ctx, "sql:no-such-driver:whatever")
	require.ErrorIs(t, err, db.ErrBadDSN)
	_, err = db.Open(ctx, "postgres://user:secret@127.0.0.1:1/x?connect_timeout=1")
	require.Error(t, err)
	_, err = db.Open(ctx, "sqlite:/nonexistent-dir/sub/x.db")
	require.Error(t, err)
}

// The sql:DRIVER:DSN form and FromSQL reach any database/sql driver; here
// the SQLite driver stands in for one.
func TestSQLDriverForms(t *testing.T) {
	ctx := ctxT(t, 5*time.Second)
	path := sqlitePath(t)
	p, err := db.Open(ctx, "sql:sqlite:file:"+path)
	require.NoError(t, err)
	defer p.Close()
	assert.Equal(t, "sqlite", p.Dialect().Name)
	rows, err := p.RunQuery(ctx, "select $1 + 1 as n", 41)
	require.NoError(t, err)
	assert.Equal(t, int64(42), rows[0].Values[0])

	// A driver that only knows '?' gets $N rewritten, repeats included.
	q, err := db.Open(ctx, "sql:sqlite:file:"+path, db.WithDialect(db.Dialect{Name: "sqlite", Placeholders: db.Question}))
	require.NoError(t, err)
	defer q.Close()
	rows, err = q.RunQuery(ctx, "select $2 as a, $1 as b, $2 as c, '$1' as lit", "one", "two")
	require.NoError(t, err)
	assert.Equal(t, []any{"two", "one", "two", "$1"}, rows[0].Values)
	_, err = q.RunQuery(ctx, "select $3", 1)
	require.ErrorContains(t, err, "$3")
}

func TestSQLiteMemory(t *testing.T) {
	ctx := ctxT(t, 10*time.Second)
	p := openSQLiteAt(t, db.DefaultDSN)
	_, err := p.RunOperation(ctx, "create table t (v integer)")
	require.NoError(t, err)
	// One connection holds the database: everything sees the same table.
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			assert.NoError(t, p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
				_, err := tx.RunOperation(ctx, "insert into t values ($1)", i)
				return err
			}))
		}()
	}
	wg.Wait()
	assert.EqualValues(t, 20, count(t, p, "t"))

	_, err = p.Listen(ctx, "x")
	require.ErrorIs(t, err, db.ErrNotSupported)
	require.ErrorIs(t, p.Notify(ctx, "x", "y"), db.ErrNotSupported)
}

func TestValueTypes(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		p := openPG(t)
		ctx := ctxT(t, 5*time.Second)
		rows, err := p.RunQuery(ctx, `select 1::int2 as a, 2::int4 as b, 3::int8 as c, 1.5::float4 as d,
			12.50::numeric as e, true as f, 'x'::text as g, '\x0102'::bytea as h,
			'2024-01-02 03:04:05+00'::timestamptz as i, '2024-01-02'::date as j,
			'00000000-0000-0000-0000-000000000001'::uuid as k, array[1,2]::int[] as l, null as m,
			'{"a": 1}'::jsonb as n, '1 day 2 hours'::interval as o, '1 month'::interval as p,
			'12:34:56.5'::time as q, 'NaN'::numeric as r, '10.0.0.1'::inet as s, '10.0.0.0/8'::cidr as u`)
		require.NoError(t, err)
		v := rows[0].Map()
		assert.Equal(t, int64(1), v["a"])
		assert.Equal(t, int64(2), v["b"])
		assert.Equal(t, int64(3), v["c"])
		assert.Equal(t, 1.5, v["d"])
		assert.Equal(t, "12.50", fmt.Sprint(v["e"]))
		assert.Equal(t, true, v["f"])
		assert.Equal(t, "x", v["g"])
		assert.Equal(t, []byte{1, 2}, v["h"])
		assert.Equal(t, time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), v["i"])
		assert.Equal(t, time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), v["j"])
		assert.Equal(t, "00000000-0000-0000-0000-000000000001", v["k"])
		assert.Equal(t, []any{int64(1), int64(2)}, v["l"])
		assert.Nil(t, v["m"])
		assert.Equal(t, map[string]any{"a": float64(1)}, v["n"])
		assert.Equal(t, 26*time.Hour, v["o"])
		assert.Equal(t, "1 mon 00:00:00", v["p"])
		assert.Equal(t, jelly.TimeOfDay{Hour: 12, Minute: 34, Second: 56, Microsecond: 500000}, v["q"])
		assert.True(t, math.IsNaN(v["r"].(float64)))
		assert.Equal(t, "10.0.0.1", v["s"])
		assert.Equal(t, "10.0.0.0/8", v["u"])
	})
	t.Run("sqlite", func(t *testing.T) {
		p := openSQLite(t)
		ctx := ctxT(t, 5*time.Second)
		tbl := createTable(t, p, "a integer, b real, c text, d blob, e datetime")
		when := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		_, err := p.RunOperation(ctx, "insert into "+tbl+" values ($1, $2, $3, $4, $5)", 1, 2.5, "x", []byte{1}, when)
		require.NoError(t, err)
		rows, err := p.RunQuery(ctx, "select * from "+tbl)
		require.NoError(t, err)
		assert.Equal(t, []any{int64(1), 2.5, "x", []byte{1}, when}, rows[0].Values)
	})
}
