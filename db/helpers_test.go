package db_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/internal/peertest"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const defaultPGDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// pgDSN is the test database: BRAID_TEST_PG_DSN, or the local server.
func pgDSN() string {
	if s := os.Getenv("BRAID_TEST_PG_DSN"); s != "" {
		return s
	}
	return defaultPGDSN
}

func ctxT(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// openPG opens the test PostgreSQL database, or skips (fails in CI).
func openPG(t testing.TB, opts ...db.Option) *db.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := db.Open(ctx, pgDSN(), append([]db.Option{db.WithLogger(quiet)}, opts...)...)
	if err != nil {
		peertest.Missing(t, "PostgreSQL on 127.0.0.1:5432 ("+err.Error()+")",
			"apt-get install postgresql; pg_ctlcluster 15 main start")
	}
	t.Cleanup(p.Close)
	return p
}

// sqlitePath is a fresh database file for t.
func sqlitePath(t testing.TB) string {
	return filepath.Join(t.TempDir(), "test.db")
}

func openSQLiteAt(t testing.TB, dsn string, opts ...db.Option) *db.Pool {
	t.Helper()
	p, err := db.Open(ctxT(t, 5*time.Second), dsn, append([]db.Option{db.WithLogger(quiet)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// openSQLite opens a fresh SQLite file database.
func openSQLite(t testing.TB, opts ...db.Option) *db.Pool {
	t.Helper()
	return openSQLiteAt(t, "sqlite:"+sqlitePath(t), opts...)
}

type backendCase struct {
	name string
	open func(t testing.TB, opts ...db.Option) *db.Pool
}

var backends = []backendCase{
	{"postgres", openPG},
	{"sqlite", openSQLite},
}

// forEachBackend runs fn as a subtest against each backend.
func forEachBackend(t *testing.T, fn func(t *testing.T, p *db.Pool)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fn(t, b.open(t))
		})
	}
}

// uniqueName returns a fresh table or channel name.
func uniqueName(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + "_" + hex.EncodeToString(b[:])
}

// createTable creates a uniquely named table with the given column list
// and drops it when the test ends.
func createTable(t testing.TB, p *db.Pool, columns string) string {
	t.Helper()
	name := uniqueName("braid_t")
	_, err := p.RunOperation(ctxT(t, 10*time.Second), "create table "+name+" ("+columns+")")
	require.NoError(t, err)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = p.RunOperation(ctx, "drop table if exists "+name)
	})
	return name
}

// count returns the number of rows of table.
func count(t testing.TB, p *db.Pool, table string) int64 {
	t.Helper()
	rows, err := p.RunQuery(ctxT(t, 10*time.Second), "select count(*) as n from "+table)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	n, ok := rows[0].Values[0].(int64)
	require.True(t, ok, "count is %T", rows[0].Values[0])
	return n
}
