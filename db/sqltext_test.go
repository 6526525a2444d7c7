package db

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckReadOnly(t *testing.T) {
	allowed := []string{
		"select 1",
		"SELECT 1;",
		"  select 1 ;; ",
		"(select 1) union (select 2)",
		"with recursive r(n) as (select 1 union all select n+1 from r where n < 3) select * from r",
		"values (1), (2)",
		"explain select * from t",
		"select 'insert into t values (1); delete from t' as s",
		`select "update", "delete" from t`,
		"select 1 -- ; delete from t",
		"select 1 /* ; delete from t */",
		"select replace(name, 'a', 'b') from t",
		"select a$b from t",
		"select 1e5, .5, 0x1F",
	}
	denied := []string{
		"",
		" ; ",
		"insert into t values (1)",
		"update t set a = 1",
		"delete from t",
		"merge into t using s on true when matched then delete",
		"drop table t",
		"create table t (a int)",
		"truncate t",
		"set transaction read write",
		"reset all",
		"begin",
		"commit",
		"vacuum",
		"with x as (insert into t values (1) returning *) select * from x",
		"with x as (update t set a = 1 returning *) select * from x",
		"with x as (delete from t returning *) select * from x",
		"select 1; delete from t",
		"select 1;delete from t",
		"select * into t2 from t",
		"select * from t for update",
		"select * from t for share",
		"explain analyze delete from t",
		"/* hi */ delete from t",
		"select 'unterminated",
		"select 1 /* unterminated",
		"select 1delete from t",
		"copy t to stdout",
		"call p()",
		"lock table t",
		"do $$ begin delete from t; end $$",
	}
	pgDenied := []string{
		`select E'\'' ; delete from t; --'`,
		`select e'\\' ; delete from t; --'`,
		"select $$ a $$; delete from t",
		"select $tag$ $$ $tag$; delete from t",
		"select /* /* */ ; delete from t */ 1; delete from t",
	}
	pgAllowed := []string{
		`select E'it\'s; delete' as s`,
		"select $$; delete from t$$ as s",
		"select $q$ ; delete $q$",
		"select /* /* nested ; delete */ still comment; delete */ 1",
		"select 1::int, $1, $2",
		"show search_path",
		"table t",
	}
	sqliteDenied := []string{
		"pragma query_only = 0",
		"replace into t values (1)",
		"with c as (select 1) replace into t select * from c",
		"attach database 'x.db' as x",
		"detach database x",
		"select [a; delete from t",
	}
	sqliteAllowed := []string{
		"select [delete], `update` from t",
		"select :name, @other, $third, ?, ?2",
		"select * from pragma_table_info('t')",
		`select 'a\' as s`, // no backslash escapes in SQLite
	}
	for _, d := range []Dialect{Postgres, SQLite, MySQL} {
		for _, s := range allowed {
			assert.NoError(t, checkReadOnly(s, d), "%s: %q", d.Name, s)
		}
		for _, s := range denied {
			assert.Error(t, checkReadOnly(s, d), "%s: %q", d.Name, s)
		}
	}
	for _, s := range pgDenied {
		assert.Error(t, checkReadOnly(s, Postgres), "%q", s)
	}
	for _, s := range pgAllowed {
		assert.NoError(t, checkReadOnly(s, Postgres), "%q", s)
	}
	for _, s := range sqliteDenied {
		assert.Error(t, checkReadOnly(s, SQLite), "%q", s)
	}
	for _, s := range sqliteAllowed {
		assert.NoError(t, checkReadOnly(s, SQLite), "%q", s)
	}
	// MySQL strings take backslash escapes; standard SQL strings do not.
	assert.NoError(t, checkReadOnly(`select 'a\'; delete from t; -- '`, MySQL))
	assert.Error(t, checkReadOnly(`select 'a\'; delete from t; -- '`, Postgres))
	assert.Error(t, checkReadOnly("select 1 # comment\n; delete from t", MySQL))

	err := Statement{SQL: "delete from t", Dialect: SQLite}.CheckReadOnly()
	require.ErrorIs(t, err, ErrPermissionDenied)
	assert.Contains(t, err.Error(), "DELETE")
	assert.Equal(t, "DELETE", Statement{SQL: " /* x */ delete from t", Dialect: Postgres}.Verb())
	assert.Equal(t, "", Statement{SQL: "'x", Dialect: Postgres}.Verb())
}

