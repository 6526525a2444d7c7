package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// Type names of the errors the facade sends to PB callers. Each has
// TypeError as its parent, so a Twisted errback can trap them all at once.
const (
	TypeError            = "braid.db.Error"
	TypePermissionDenied = "braid.db.PermissionDenied"
	TypeBadRequest       = "braid.db.BadRequest"
	TypeDatabaseError    = "braid.db.DatabaseError"
	TypeTooManyRows      = "braid.db.TooManyRows"
	TypeNotSupported     = "braid.db.NotSupported"
)

// Facade publishes a Pool over PB. It answers these calls (snake_case
// spellings such as run_query work too):
//
//	runQuery(sql, *args)            -> [{column: value, ...}, ...]
//	runOperation(sql, *args)        -> number of rows affected
//	runInteraction(statements)      -> [result, ...], one per statement
//	runNamed(name, *args)           -> like runQuery, for a named statement
//	runNamedInteraction(statements) -> like runInteraction, with names for SQL
//	namedStatements()               -> the names runNamed accepts
//
// Rows arrive as dicts from column name to value, in column order, with
// values as package jelly maps them (int, float, str, bytes, bool, None,
// datetime, decimal.Decimal, …). Placeholders are $1, $2, … on every
// backend. Keyword arguments are refused.
//
// The statements of runInteraction are a list whose items are each
//
//   - a string: a statement without arguments;
//   - a list [sql, arg1, arg2, ...]: the statement and its arguments;
//   - a tuple (sql,) or (sql, args), args being a list, a tuple or None.
//
// They run in order in one transaction, which commits if all succeed and
// rolls back otherwise. The result of a statement that yields columns
// (SELECT, … RETURNING) is its list of rows, and of any other statement its
// count of affected rows. runNamedInteraction takes the same shapes with a
// statement's name in place of its SQL.
//
// Every call runs in a transaction. Before anything runs, the Policy
// resolved for the caller's avatar must Allow each statement, each text
// must hold exactly one statement, and none may be transaction control
// (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, …). Errors reach the caller as PB
// failures typed TypePermissionDenied, TypeBadRequest, TypeTooManyRows or
// TypeDatabaseError; errors.Is on the Go side matches ErrPermissionDenied,
// ErrBadRequest and ErrTooManyRows.
//
// A Facade travels by reference as a pb.Viewable: handed out by an avatar,
// it is bound to that avatar, whose identity its calls then see through
// pb.PerspectiveFromContext, so per-avatar policies work whichever object
// gave the facade out.
type Facade struct {
	pb.Viewable
	pool    *Pool
	policy  Policy
	maxRows int
	timeout time.Duration
}

// FacadeOption configures NewFacade.
type FacadeOption func(*Facade)

// WithMaxRows bounds the rows one statement may return to a facade caller
// (default 10,000; 0 or less means no bound). A larger result fails with
// TypeTooManyRows instead of being cut short.
func WithMaxRows(n int) FacadeOption { return func(f *Facade) { f.maxRows = n } }

// WithTimeout bounds each facade call (default 30s; 0 or less means no
// bound beyond the connection's life).
func WithTimeout(d time.Duration) FacadeOption { return func(f *Facade) { f.timeout = d } }

// NewFacade returns a facade over pool whose callers are governed by
// policy; a nil policy means ReadOnly.
func NewFacade(pool *Pool, policy Policy, opts ...FacadeOption) *Facade {
	if policy == nil {
		policy = ReadOnly
	}
	f := &Facade{pool: pool, policy: policy, maxRows: 10000, timeout: 30 * time.Second}
	for _, o := range opts {
		o(f)
	}
	return f
}

// canonical maps wire names to a form that ignores case and underscores,
// so "runQuery" and "run_query" are the same method.
func canonical(method string) string {
	return strings.ToLower(strings.ReplaceAll(method, "_", ""))
}

// HandleCall implements pb.Handler.
func (f *Facade) HandleCall(ctx context.Context, req *pb.Request) (any, error) {
	v, err := f.handle(ctx, req)
	if err != nil {
		return nil, f.remoteError(ctx, req.Method, err)
	}
	return v, nil
}

