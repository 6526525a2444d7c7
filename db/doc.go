// Package db is Braid's database pool, in the spirit of Twisted's adbapi:
// queries, operations and interactions (transactions) on a pool of
// connections, with contexts, plus a remote facade that publishes a pool
// over Perspective Broker so that a developer can prototype against live
// data from a REPL, or from a Twisted client.
//
//	pool, err := db.Open(ctx, "postgres://postgres@127.0.0.1:5432/test?sslmode=disable")
//	rows, err := pool.RunQuery(ctx, "select id, name from users where id = $1", 7)
//	n, err := pool.RunOperation(ctx, "update users set name = $1 where id = $2", "ada", 7)
//	err = pool.RunInteraction(ctx, func(ctx context.Context, tx db.Tx) error {
//		_, err := tx.RunOperation(ctx, "insert into log (msg) values ($1)", "hi")
//		return err // nil commits; an error (or a panic) rolls back
//	}, db.WithIsolation(db.Serializable), db.WithRetry(5))
//	users, err := db.Query[User](ctx, pool, "select id, name from users")
//
// # Backends
//
// Open picks the backend from the DSN's scheme:
//
//	postgres://… postgresql://…   PostgreSQL through github.com/jackc/pgx/v5 (pgxpool)
//	sqlite:PATH  sqlite::memory:   SQLite, embedded, through modernc.org/sqlite
//	sql:DRIVER:DSN                 any registered database/sql driver
//
// FromSQL and FromPgx wrap handles you opened yourself. All backends share
// one Pool API; each implements a small internal interface.
//
// SQLite is the zero-setup default (DefaultDSN): modernc.org/sqlite is
// SQLite's C source translated to Go, so it needs no cgo and no C
// toolchain, cross-compiles like any Go code, is maintained and tracks SQLite
// releases, and is widely used as the cgo-free database/sql SQLite driver.
// It binds $N placeholders to the N-th argument, which lets one placeholder
// rule hold on every backend. Version v1.46.1 is the
// newest whose go.mod accepts Go 1.24. An SQLite file is opened in WAL mode
// with a 5 s busy timeout, foreign keys on, and write transactions that take
// the write lock when they begin (_txlock=immediate), so that concurrent
// writers queue instead of failing; an in-memory database has exactly one
// connection, because every connection to :memory: is a database of its own.
//
// # Placeholders
//
// Write $1, $2, … on every backend; an argument may be used several times
// and in any order. PostgreSQL and modernc.org/sqlite understand this
// natively, so queries go to them unchanged. For drivers that only know ?
// (Dialect.Placeholders == Question, e.g. MySQL), Braid rewrites each $N
// outside string literals, quoted identifiers and comments into ? and
// passes the arguments in the order the marks appear. Text without $N is
// never rewritten, so a query already written with ? also works there.
//
// # Results
//
// RunQuery returns []Row: each Row has the column names (shared by the
// result's rows) and the values in column order, normalised so that every
// backend gives the same Go types: nil, int64, float64, bool, string,
// []byte, time.Time in UTC, and jelly.Decimal for PostgreSQL numerics (see
// Row). Scan and Query fill structs by `db:"col"` tag or by field name
// (ignoring case and underscores). Results are read whole; use Driver for
// streaming.
//
// # Interactions and retries
//
// RunInteraction gives fn a Tx; the transaction commits when fn returns nil
// and rolls back when it returns an error or panics (the panic then goes
// on). With WithRetry, a transaction that failed with a transient conflict —
// SQLSTATE 40001 serialization_failure or 40P01 deadlock_detected on
// PostgreSQL, SQLITE_BUSY or SQLITE_LOCKED on SQLite, or an error wrapped with
// Retryable — is run again, with exponential backoff and jitter, at most the
// given number of times. fn must therefore not have effects outside the
// database that cannot be repeated. Interact is the generic form that
// returns fn's value. Inside fn, use tx and not the pool: the pool may have
// no other connection to give (SQLite in memory has one).
//
// Async, and the pool's RunQueryAsync, RunOperationAsync and
// RunInteractionAsync, start work in a goroutine and return a Future
// whose Wait collects it; WaitAll collects several. The goroutine ends when
// the work does, whether or not anyone waits.
//
// # Notifications
//
// On PostgreSQL, Listen delivers LISTEN/NOTIFY notifications on a Go
// channel, from a connection of its own, until its context ends; Notify
// sends one. Hub shares one listening connection per channel among many
// callback subscribers and reconnects when the connection fails. Feed, built
// on a Hub, is a channel as a PB Cacheable (class braid.db.Notifications,
// pb.Live's protocol): every observer's copy gets observe_setValue with each
// notification as {"channel", "payload", "pid"}, and the feed listens only
// while it has observers. On SQLite these return errors matching
// ErrNotSupported.
//
// # The remote facade
//
// NewFacade(pool, policy) is a pb.Handler answering runQuery(sql, *args),
// runOperation(sql, *args), runInteraction(statements),
// runNamed(name, *args), runNamedInteraction(statements) and
// namedStatements(); see Facade for the exact shapes. Rows come back as a
// list of dicts (jelly.List of jelly.Dict keyed by column name), which a
// Twisted client receives as a Python list of dicts:
//
//	db().runQuery("select 1 as one")  →  [{"one": 1}]
//
// Each call runs in one transaction. A Policy, resolved per call for the
// caller's avatar (PerAvatar), decides what may run: ReadOnly (single
// SELECT / WITH … SELECT / VALUES / TABLE / SHOW / EXPLAIN statements, run
// in a READ ONLY transaction on PostgreSQL and under PRAGMA query_only on
// SQLite, so the database refuses writes even if the lexical check were
// fooled), ReadWrite (anything), NamedOnly (only statements the server
// names), or your own PolicyFunc. The facade itself also requires exactly
// one statement per SQL text and refuses transaction control; on PostgreSQL
// its statements use the extended protocol, in which the server accepts only
// one statement per text. Refusals reach PB callers as failures of type
// braid.db.PermissionDenied; the other failure types are listed with
// TypeError.
//
// # Errors
//
// Errors wrap the driver's errors with %w (errors.As finds
// *pgconn.PgError, for instance) and match the package's sentinels:
// ErrPermissionDenied, ErrNotSupported, ErrBadDSN, ErrBadRequest,
// ErrTooManyRows, ErrTxDone, ErrHubClosed. Retries, failed rollbacks,
// listener failures and facade refusals are logged with log/slog.
package db
