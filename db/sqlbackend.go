package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"log/slog"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver (pure Go, no cgo)
)

// sqlBackend is any database/sql driver, SQLite included.
type sqlBackend struct {
	db  *sql.DB
	d   Dialect
	log *slog.Logger
}

func newSQLBackend(sdb *sql.DB, d Dialect, log *slog.Logger) *sqlBackend {
	return &sqlBackend{db: sdb, d: d, log: log}
}

// sqlRunner is what *sql.DB and *sql.Tx share.
type sqlRunner interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func (b *sqlBackend) prepare(q string, args []any) (string, []any, error) {
	args = convertArgs(args, sqlArg)
	if b.d.Placeholders == Question {
		return rewriteQuestion(q, args, b.d)
	}
	return q, args, nil
}

func sqlCollect(rows *sql.Rows, maxRows int) ([]Row, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []Row
	for rows.Next() {
		if maxRows > 0 && len(out) >= maxRows {
			return nil, tooMany(maxRows)
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, v := range vals {
			vals[i] = normalize(v)
		}
		out = append(out, Row{Columns: cols, Values: vals})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, rows.Close()
}

func (b *sqlBackend) queryOn(ctx context.Context, r sqlRunner, q string, args []any, maxRows int) ([]Row, error) {
	q, args, err := b.prepare(q, args)
	if err != nil {
		return nil, err
	}
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return sqlCollect(rows, maxRows)
}

func (b *sqlBackend) execOn(ctx context.Context, r sqlRunner, q string, args []any) (int64, error) {
	q, args, err := b.prepare(q, args)
	if err != nil {
		return 0, err
	}
	res, err := r.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, nil // the driver does not count; not an error of the statement
	}
	return n, nil
}

func (b *sqlBackend) query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error) {
	return b.queryOn(ctx, b.db, q, args, maxRows)
}

func (b *sqlBackend) exec(ctx context.Context, q string, args []any) (int64, error) {
	return b.execOn(ctx, b.db, q, args)
}

func (b *sqlBackend) begin(ctx context.Context, cfg *txConfig) (backendTx, error) {
	opts := &sql.TxOptions{ReadOnly: cfg.readOnly}
	switch cfg.isolation {
	case ReadCommitted:
		opts.Isolation = sql.LevelReadCommitted
	case RepeatableRead:
		opts.Isolation = sql.LevelRepeatableRead
	case Serializable:
		opts.Isolation = sql.LevelSerializable
	}
	if b.d.Name != "sqlite" || !cfg.readOnly {
		if b.d.Name == "sqlite" {
			opts.Isolation = sql.LevelDefault
		}
		tx, err := b.db.BeginTx(ctx, opts)
		if err != nil {
			return nil, err
		}
		return &sqlTx{b: b, tx: tx}, nil
	}
	// SQLite read-only: the connection itself refuses writes while the
	// transaction runs (PRAGMA query_only), whatever the statements say.
	opts.Isolation = sql.LevelDefault
	conn, err := b.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "pragma query_only = 1"); err != nil {
		b.discard(conn)
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, opts)
	if err != nil {
		b.releaseQueryOnly(conn)
		return nil, err
	}
	return &sqlTx{b: b, tx: tx, after: func() { b.releaseQueryOnly(conn) }}, nil
}

// releaseQueryOnly turns query_only off and returns conn to the pool, or
// discards conn if that fails, so no later user inherits the setting.
func (b *sqlBackend) releaseQueryOnly(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), "pragma query_only = 0"); err != nil {
		b.log.Warn("db: cannot reset query_only; discarding the connection", "err", err)
		b.discard(conn)
		return
	}
	_ = conn.Close()
}

// discard closes conn's driver connection instead of returning it to the
// pool.
func (b *sqlBackend) discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

func (b *sqlBackend) listen(ctx context.Context, channel string) (listener, error) {
	return nil, fmt.Errorf("%w: LISTEN/NOTIFY on %s", ErrNotSupported, b.d.Name)
}

func (b *sqlBackend) notify(ctx context.Context, channel, payload string) error {
	if b.d.Name == "postgres" {
		_, err := b.exec(ctx, "select pg_notify($1, $2)", []any{channel, payload})
		return err
	}
	return fmt.Errorf("%w: LISTEN/NOTIFY on %s", ErrNotSupported, b.d.Name)
}

func (b *sqlBackend) ping(ctx context.Context) error { return b.db.PingContext(ctx) }
func (b *sqlBackend) close()                         { _ = b.db.Close() }
func (b *sqlBackend) driver() any                    { return b.db }

// sqlTx is one database/sql transaction.
type sqlTx struct {
	b     *sqlBackend
	tx    *sql.Tx
	after func() // runs once the transaction has ended
}

func (t *sqlTx) query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error) {
	return t.b.queryOn(ctx, t.tx, q, args, maxRows)
}

func (t *sqlTx) exec(ctx context.Context, q string, args []any) (int64, error) {
	return t.b.execOn(ctx, t.tx, q, args)
}

func (t *sqlTx) run(ctx context.Context, q string, args []any, wantRows bool, maxRows int) (result, error) {
	if !wantRows {
		n, err := t.exec(ctx, q, args)
		return result{affected: n}, err
	}
	q, args, err := t.b.prepare(q, args)
	if err != nil {
		return result{}, err
	}
	rows, err := t.tx.QueryContext(ctx, q, args...)
	if err != nil {
		return result{}, err
	}
	cols, err := rows.Columns()
	if err != nil {
		rows.Close()
		return result{}, err
	}
	out, err := sqlCollect(rows, maxRows)
	if err != nil {
		return result{}, err
	}
	return result{rows: out, hasRows: len(cols) > 0}, nil
}

func (t *sqlTx) end(err error) error {
	if t.after != nil {
		t.after()
		t.after = nil
	}
	return err
}

func (t *sqlTx) commit(ctx context.Context) error   { return t.end(t.tx.Commit()) }
func (t *sqlTx) rollback(ctx context.Context) error { return t.end(t.tx.Rollback()) }