func (f *Facade) handle(ctx context.Context, req *pb.Request) (any, error) {
	if len(req.Kwargs) > 0 {
		return nil, fmt.Errorf("%w: %s takes no keyword arguments", ErrBadRequest, req.Method)
	}
	avatar := pb.PerspectiveFromContext(ctx)
	pol := resolvePolicy(ctx, f.policy, avatar)
	if f.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.timeout)
		defer cancel()
	}
	switch canonical(req.Method) {
	case "runquery", "runoperation":
		method := "runQuery"
		if canonical(req.Method) == "runoperation" {
			method = "runOperation"
		}
		if len(req.Args) < 1 {
			return nil, fmt.Errorf("%w: %s(sql, *args) needs the SQL text", ErrBadRequest, method)
		}
		text, err := sqlText(req.Args[0])
		if err != nil {
			return nil, err
		}
		st := Statement{Method: method, SQL: text, Args: req.Args[1:], Dialect: f.pool.dialect}
		res, err := f.execute(ctx, pol, avatar, []Statement{st}, method == "runQuery")
		if err != nil {
			return nil, err
		}
		if method == "runOperation" {
			return res[0].affected, nil
		}
		return rowsList(res[0].rows), nil
	case "runnamed":
		if len(req.Args) < 1 {
			return nil, fmt.Errorf("%w: runNamed(name, *args) needs a name", ErrBadRequest)
		}
		name, err := sqlText(req.Args[0])
		if err != nil {
			return nil, err
		}
		st, err := f.named(pol, "runNamed", name, req.Args[1:])
		if err != nil {
			return nil, err
		}
		res, err := f.execute(ctx, pol, avatar, []Statement{st}, false)
		if err != nil {
			return nil, err
		}
		return resultValue(res[0]), nil
	case "runinteraction", "runnamedinteraction":
		named := canonical(req.Method) == "runnamedinteraction"
		method := "runInteraction"
		if named {
			method = "runNamedInteraction"
		}
		if len(req.Args) != 1 {
			return nil, fmt.Errorf("%w: %s takes one argument, a list of statements", ErrBadRequest, method)
		}
		items, err := statementItems(req.Args[0])
		if err != nil {
			return nil, err
		}
		stmts := make([]Statement, len(items))
		for i, it := range items {
			if named {
				stmts[i], err = f.named(pol, method, it.text, it.args)
				if err != nil {
					return nil, fmt.Errorf("statement %d: %w", i, err)
				}
				continue
			}
			stmts[i] = Statement{Method: method, SQL: it.text, Args: it.args, Dialect: f.pool.dialect}
		}
		res, err := f.execute(ctx, pol, avatar, stmts, false)
		if err != nil {
			return nil, err
		}
		out := make(jelly.List, len(res))
		for i, r := range res {
			out[i] = resultValue(r)
		}
		return out, nil
	case "namedstatements":
		out := jelly.List{}
		if ns, ok := pol.(NamedStatements); ok {
			for _, n := range ns.Names() {
				out = append(out, n)
			}
		}
		return out, nil
	}
	return nil, pb.NewError(pb.TypeNoSuchMethod, fmt.Sprintf("the database facade has no method %q", req.Method))
}

// named builds the statement for a name offered by the policy.
func (f *Facade) named(pol Policy, method, name string, args []any) (Statement, error) {
	ns, ok := pol.(NamedStatements)
	if !ok {
		return Statement{}, fmt.Errorf("%w: no named statements are offered to this caller", ErrPermissionDenied)
	}
	text, ok := ns.Named(name)
	if !ok {
		return Statement{}, fmt.Errorf("%w: no statement named %q", ErrPermissionDenied, name)
	}
	return Statement{Method: method, SQL: text, Args: args, Name: name, Dialect: f.pool.dialect}, nil
}

// execute checks stmts against pol and runs them in one transaction.
// allRows says that every statement is expected to return rows (runQuery);
// otherwise each statement's kind is judged from its text.
func (f *Facade) execute(ctx context.Context, pol Policy, avatar any, stmts []Statement, allRows bool) ([]result, error) {
	wantRows := make([]bool, len(stmts))
	for i, st := range stmts {
		if err := pol.Allow(ctx, avatar, st); err != nil {
			return nil, asDenied(err)
		}
		info, err := inspect(st.SQL, st.Dialect)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%w: cannot read the statement: %w", ErrBadRequest, err)
		case info.statements != 1:
			return nil, fmt.Errorf("%w: each SQL text must hold exactly one statement, not %d", ErrBadRequest, info.statements)
		case txControlVerbs[info.verb] || (info.verb == "PREPARE" && len(info.toks) > 1 && strings.EqualFold(info.toks[1].text, "transaction")):
			return nil, fmt.Errorf("%w: %s: transaction control is not allowed; each call runs in its own transaction", ErrBadRequest, info.verb)
		}
		wantRows[i] = allRows || (st.Method != "runOperation" && producesRows(info))
	}
	var opts []TxOption
	if ro, ok := pol.(ReadOnlyTx); ok && ro.ReadOnlyTx() {
		opts = append(opts, WithReadOnly())
	}
	results := make([]result, len(stmts))
	err := f.pool.RunInteraction(ctx, func(ctx context.Context, tx Tx) error {
		bt := tx.(*txHandle).bt
		for i, st := range stmts {
			r, err := bt.run(ctx, st.SQL, st.Args, wantRows[i], f.maxRows)
			if err != nil {
				if len(stmts) > 1 {
					return fmt.Errorf("statement %d: %w", i, err)
				}
				return err
			}
			results[i] = r
		}
		return nil
	}, opts...)
	if err != nil {
		return nil, err
	}
	return results, nil
}

