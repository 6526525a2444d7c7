package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors a caller can match with errors.Is.
var (
	// ErrPermissionDenied is returned when a facade Policy refuses a
	// statement. Over PB it arrives as TypePermissionDenied.
	ErrPermissionDenied = errors.New("db: permission denied")
	// ErrNotSupported is returned for features the backend lacks, such as
	// LISTEN/NOTIFY on SQLite.
	ErrNotSupported = errors.New("db: not supported")
	// ErrBadDSN is returned by Open for a DSN it cannot use.
	ErrBadDSN = errors.New("db: bad DSN")
	// ErrTxDone is returned by a Tx used after its interaction ended.
	ErrTxDone = errors.New("db: transaction already finished")
	// ErrTooManyRows is returned by the facade when a result has more rows
	// than its limit (see WithMaxRows).
	ErrTooManyRows = errors.New("db: too many rows")
	// ErrBadRequest is returned by the facade for calls it cannot
	// understand: wrong argument types, unknown methods, or text that is not
	// exactly one statement.
	ErrBadRequest = errors.New("db: bad request")
)

// DefaultDSN is the zero-setup database: SQLite in memory.
const DefaultDSN = "sqlite::memory:"

// Pool runs queries, operations and interactions (transactions) on a pool
// of connections. It is safe for concurrent use. Build one with Open,
// FromSQL or FromPgx, and Close it when done.
type Pool struct {
	b       backend
	dialect Dialect
	log     *slog.Logger
}

// Row is one result row: the column names, shared by all the rows of a
// result, and the values in column order. Values are nil, int64, float64,
// bool, string, []byte or time.Time (in UTC) on every backend; PostgreSQL
// adds jelly.Decimal for numeric (float64 NaN and ±Inf for its special
// values), jelly.TimeOfDay for time, time.Duration for intervals without
// months, []any for arrays, map[string]any and []any for JSON, and the text
// form for uuid, inet and other types. All of them can be sent over PB.
type Row struct {
	Columns []string
	Values  []any
}

// Get returns the value of the first column named name.
func (r Row) Get(name string) (any, bool) {
	for i, c := range r.Columns {
		if c == name && i < len(r.Values) {
			return r.Values[i], true
		}
	}
	return nil, false
}

// Map returns the row as a map from column name to value; of several
// columns with the same name, the last wins.
func (r Row) Map() map[string]any {
	m := make(map[string]any, len(r.Columns))
	for i, c := range r.Columns {
		if i < len(r.Values) {
			m[c] = r.Values[i]
		}
	}
	return m
}

// Dict returns the row as a jelly.Dict in column order: a Python dict on
// the other side of a PB connection.
func (r Row) Dict() jelly.Dict {
	d := make(jelly.Dict, 0, len(r.Columns))
	for i, c := range r.Columns {
		if i < len(r.Values) {
			d = append(d, jelly.Pair{Key: c, Value: r.Values[i]})
		}
	}
	return d
}

// Querier runs queries; *Pool and Tx are Queriers, so Query works with
// both.
type Querier interface {
	// RunQuery runs a statement that returns rows and returns all of them.
	RunQuery(ctx context.Context, query string, args ...any) ([]Row, error)
}

// Tx is the transaction an interaction function receives. Its methods run
// inside the transaction. A Tx is not safe for concurrent use, and fails
// with ErrTxDone once its interaction has returned.
type Tx interface {
	Querier
	// RunOperation runs a statement that returns no rows and returns the
	// number of rows it affected.
	RunOperation(ctx context.Context, query string, args ...any) (int64, error)
}

// Option configures Open, FromSQL and FromPgx.
type Option func(*options)

type options struct {
	logger   *slog.Logger
	maxConns int
	dialect  *Dialect
}

// WithLogger sets the logger for retries, failed rollbacks and listener
// errors (default slog.Default()).
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithMaxConns bounds the number of open connections. The defaults are
// pgxpool's (the larger of 4 and the number of CPUs) for PostgreSQL, 4 for an
// SQLite file, 1 for SQLite in memory (which cannot have more), and no bound
// for other database/sql drivers.
func WithMaxConns(n int) Option { return func(o *options) { o.maxConns = n } }

// WithDialect sets the dialect of an sql:DRIVER:DSN database, overriding
// the one guessed from the driver name.
func WithDialect(d Dialect) Option { return func(o *options) { o.dialect = &d } }

func buildOptions(opts []Option) options {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	return o
}

