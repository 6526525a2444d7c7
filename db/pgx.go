package db

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// pgxBackend is PostgreSQL through pgxpool.
type pgxBackend struct {
	pool *pgxpool.Pool
	log  *slog.Logger
}

func openPgx(ctx context.Context, dsn string, o options) (*pgxBackend, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadDSN, err)
	}
	if o.maxConns > 0 {
		cfg.MaxConns = int32(o.maxConns)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("db: %w", err)
	}
	return &pgxBackend{pool: pool, log: o.logger}, nil
}

func pgxCollect(rows pgx.Rows, maxRows int) ([]Row, error) {
	defer rows.Close()
	fds := rows.FieldDescriptions()
	cols := make([]string, len(fds))
	for i, fd := range fds {
		cols[i] = fd.Name
	}
	var out []Row
	for rows.Next() {
		if maxRows > 0 && len(out) >= maxRows {
			return nil, tooMany(maxRows)
		}
		vals, err := rows.Values()
		if err != nil {
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
	return out, nil
}

func (b *pgxBackend) query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error) {
	rows, err := b.pool.Query(ctx, q, convertArgs(args, pgxArg)...)
	if err != nil {
		return nil, err
	}
	return pgxCollect(rows, maxRows)
}

func (b *pgxBackend) exec(ctx context.Context, q string, args []any) (int64, error) {
	tag, err := b.pool.Exec(ctx, q, convertArgs(args, pgxArg)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (b *pgxBackend) begin(ctx context.Context, cfg *txConfig) (backendTx, error) {
	var opts pgx.TxOptions
	if cfg.readOnly {
		opts.AccessMode = pgx.ReadOnly
	}
	switch cfg.isolation {
	case ReadCommitted:
		opts.IsoLevel = pgx.ReadCommitted
	case RepeatableRead:
		opts.IsoLevel = pgx.RepeatableRead
	case Serializable:
		opts.IsoLevel = pgx.Serializable
	}
	tx, err := b.pool.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &pgxTx{tx: tx}, nil
}

func (b *pgxBackend) ping(ctx context.Context) error { return b.pool.Ping(ctx) }
func (b *pgxBackend) close()                         { b.pool.Close() }
func (b *pgxBackend) driver() any                    { return b.pool }

func (b *pgxBackend) notify(ctx context.Context, channel, payload string) error {
	_, err := b.pool.Exec(ctx, "select pg_notify($1, $2)", channel, payload)
	return err
}

// pgxTx is one pgx transaction.
type pgxTx struct{ tx pgx.Tx }

func (t *pgxTx) query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error) {
	rows, err := t.tx.Query(ctx, q, convertArgs(args, pgxArg)...)
	if err != nil {
		return nil, err
	}
	return pgxCollect(rows, maxRows)
}

func (t *pgxTx) exec(ctx context.Context, q string, args []any) (int64, error) {
	tag, err := t.tx.Exec(ctx, q, convertArgs(args, pgxArg)...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

// run always uses Query, which speaks the extended protocol even without
// arguments, so the server itself refuses text holding several statements.
// Its arguments come from PB callers and are converted loosely.
func (t *pgxTx) run(ctx context.Context, q string, args []any, _ bool, maxRows int) (result, error) {
	rows, err := t.tx.Query(ctx, q, convertArgs(args, pgxLooseArg)...)
	if err != nil {
		return result{}, err
	}
	hasRows := len(rows.FieldDescriptions()) > 0
	out, err := pgxCollect(rows, maxRows)
	if err != nil {
		return result{}, err
	}
	return result{rows: out, affected: rows.CommandTag().RowsAffected(), hasRows: hasRows}, nil
}

func (t *pgxTx) commit(ctx context.Context) error   { return t.tx.Commit(ctx) }
func (t *pgxTx) rollback(ctx context.Context) error { return t.tx.Rollback(ctx) }
