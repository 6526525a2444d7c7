package db

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Statement is one statement a facade caller asked to run, as a Policy
// sees it.
type Statement struct {
	// Method is the wire method that carries it: "runQuery",
	// "runOperation", "runInteraction", "runNamed" or
	// "runNamedInteraction".
	Method string
	// SQL is the statement text; for named statements, the text the name
	// stands for.
	SQL string
	// Args are the caller's arguments, as received.
	Args []any
	// Name is the name the caller used for a named statement, "" otherwise.
	Name string
	// Dialect is the pool's dialect, for lexing SQL.
	Dialect Dialect
}

// Verb returns the statement's first keyword in upper case ("SELECT",
// "INSERT", …), or "" when it has none.
func (s Statement) Verb() string {
	info, err := inspect(s.SQL, s.Dialect)
	if err != nil {
		return ""
	}
	return info.verb
}

// CheckReadOnly returns nil when the statement is exactly one statement that
// only reads (SELECT, WITH … SELECT, VALUES, TABLE, SHOW or EXPLAIN, with no
// data-modifying keyword such as INSERT, UPDATE, DELETE, MERGE or INTO
// outside quotes and comments), and otherwise an error matching
// ErrPermissionDenied that says why. It is a lexical check, so it refuses
// some harmless statements (a column named "update" must be quoted); ReadOnly
// pairs it with a read-only transaction.
func (s Statement) CheckReadOnly() error {
	if err := checkReadOnly(s.SQL, s.Dialect); err != nil {
		return fmt.Errorf("%w: read-only access: %w", ErrPermissionDenied, err)
	}
	return nil
}

// Policy decides which statements a facade caller may run. Allow returns
// nil to allow stmt, or an error to refuse it (the facade makes it match
// ErrPermissionDenied if it does not already). avatar is the caller's
// perspective (the logged-in avatar), nil without a login.
//
// A Policy may also implement ReadOnlyTx, to have the facade run its
// statements in a read-only transaction, and NamedStatements, to offer
// statements by name.
type Policy interface {
	Allow(ctx context.Context, avatar any, stmt Statement) error
}

// ReadOnlyTx is implemented by policies whose statements must run in a
// read-only transaction (BEGIN READ ONLY on PostgreSQL, PRAGMA query_only on
// SQLite), so that the database refuses writes even if a statement got past
// Allow.
type ReadOnlyTx interface {
	ReadOnlyTx() bool
}

// NamedStatements is implemented by policies that offer statements by
// name, for the facade's runNamed and runNamedInteraction.
type NamedStatements interface {
	// Named returns the SQL text for name.
	Named(name string) (sql string, ok bool)
	// Names lists the names, sorted.
	Names() []string
}

// PolicyFunc is a Policy made of a function. Its statements run in an
// ordinary (read-write) transaction.
type PolicyFunc func(ctx context.Context, avatar any, stmt Statement) error

// Allow calls f.
func (f PolicyFunc) Allow(ctx context.Context, avatar any, stmt Statement) error {
	return f(ctx, avatar, stmt)
}

type readOnlyPolicy struct{}

func (readOnlyPolicy) Allow(_ context.Context, _ any, stmt Statement) error {
	return stmt.CheckReadOnly()
}

func (readOnlyPolicy) ReadOnlyTx() bool { return true }

type readWritePolicy struct{}

func (readWritePolicy) Allow(context.Context, any, Statement) error { return nil }

var (
	// ReadOnly allows single statements that pass Statement.CheckReadOnly
	// and runs them in a read-only transaction. It keeps a caller from
	// changing data, not from calling functions with other effects
	// (pg_sleep, advisory locks, or what the database role may do): connect
	// with a role that holds only the privileges remote callers should have.
	ReadOnly Policy = readOnlyPolicy{}
	// ReadWrite allows every statement. Give it only to trusted callers.
	ReadWrite Policy = readWritePolicy{}
)

// namedOnly allows only its named statements.
type namedOnly struct {
	stmts map[string]string
	names []string
}

// NamedOnly allows only the statements of stmts (name → SQL text), which
// callers run by name with runNamed and runNamedInteraction; SQL text sent
// by the caller is refused. The map is copied.
func NamedOnly(stmts map[string]string) Policy {
	n := &namedOnly{stmts: make(map[string]string, len(stmts))}
	for k, v := range stmts {
		n.stmts[k] = v
		n.names = append(n.names, k)
	}
	sort.Strings(n.names)
	return n
}

func (n *namedOnly) Allow(_ context.Context, _ any, stmt Statement) error {
	if stmt.Name == "" {
		return fmt.Errorf("%w: only named statements may be run (see %s)", ErrPermissionDenied, strings.Join(n.names, ", "))
	}
	if sql, ok := n.stmts[stmt.Name]; !ok || sql != stmt.SQL {
		return fmt.Errorf("%w: no statement named %q", ErrPermissionDenied, stmt.Name)
	}
	return nil
}

func (n *namedOnly) Named(name string) (string, bool) {
	s, ok := n.stmts[name]
	return s, ok
}

func (n *namedOnly) Names() []string { return append([]string(nil), n.names...) }

// policyResolver is a policy that stands for another, chosen per call.
type policyResolver interface {
	resolvePolicy(ctx context.Context, avatar any) Policy
}

type perAvatar func(ctx context.Context, avatar any) Policy

// PerAvatar returns a Policy that asks choose, on every call, which policy
// applies to the caller's avatar (nil when not logged in): for example
// ReadWrite for administrators, ReadOnly for everyone else. When choose
// returns nil, everything is refused.
func PerAvatar(choose func(ctx context.Context, avatar any) Policy) Policy {
	return perAvatar(choose)
}

func (f perAvatar) Allow(ctx context.Context, avatar any, stmt Statement) error {
	return resolvePolicy(ctx, f, avatar).Allow(ctx, avatar, stmt)
}

func (f perAvatar) resolvePolicy(ctx context.Context, avatar any) Policy { return f(ctx, avatar) }

var denyAll = PolicyFunc(func(context.Context, any, Statement) error {
	return fmt.Errorf("%w: no database access for this caller", ErrPermissionDenied)
})

// resolvePolicy follows PerAvatar choices to a concrete policy.
func resolvePolicy(ctx context.Context, p Policy, avatar any) Policy {
	for range 8 {
		if p == nil {
			return denyAll
		}
		r, ok := p.(policyResolver)
		if !ok {
			return p
		}
		p = r.resolvePolicy(ctx, avatar)
	}
	return denyAll
}

// asDenied makes a policy's refusal match ErrPermissionDenied.
func asDenied(err error) error {
	if errors.Is(err, ErrPermissionDenied) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrPermissionDenied, err)
}