// Open connects to the database named by dsn, choosing the backend by its
// scheme:
//
//	postgres://user@host:port/db?sslmode=disable   PostgreSQL through pgxpool
//	postgresql://...                                 (any pgx connection string)
//	sqlite:PATH[?PARAMS]                             SQLite file, embedded (modernc.org/sqlite)
//	sqlite::memory:                                  SQLite in memory (one connection)
//	sql:DRIVER:DSN                                   any registered database/sql driver
//
// For SQLite, PARAMS are modernc.org/sqlite's (_pragma=..., _txlock=...);
// Braid adds busy_timeout(5000), foreign_keys(1), WAL journal mode with
// synchronous(NORMAL) for files, _txlock=immediate and _time_format=sqlite
// unless PARAMS set them. Open checks that the database answers before
// returning.
func Open(ctx context.Context, dsn string, opts ...Option) (*Pool, error) {
	o := buildOptions(opts)
	var (
		b   backend
		d   Dialect
		err error
	)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		b, err = openPgx(ctx, dsn, o)
		d = Postgres
	case strings.HasPrefix(dsn, "sqlite:"):
		var dsnOut string
		var memory bool
		dsnOut, memory, err = sqliteDSN(strings.TrimPrefix(dsn, "sqlite:"))
		if err != nil {
			return nil, err
		}
		var sdb *sql.DB
		sdb, err = sql.Open("sqlite", dsnOut)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadDSN, err)
		}
		n := o.maxConns
		switch {
		case memory:
			n = 1 // every connection to :memory: is a database of its own
		case n <= 0:
			n = 4
		}
		sdb.SetMaxOpenConns(n)
		sdb.SetMaxIdleConns(n)
		sdb.SetConnMaxLifetime(0)
		sdb.SetConnMaxIdleTime(0)
		d = SQLite
		b = newSQLBackend(sdb, d, o.logger)
	case strings.HasPrefix(dsn, "sql:"):
		rest := strings.TrimPrefix(dsn, "sql:")
		driver, driverDSN, ok := strings.Cut(rest, ":")
		if !ok || driver == "" {
			return nil, fmt.Errorf("%w: want sql:DRIVER:DSN, got %q", ErrBadDSN, redact(dsn))
		}
		var sdb *sql.DB
		sdb, err = sql.Open(driver, driverDSN)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrBadDSN, err)
		}
		if o.maxConns > 0 {
			sdb.SetMaxOpenConns(o.maxConns)
		}
		d = dialectForDriver(driver)
		if o.dialect != nil {
			d = *o.dialect
		}
		b = newSQLBackend(sdb, d, o.logger)
	default:
		return nil, fmt.Errorf("%w: unknown scheme in %q (want postgres://, sqlite:, or sql:DRIVER:DSN)", ErrBadDSN, redact(dsn))
	}
	if err != nil {
		return nil, err
	}
	p := &Pool{b: b, dialect: d, log: o.logger}
	if err := p.Ping(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// redact hides a password in a URL-shaped DSN.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, has := u.User.Password(); has {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// sqliteDSN turns what follows "sqlite:" into a modernc.org/sqlite DSN.
func sqliteDSN(rest string) (dsn string, memory bool, err error) {
	path, query, _ := strings.Cut(rest, "?")
	q, err := url.ParseQuery(query)
	if err != nil {
		return "", false, fmt.Errorf("%w: sqlite parameters: %w", ErrBadDSN, err)
	}
	path = strings.TrimPrefix(path, "file:")
	memory = path == "" || path == ":memory:" || q.Get("mode") == "memory"
	if path == "" {
		path = ":memory:"
	}
	has := func(pragma string) bool {
		for _, v := range q["_pragma"] {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), pragma) {
				return true
			}
		}
		return false
	}
	add := func(pragma, value string) {
		if !has(pragma) {
			q.Add("_pragma", pragma+"("+value+")")
		}
	}
	add("busy_timeout", "5000")
	add("foreign_keys", "1")
	if !memory {
		add("journal_mode", "WAL")
		add("synchronous", "NORMAL")
	}
	if q.Get("_txlock") == "" {
		q.Set("_txlock", "immediate")
	}
	if q.Get("_time_format") == "" {
		q.Set("_time_format", "sqlite")
	}
	// SQLite reads the path part of a file: URI with %-escapes.
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?" + q.Encode(), memory, nil
}

// FromSQL wraps an open database/sql handle. The Pool owns it: Close closes
// it. d says how to talk to it (Postgres, SQLite, MySQL, or your own).
func FromSQL(sdb *sql.DB, d Dialect, opts ...Option) *Pool {
	o := buildOptions(opts)
	return &Pool{b: newSQLBackend(sdb, d, o.logger), dialect: d, log: o.logger}
}

// FromPgx wraps a pgx connection pool. The Pool owns it: Close closes it.
func FromPgx(pp *pgxpool.Pool, opts ...Option) *Pool {
	o := buildOptions(opts)
	return &Pool{b: &pgxBackend{pool: pp, log: o.logger}, dialect: Postgres, log: o.logger}
}