func TestInspect(t *testing.T) {
	for _, c := range []struct {
		sql   string
		n     int
		verb  string
		rows  bool
		valid bool
	}{
		{"select 1", 1, "SELECT", true, true},
		{"select 1;", 1, "SELECT", true, true},
		{"select 1; select 2", 2, "SELECT", true, true},
		{"insert into t values (1) returning id", 1, "INSERT", true, true},
		{"insert into t values (1)", 1, "INSERT", false, true},
		{"-- only a comment", 0, "", false, true},
		{"((select 1))", 1, "SELECT", true, true},
		{"select '", 0, "", false, false},
	} {
		info, err := inspect(c.sql, Postgres)
		if !c.valid {
			assert.Error(t, err, c.sql)
			continue
		}
		require.NoError(t, err, c.sql)
		assert.Equal(t, c.n, info.statements, c.sql)
		assert.Equal(t, c.verb, info.verb, c.sql)
		assert.Equal(t, c.rows, producesRows(info), c.sql)
	}
}

func TestRewriteQuestion(t *testing.T) {
	for _, c := range []struct {
		in, out string
		args    []any
		want    []any
	}{
		{"select $1, $2", "select ?, ?", []any{1, 2}, []any{1, 2}},
		{"select $2, $1, $2", "select ?, ?, ?", []any{1, 2}, []any{2, 1, 2}},
		{"select '$1', \"$2\", $1 -- $2\n", "select '$1', \"$2\", ? -- $2\n", []any{"a", "b"}, []any{"a"}},
		{"select ? , ?", "select ? , ?", []any{1, 2}, []any{1, 2}},
		{"select 1", "select 1", nil, nil},
		{"select price$ from t", "select price$ from t", nil, nil},
	} {
		out, args, err := rewriteQuestion(c.in, c.args, MySQL)
		require.NoError(t, err, c.in)
		assert.Equal(t, c.out, out, c.in)
		assert.Equal(t, c.want, args, c.in)
	}
	_, _, err := rewriteQuestion("select $2", []any{1}, MySQL)
	assert.ErrorContains(t, err, "$2")
	_, _, err = rewriteQuestion("select $1 '", []any{1}, MySQL)
	assert.Error(t, err)
}

func TestSQLiteDSN(t *testing.T) {
	dsn, memory, err := sqliteDSN(":memory:")
	require.NoError(t, err)
	assert.True(t, memory)
	assert.Contains(t, dsn, "file::memory:?")
	assert.Contains(t, dsn, "busy_timeout%285000%29")
	assert.NotContains(t, dsn, "journal_mode")

	dsn, memory, err = sqliteDSN("/tmp/a b#c.db?_pragma=busy_timeout(10)&_txlock=deferred")
	require.NoError(t, err)
	assert.False(t, memory)
	assert.Contains(t, dsn, "file:/tmp/a b%23c.db?")
	assert.Contains(t, dsn, "busy_timeout%2810%29")
	assert.NotContains(t, dsn, "busy_timeout%285000%29")
	assert.Contains(t, dsn, "_txlock=deferred")
	assert.Contains(t, dsn, "journal_mode%28WAL%29")

	_, _, err = sqliteDSN("x.db?%zz")
	assert.ErrorIs(t, err, ErrBadDSN)
}

func TestRedact(t *testing.T) {
	assert.NotContains(t, redact("mongodb://u:secret@h/x"), "secret")
	assert.Equal(t, "sql:x", redact("sql:x"))
}
