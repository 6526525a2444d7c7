package db_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// writeSkew runs two SERIALIZABLE interactions that each read the table
// and insert into it, meeting after their first reads so that PostgreSQL
// must fail one of them with a serialization failure (40001).
func writeSkew(t *testing.T, p *db.Pool, tbl string, opts ...db.TxOption) (attempts int64, errs []error) {
	var n atomic.Int64
	var met sync.WaitGroup
	met.Add(2)
	errs = make([]error, 2)
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			first := true
			errs[g] = p.RunInteraction(ctxT(t, 20*time.Second), func(ctx context.Context, tx db.Tx) error {
				n.Add(1)
				rows, err := tx.RunQuery(ctx, "select count(*) from "+tbl)
				if err != nil {
					return err
				}
				if first {
					first = false
					met.Done()
					met.Wait()
				}
				_, err = tx.RunOperation(ctx, "insert into "+tbl+" (v) values ($1)", rows[0].Values[0])
				return err
			}, append([]db.TxOption{db.WithIsolation(db.Serializable)}, opts...)...)
		}()
	}
	wg.Wait()
	return n.Load(), errs
}

func isSQLState(err error, code string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == code
}

func TestSerializationFailurePostgres(t *testing.T) {
	p := openPG(t)
	tbl := createTable(t, p, "v bigint")

	// Without retries, at least one of the two fails with a real 40001
	// (PostgreSQL may abort both, depending on when each one commits).
	_, errs := writeSkew(t, p, tbl)
	var failed []error
	for _, err := range errs {
		if err != nil {
			failed = append(failed, err)
		}
	}
	require.NotEmpty(t, failed, "write skew went undetected")
	for _, err := range failed {
		assert.True(t, isSQLState(err, "40001"), "want SQLSTATE 40001, got %v", err)
		assert.True(t, p.IsRetryable(err))
	}
	assert.EqualValues(t, 2-len(failed), count(t, p, tbl))

	// With retries, both commit; the loser ran again.
	_, err := p.RunOperation(ctxT(t, 5*time.Second), "delete from "+tbl)
	require.NoError(t, err)
	var mu sync.Mutex
	var retryErrs []error
	attempts, errs := writeSkew(t, p, tbl, db.WithRetryPolicy(db.RetryPolicy{
		MaxRetries: 5, Backoff: 5 * time.Millisecond,
		OnRetry: func(_ int, err error) { mu.Lock(); retryErrs = append(retryErrs, err); mu.Unlock() },
	}))
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.NotEmpty(t, retryErrs, "one of the two must have been retried")
	assert.EqualValues(t, 2+len(retryErrs), attempts, "one attempt more per retry")
	for _, err := range retryErrs {
		assert.True(t, isSQLState(err, "40001"), "retried after %v", err)
	}
	rows, err := p.RunQuery(ctxT(t, 5*time.Second), "select v from "+tbl+" order by v")
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Equal(t, []any{int64(0)}, rows[0].Values)
	assert.Equal(t, []any{int64(1)}, rows[1].Values, "the retry saw the winner's row")
}

func TestBusyRetrySQLite(t *testing.T) {
	path := sqlitePath(t)
	holder := openSQLiteAt(t, "sqlite:"+path)
	impatient := openSQLiteAt(t, "sqlite:"+path+"?_pragma=busy_timeout(10)")
	tbl := createTable(t, holder, "v bigint")
	ctx := ctxT(t, 10*time.Second)

	// hold takes the write lock until release is closed.
	hold := func() (release func()) {
		locked := make(chan struct{})
		done := make(chan struct{})
		f := holder.RunInteractionAsync(ctx, func(ctx context.Context, tx db.Tx) error {
			if _, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (1)"); err != nil {
				return err
			}
			close(locked)
			<-done
			return nil
		})
		<-locked
		return func() {
			close(done)
			_, err := f.Wait(ctx)
			require.NoError(t, err)
		}
	}

	// Without retries: SQLITE_BUSY, which is retryable.
	release := hold()
	err := impatient.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
		_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (2)")
		return err
	})
	require.Error(t, err)
	var coder interface{ Code() int }
	require.True(t, errors.As(err, &coder), "%T: %v", err, err)
	assert.Equal(t, 5, coder.Code()&0xff, "SQLITE_BUSY")
	assert.True(t, impatient.IsRetryable(err))
	release()

	// With retries: it succeeds once the lock is released.
	release = hold()
	var retries atomic.Int64
	go func() {
		for retries.Load() < 2 {
			time.Sleep(time.Millisecond)
		}
		release()
	}()
	err = impatient.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
		_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (3)")
		return err
	}, db.WithRetryPolicy(db.RetryPolicy{
		MaxRetries: 200, Backoff: 2 * time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnRetry: func(int, error) { retries.Add(1) },
	}))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, retries.Load(), int64(2))
	assert.EqualValues(t, 3, count(t, impatient, tbl))
}