// Close closes the pool's connections, waiting for those in use to be
// returned.
func (p *Pool) Close() { p.b.close() }

// Ping checks that the database answers.
func (p *Pool) Ping(ctx context.Context) error {
	if err := p.b.ping(ctx); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

// Dialect returns the pool's dialect.
func (p *Pool) Dialect() Dialect { return p.dialect }

// Driver returns the underlying handle, a *pgxpool.Pool or a *sql.DB, for
// what this package does not cover.
func (p *Pool) Driver() any { return p.b.driver() }

// RunQuery runs a statement that returns rows and returns all of them.
// Placeholders are $1, $2, … on every backend (see Dialect).
func (p *Pool) RunQuery(ctx context.Context, query string, args ...any) ([]Row, error) {
	rows, err := p.b.query(ctx, query, args, 0)
	if err != nil {
		return nil, fmt.Errorf("db: query: %w", err)
	}
	return rows, nil
}

// RunOperation runs a statement that returns no rows and returns the number
// of rows it affected. Without arguments, a PostgreSQL query may hold
// several statements separated by semicolons.
func (p *Pool) RunOperation(ctx context.Context, query string, args ...any) (int64, error) {
	n, err := p.b.exec(ctx, query, args)
	if err != nil {
		return 0, fmt.Errorf("db: operation: %w", err)
	}
	return n, nil
}

// Isolation is a transaction isolation level.
type Isolation int

// Isolation levels. SQLite transactions are always serializable and ignore
// the level.
const (
	DefaultIsolation Isolation = iota
	ReadCommitted
	RepeatableRead
	Serializable
)

// RetryPolicy says how RunInteraction retries transactions that failed with
// a transient conflict (see Dialect.Retryable and Retryable).
type RetryPolicy struct {
	// MaxRetries is how many times to run the function again after the first
	// attempt; 0 disables retries.
	MaxRetries int
	// Backoff is the delay before the first retry (default 10ms); each
	// further retry doubles it, up to MaxBackoff (default 1s). The actual
	// delay is chosen at random between half the value and the value.
	Backoff    time.Duration
	MaxBackoff time.Duration
	// OnRetry, when set, is called before each retry with its number (1
	// for the first) and the error that caused it.
	OnRetry func(retry int, err error)
}

// TxOption configures RunInteraction.
type TxOption func(*txConfig)

type txConfig struct {
	readOnly  bool
	isolation Isolation
	retry     RetryPolicy
}

// WithReadOnly runs the transaction read-only: BEGIN READ ONLY on
// PostgreSQL, and PRAGMA query_only on the connection for SQLite.
func WithReadOnly() TxOption { return func(c *txConfig) { c.readOnly = true } }

// WithIsolation sets the transaction's isolation level.
func WithIsolation(level Isolation) TxOption { return func(c *txConfig) { c.isolation = level } }

// WithRetry retries the whole interaction up to maxRetries times when it
// fails with a retryable error, with the default backoff.
func WithRetry(maxRetries int) TxOption {
	return func(c *txConfig) { c.retry.MaxRetries = maxRetries }
}

// WithRetryPolicy sets the retry policy.
func WithRetryPolicy(rp RetryPolicy) TxOption { return func(c *txConfig) { c.retry = rp } }

type retryableError struct{ err error }

func (e *retryableError) Error() string { return e.err.Error() }
func (e *retryableError) Unwrap() error { return e.err }

// Retryable marks err as transient, so that an interaction function that
// returns it is run again when retries are enabled (for example after an
// optimistic concurrency check failed). It returns nil for nil.
func Retryable(err error) error {
	if err == nil {
		return nil
	}
	return &retryableError{err: err}
}

// IsRetryable reports whether err is a transient conflict on this pool's
// database, or was marked with Retryable.
func (p *Pool) IsRetryable(err error) bool {
	var re *retryableError
	if errors.As(err, &re) {
		return true
	}
	return p.dialect.Retryable != nil && p.dialect.Retryable(err)
}

// RunInteraction runs fn in a transaction. The transaction commits when fn
// returns nil and rolls back when fn returns an error or panics; a panic is
// raised again after the rollback. fn's error is returned unchanged, or,
// after retries, wrapped with the number of attempts.
//
// With WithRetry or WithRetryPolicy, a run that fails with a retryable error
// (SQLSTATE 40001 or 40P01 on PostgreSQL, SQLITE_BUSY or SQLITE_LOCKED on
// SQLite, or an error marked with Retryable) is rolled back and fn runs
// again in a new transaction, so fn must not have effects outside the
// database that cannot be repeated.
//
// fn must use tx, not the pool, for its statements: on SQLite in memory the
// pool has one connection, which the transaction holds.
func (p *Pool) RunInteraction(ctx context.Context, fn func(ctx context.Context, tx Tx) error, opts ...TxOption) error {
	var cfg txConfig
	for _, o := range opts {
		o(&cfg)
	}
	rp := cfg.retry
	if rp.Backoff <= 0 {
		rp.Backoff = 10 * time.Millisecond
	}
	if rp.MaxBackoff <= 0 {
		rp.MaxBackoff = time.Second
	}
	for attempt := 0; ; attempt++ {
		err := p.interactOnce(ctx, fn, &cfg)
		if err == nil {
			return nil
		}
		if attempt >= rp.MaxRetries || !p.IsRetryable(err) {
			if attempt > 0 {
				return fmt.Errorf("db: interaction failed after %d attempts: %w", attempt+1, err)
			}
			return err
		}
		if rp.OnRetry != nil {
			rp.OnRetry(attempt+1, err)
		}
		p.log.DebugContext(ctx, "db: retrying interaction", "retry", attempt+1, "err", err)
		d := rp.Backoff << min(attempt, 20)
		if d > rp.MaxBackoff || d <= 0 {
			d = rp.MaxBackoff
		}
		d = d/2 + rand.N(d/2+1)
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("db: retry abandoned: %w (after: %w)", ctx.Err(), err)
		case <-t.C:
		}
	}
}

