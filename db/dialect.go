package db

import (
	"errors"
	"strings"
)

// Placeholders says how a backend's driver spells query parameters.
type Placeholders int

const (
	// Dollar drivers understand $1, $2, … themselves (PostgreSQL, and
	// modernc.org/sqlite): queries are passed through unchanged.
	Dollar Placeholders = iota
	// Question drivers only understand positional ? marks (MySQL and
	// others): Braid rewrites each $N outside quotes and comments into ?
	// and passes the N-th argument in its place, so $N may be repeated and
	// used in any order. A query without $N is passed through unchanged.
	Question
)

// Dialect describes what Braid needs to know about a database: how
// placeholders are written, how statements are lexed (for the facade's
// read-only check), and which errors mean "run the transaction again".
// Use one of the provided dialects, or copy one and change a field.
type Dialect struct {
	// Name is "postgres", "sqlite", "mysql", or a driver's name. It selects
	// the lexical rules (quoting, comments) and how read-only transactions
	// are enforced.
	Name string
	// Placeholders is how the driver spells parameters.
	Placeholders Placeholders
	// Retryable reports whether err is a transient conflict (a
	// serialization failure, deadlock, or busy database) after which the
	// whole transaction may be run again. Nil means none is.
	Retryable func(err error) bool
}

// The provided dialects.
var (
	// Postgres: $N placeholders; SQLSTATE 40001 (serialization_failure)
	// and 40P01 (deadlock_detected) are retryable; read-only transactions
	// are BEGIN READ ONLY.
	Postgres = Dialect{Name: "postgres", Placeholders: Dollar, Retryable: postgresRetryable}
	// SQLite: $N placeholders (modernc.org/sqlite binds $N to the N-th
	// argument); SQLITE_BUSY and SQLITE_LOCKED are retryable; read-only
	// transactions also set PRAGMA query_only on their connection.
	SQLite = Dialect{Name: "sqlite", Placeholders: Dollar, Retryable: sqliteRetryable}
	// MySQL: $N is rewritten to ?; errors with SQLSTATE 40001 (through an
	// SQLState() string method) are retryable.
	MySQL = Dialect{Name: "mysql", Placeholders: Question, Retryable: postgresRetryable}
)

// dialectForDriver picks a dialect for a database/sql driver name.
func dialectForDriver(driver string) Dialect {
	switch strings.ToLower(driver) {
	case "pgx", "pgx/v5", "postgres", "postgresql", "pq":
		return Postgres
	case "sqlite", "sqlite3":
		return SQLite
	case "mysql":
		return MySQL
	}
	return Dialect{Name: driver, Placeholders: Dollar, Retryable: postgresRetryable}
}

type sqlStater interface{ SQLState() string }

func postgresRetryable(err error) bool {
	var e sqlStater
	if errors.As(err, &e) {
		switch e.SQLState() {
		case "40001", "40P01":
			return true
		}
	}
	return false
}

type sqliteCoder interface{ Code() int }

// SQLite primary result codes (the low byte of extended codes).
const (
	sqliteBusy   = 5
	sqliteLocked = 6
)

func sqliteRetryable(err error) bool {
	var e sqliteCoder
	if errors.As(err, &e) {
		switch e.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
	}
	return false
}