func TestKilledBackendPostgres(t *testing.T) {
	p := openPG(t)
	ctx := ctxT(t, 20*time.Second)
	tbl := createTable(t, p, "v bigint")

	for _, ignoreError := range []bool{false, true} {
		var pid any
		err := p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			if _, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (1)"); err != nil {
				return err
			}
			rows, err := tx.RunQuery(ctx, "select pg_backend_pid()")
			if err != nil {
				return err
			}
			pid = rows[0].Values[0]
			// Another connection of the pool kills this one.
			killed, err := p.RunQuery(ctx, "select pg_terminate_backend($1)", pid)
			if err != nil {
				return err
			}
			assert.Equal(t, true, killed[0].Values[0])
			_, err = tx.RunOperation(ctx, "insert into "+tbl+" (v) values (2)")
			assert.Error(t, err, "the connection is dead")
			if ignoreError {
				return nil // the commit must fail instead
			}
			return err
		})
		require.Error(t, err, "ignoreError=%v", ignoreError)
		assert.NotNil(t, pid)

		// Nothing the interaction wrote is visible, and the pool recovered.
		assert.EqualValues(t, 0, count(t, p, tbl))
		for range 8 {
			rows, err := p.RunQuery(ctx, "select 1 as one")
			require.NoError(t, err)
			assert.Equal(t, int64(1), rows[0].Values[0])
		}
		require.NoError(t, p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
			_, err := tx.RunOperation(ctx, "insert into "+tbl+" (v) values (3)")
			return err
		}))
		assert.EqualValues(t, 1, count(t, p, tbl))
		_, err = p.RunOperation(ctx, "delete from "+tbl)
		require.NoError(t, err)
	}
}

func TestListenNotifyPostgres(t *testing.T) {
	p := openPG(t)
	ctx := ctxT(t, 10*time.Second)
	channel := uniqueName("Braid Chan") // mixed case and a space: must be quoted

	lctx, stop := context.WithCancel(ctx)
	defer stop()
	ch, err := p.Listen(lctx, channel)
	require.NoError(t, err)

	require.NoError(t, p.Notify(ctx, channel, "hello"))
	_, err = p.RunOperation(ctx, `notify "`+channel+`", 'world'`)
	require.NoError(t, err)
	_, err = p.RunOperation(ctx, `select pg_notify($1, '')`, channel)
	require.NoError(t, err)
	for _, want := range []string{"hello", "world", ""} {
		select {
		case n := <-ch:
			assert.Equal(t, channel, n.Channel)
			assert.Equal(t, want, n.Payload)
			assert.NotZero(t, n.PID)
		case <-ctx.Done():
			t.Fatal("notification not delivered")
		}
	}

	// A notification in a rolled-back transaction is never delivered.
	_ = p.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
		_, err := tx.RunQuery(ctx, "select pg_notify($1, 'rolled back')", channel)
		require.NoError(t, err)
		return errors.New("roll back")
	})

	stop()
	select {
	case n, ok := <-ch:
		assert.False(t, ok, "unexpected %v", n)
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed after cancel")
	}
}