// producesRows guesses whether a statement yields columns, for backends
// that must choose between a query and an exec before running it.
func producesRows(info sqlInfo) bool {
	switch info.verb {
	case "SELECT", "WITH", "VALUES", "TABLE", "SHOW", "EXPLAIN", "PRAGMA":
		return true
	}
	for _, t := range info.toks {
		if t.kind == tokWord && strings.EqualFold(t.text, "returning") {
			return true
		}
	}
	return false
}

func resultValue(r result) any {
	if r.hasRows {
		return rowsList(r.rows)
	}
	return r.affected
}

func rowsList(rows []Row) jelly.List {
	out := make(jelly.List, len(rows))
	for i, r := range rows {
		out[i] = r.Dict()
	}
	return out
}

func sqlText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	}
	return "", fmt.Errorf("%w: expected a string, got %T", ErrBadRequest, v)
}

type stmtItem struct {
	text string
	args []any
}

func asSlice(v any) ([]any, bool) {
	switch x := v.(type) {
	case jelly.List:
		return x, true
	case jelly.Tuple:
		return x, true
	case []any:
		return x, true
	}
	return nil, false
}

// statementItems reads runInteraction's list of statements.
func statementItems(v any) ([]stmtItem, error) {
	list, ok := asSlice(v)
	if !ok {
		return nil, fmt.Errorf("%w: statements must be a list, got %T", ErrBadRequest, v)
	}
	items := make([]stmtItem, len(list))
	for i, e := range list {
		var it stmtItem
		var err error
		switch x := e.(type) {
		case string, []byte:
			it.text, err = sqlText(x)
		case jelly.Tuple:
			if len(x) < 1 || len(x) > 2 {
				return nil, fmt.Errorf("%w: statement %d: a tuple must be (sql,) or (sql, args)", ErrBadRequest, i)
			}
			it.text, err = sqlText(x[0])
			if err == nil && len(x) == 2 && x[1] != nil {
				var ok bool
				if it.args, ok = asSlice(x[1]); !ok {
					err = fmt.Errorf("%w: in (sql, args), args must be a list or tuple, got %T", ErrBadRequest, x[1])
				}
			}
		case jelly.List, []any:
			l, _ := asSlice(x)
			if len(l) < 1 {
				return nil, fmt.Errorf("%w: statement %d is an empty list", ErrBadRequest, i)
			}
			it.text, err = sqlText(l[0])
			it.args = l[1:]
		default:
			err = fmt.Errorf("%w: a statement must be a string, a list or a tuple, got %T", ErrBadRequest, e)
		}
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		items[i] = it
	}
	return items, nil
}

// remoteError gives err the PB type name a caller can trap, keeping err
// reachable with errors.Is on the Go side.
func (f *Facade) remoteError(ctx context.Context, method string, err error) error {
	var re *pb.RemoteError
	if errors.As(err, &re) && re.Err == nil {
		return err // already typed (NoSuchMethod)
	}
	typ := TypeDatabaseError
	switch {
	case errors.Is(err, ErrPermissionDenied):
		typ = TypePermissionDenied
		f.pool.log.InfoContext(ctx, "db: facade refused a statement", "method", method, "reason", err)
	case errors.Is(err, ErrBadRequest):
		typ = TypeBadRequest
	case errors.Is(err, ErrTooManyRows):
		typ = TypeTooManyRows
	case errors.Is(err, ErrNotSupported):
		typ = TypeNotSupported
	}
	e := pb.NewError(typ, err.Error())
	e.Parents = append([]string{typ, TypeError}, e.Parents[1:]...)
	e.Err = err
	return e
}

// PBDescribe implements pb.Describer, for braid shell's describe.
func (f *Facade) PBDescribe(ctx context.Context) pb.Description {
	return pb.Description{
		Type: "*db.Facade",
		Doc:  "SQL database access: rows come back as lists of dicts; placeholders are $1, $2, ...",
		Methods: []pb.MethodDoc{
			{Name: "namedStatements", Doc: "The names runNamed accepts."},
			{Name: "runInteraction", Args: []string{"list"}, Doc: "Run [sql, *args] lists or (sql, args) tuples in one transaction; returns one result per statement."},
			{Name: "runNamed", Args: []string{"string", "any"}, Variadic: true, Doc: "Run a named statement."},
			{Name: "runNamedInteraction", Args: []string{"list"}, Doc: "Run named statements in one transaction."},
			{Name: "runOperation", Args: []string{"string", "any"}, Variadic: true, Doc: "Run a statement; returns the number of rows affected."},
			{Name: "runQuery", Args: []string{"string", "any"}, Variadic: true, Doc: "Run a query; returns a list of dicts."},
		},
	}
}