func (p *Pool) interactOnce(ctx context.Context, fn func(context.Context, Tx) error, cfg *txConfig) (err error) {
	bt, err := p.b.begin(ctx, cfg)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	tx := &txHandle{bt: bt}
	finished := false
	defer func() {
		if finished {
			return
		}
		// fn panicked or called runtime.Goexit (t.FailNow): roll back, then
		// let the panic go on.
		r := recover()
		tx.done.Store(true)
		p.rollback(ctx, bt)
		if r != nil {
			panic(r)
		}
	}()
	ferr := fn(ctx, tx)
	tx.done.Store(true)
	finished = true
	if ferr != nil {
		p.rollback(ctx, bt)
		return ferr
	}
	if err := bt.commit(ctx); err != nil {
		return fmt.Errorf("db: commit: %w", err)
	}
	return nil
}

// rollback ends a transaction whose function failed. It runs even when ctx
// is done, because the connection must be cleaned before reuse.
func (p *Pool) rollback(ctx context.Context, bt backendTx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := bt.rollback(rctx); err != nil {
		p.log.WarnContext(ctx, "db: rollback failed; the connection is discarded", "err", err)
	}
}

// txHandle is the Tx given to interaction functions.
type txHandle struct {
	bt   backendTx
	done atomic.Bool
}

func (t *txHandle) RunQuery(ctx context.Context, query string, args ...any) ([]Row, error) {
	if t.done.Load() {
		return nil, ErrTxDone
	}
	rows, err := t.bt.query(ctx, query, args, 0)
	if err != nil {
		return nil, fmt.Errorf("db: query: %w", err)
	}
	return rows, nil
}

func (t *txHandle) RunOperation(ctx context.Context, query string, args ...any) (int64, error) {
	if t.done.Load() {
		return 0, ErrTxDone
	}
	n, err := t.bt.exec(ctx, query, args)
	if err != nil {
		return 0, fmt.Errorf("db: operation: %w", err)
	}
	return n, nil
}

// backend is what each kind of database implements.
type backend interface {
	query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error)
	exec(ctx context.Context, q string, args []any) (int64, error)
	begin(ctx context.Context, cfg *txConfig) (backendTx, error)
	listen(ctx context.Context, channel string) (listener, error)
	notify(ctx context.Context, channel, payload string) error
	ping(ctx context.Context) error
	close()
	driver() any
}

// backendTx is one open transaction.
type backendTx interface {
	query(ctx context.Context, q string, args []any, maxRows int) ([]Row, error)
	exec(ctx context.Context, q string, args []any) (int64, error)
	// run runs one statement for the facade: it returns rows when the
	// statement produces columns, and the affected row count otherwise.
	// wantRows says which the caller expects, for backends that must choose
	// before running.
	run(ctx context.Context, q string, args []any, wantRows bool, maxRows int) (result, error)
	commit(ctx context.Context) error
	rollback(ctx context.Context) error
}

type result struct {
	rows     []Row
	affected int64
	hasRows  bool
}

// tooMany is the error for a result past maxRows.
func tooMany(maxRows int) error {
	return fmt.Errorf("%w: the result has more than %d rows", ErrTooManyRows, maxRows)
}