func TestHubPostgres(t *testing.T) {
	p := openPG(t)
	ctx := ctxT(t, 10*time.Second)
	hub := db.NewHub(p)
	defer hub.Close()
	channel := uniqueName("braid_hub")

	got := make(chan string, 100)
	sub := func(tag string) func(db.Notification) {
		return func(n db.Notification) {
			select {
			case got <- tag + n.Payload:
			default: // never block the hub
			}
		}
	}
	unsubA, err := hub.Subscribe(ctx, channel, sub("a:"))
	require.NoError(t, err)
	unsubB, err := hub.Subscribe(ctx, channel, sub("b:"))
	require.NoError(t, err)

	recv := func(k int) []string {
		var out []string
		for range k {
			select {
			case s := <-got:
				out = append(out, s)
			case <-ctx.Done():
				t.Fatal("notification not delivered")
			}
		}
		return out
	}
	require.NoError(t, p.Notify(ctx, channel, "1"))
	assert.ElementsMatch(t, []string{"a:1", "b:1"}, recv(2))

	unsubA()
	unsubA() // idempotent
	require.NoError(t, p.Notify(ctx, channel, "2"))
	assert.Equal(t, []string{"b:2"}, recv(1))

	// The last subscriber leaving closes the listener; a new one reopens it.
	unsubB()
	unsubC, err := hub.Subscribe(ctx, channel, sub("c:"))
	require.NoError(t, err)
	defer unsubC()
	require.NoError(t, p.Notify(ctx, channel, "3"))
	assert.Equal(t, []string{"c:3"}, recv(1))

	// The hub survives its connection being killed.
	_, err = p.RunQuery(ctx, "select pg_terminate_backend(pid) from pg_stat_activity where query ilike $1",
		"%listen%"+strings.ToLower(channel)+"%")
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		_ = p.Notify(ctx, channel, "4")
		select {
		case s := <-got:
			return s == "c:4"
		case <-time.After(50 * time.Millisecond):
			return false
		}
	}, 8*time.Second, 10*time.Millisecond)

	hub.Close()
	_, err = hub.Subscribe(ctx, channel, func(db.Notification) {})
	require.ErrorIs(t, err, db.ErrHubClosed)
}

type feedRoot struct {
	pb.Referenceable
	f *db.Feed
}

func (r *feedRoot) RemoteFeed(ctx context.Context) (*db.Feed, error) { return r.f, nil }

func TestFeedPostgres(t *testing.T) {
	p := openPG(t)
	ctx := ctxT(t, 10*time.Second)
	hub := db.NewHub(p)
	defer hub.Close()
	channel := uniqueName("braid_feed")
	feed := db.NewFeed(hub, channel)
	endpoint := serve(t, &pb.Server{Root: &feedRoot{f: feed}})

	changes := make(chan jelly.Dict, 10)
	b, err := pb.Dial(ctx, endpoint, &pb.Config{Logger: quiet, CacheTypes: map[string]func() any{
		db.FeedClass: func() any { return pb.NewLiveCopy[jelly.Dict](changes) },
	}})
	require.NoError(t, err)
	defer b.Close()
	v, err := b.Root().CallRemote(ctx, "feed")
	require.NoError(t, err)
	cp, ok := v.(*pb.LiveCopy[jelly.Dict])
	require.True(t, ok, "feed() gave %T", v)
	assert.Nil(t, cp.Get(), "no notification yet")
	require.Eventually(t, func() bool { return feed.Observers() == 1 }, 5*time.Second, 5*time.Millisecond)

	require.NoError(t, p.Notify(ctx, channel, "first"))
	select {
	case d := <-changes:
		payload, _ := d.Get("payload")
		ch, _ := d.Get("channel")
		pid, _ := d.Get("pid")
		assert.Equal(t, "first", payload)
		assert.Equal(t, channel, ch)
		assert.NotZero(t, pid)
	case <-ctx.Done():
		t.Fatal("the observer saw no notification")
	}
	payload, _ := cp.Get().Get("payload")
	assert.Equal(t, "first", payload)

	// The observer leaving stops the listening.
	b.Close()
	require.Eventually(t, func() bool { return feed.Observers() == 0 }, 5*time.Second, 5*time.Millisecond)
}
