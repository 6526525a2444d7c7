package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/internal/testcert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var users = map[string]string{"alice": "secret", "bob": "hunter2"}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Realm for the tests: the avatar is the user name.
var testRealm = cred.RealmFunc(func(_ context.Context, id string, _ any) (any, func(), error) { return id, nil, nil })

func portal(apop bool) *cred.Portal {
	checkers := []cred.Checker{cred.NewInMemory(users)}
	if apop {
		checkers = append(checkers, APOPChecker{Secrets: Secrets(users)})
	}
	return cred.NewPortal(testRealm, checkers, cred.WithThrottle(cred.ThrottleConfig{Disabled: true}))
}

type testServer struct {
	*Server
	addr      string
	store     *Maildir
	clientTLS *tls.Config
}

func startServer(t *testing.T, configure ...func(*Server)) *testServer {
	t.Helper()
	store, err := NewMaildir(t.TempDir())
	require.NoError(t, err)
	serverTLS, clientTLS := testcert.Config(t)
	srv := &Server{Hostname: "pop.test", Store: store, Portal: portal(true), TLSConfig: serverTLS, Logger: quietLogger()}
	for _, f := range configure {
		f(srv)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		srv.Close()
		assert.ErrorIs(t, <-done, ErrServerClosed)
	})
	return &testServer{Server: srv, addr: l.Addr().String(), store: store, clientTLS: clientTLS}
}

func (ts *testServer) deliver(t *testing.T, mailbox, msg string) MessageInfo {
	t.Helper()
	info, err := ts.store.Deliver(context.Background(), mailbox, strings.NewReader(msg))
	require.NoError(t, err)
	return info
}

func (ts *testServer) count(t *testing.T, mailbox string) int {
	t.Helper()
	infos, err := ts.store.List(context.Background(), mailbox)
	require.NoError(t, err)
	return len(infos)
}

type raw struct {
	t        *testing.T
	c        net.Conn
	r        *bufio.Reader
	greeting string
}

func dialRaw(t *testing.T, addr string) *raw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := &raw{t: t, c: c, r: bufio.NewReader(c)}
	r.greeting = r.line()
	require.True(t, strings.HasPrefix(r.greeting, "+OK "), r.greeting)
	return r
}

func (r *raw) line() string {
	r.t.Helper()
	l, err := r.r.ReadString('\n')
	require.NoError(r.t, err)
	require.True(r.t, strings.HasSuffix(l, "\r\n"), "%q", l)
	return strings.TrimSuffix(l, "\r\n")
}

func (r *raw) cmd(line, prefix string) string {
	r.t.Helper()
	_, err := io.WriteString(r.c, line+"\r\n")
	require.NoError(r.t, err)
	got := r.line()
	require.True(r.t, strings.HasPrefix(got, prefix), "%s: want %q, got %q", line, prefix, got)
	return got
}

// block reads a multi-line body up to the terminating dot, in wire form.
func (r *raw) block() []string {
	r.t.Helper()
	var out []string
	for {
		l := r.line()
		if l == "." {
			return out
		}
		out = append(out, l)
	}
}

func timestampOf(greeting string) string {
	i := strings.IndexByte(greeting, '<')
	j := strings.IndexByte(greeting, '>')
	if i < 0 || j < i {
		return ""
	}
	return greeting[i : j+1]
}

func TestGreetingOffersAPOPOnlyWhenVerifiable(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	ts1 := timestampOf(r.greeting)
	assert.Regexp(t, `^<\d+\.\d+\.[0-9a-f]+@pop\.test>$`, ts1)
	r2 := dialRaw(t, ts.addr)
	assert.NotEqual(t, ts1, timestampOf(r2.greeting), "timestamps are unique")

	plain := startServer(t, func(s *Server) { s.Portal = portal(false) })
	r3 := dialRaw(t, plain.addr)
	assert.Empty(t, timestampOf(r3.greeting))
	r3.cmd("APOP alice 0123456789abcdef0123456789abcdef", "-ERR [AUTH]")
}

func TestAPOP(t *testing.T) {
	ts := startServer(t)
	ts.deliver(t, "alice", "Subject: one\r\n\r\nbody\r\n")
	r := dialRaw(t, ts.addr)
	stamp := timestampOf(r.greeting)
	r.cmd("APOP alice "+APOPDigest(stamp, "wrong"), "-ERR [AUTH]")
	r.cmd("APOP alice nothex", "-ERR ")
	r.cmd("APOP alice", "-ERR ")
	r.cmd("APOP nobody "+APOPDigest(stamp, "secret"), "-ERR [AUTH]")
	r.cmd("APOP alice "+APOPDigest("<other@host>", "secret"), "-ERR [AUTH]")
	r.cmd("APOP alice "+strings.ToUpper(APOPDigest(stamp, "secret")), "+OK alice has 1 messages")
	r.cmd("STAT", "+OK 1 ")
	r.cmd("QUIT", "+OK")
}

func TestUserPassNeedsTLS(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("CAPA", "+OK")
	caps := r.block()
	assert.NotContains(t, caps, "USER")
	assert.Contains(t, caps, "STLS")
	r.cmd("USER alice", "-ERR [AUTH]")

	// The Go client: STLS, then USER/PASS.
	ctx := context.Background()
	c, err := Dial(ctx, "tcp:"+ts.addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.StartTLS(ctx, ts.clientTLS))
	capsAfter, err := c.Capabilities(ctx)
	require.NoError(t, err)
	assert.Contains(t, capsAfter, "USER")
	assert.NotContains(t, capsAfter, "STLS")
	var pe *Error
	require.ErrorAs(t, c.Login(ctx, "alice", "wrong"), &pe)
	assert.Equal(t, "AUTH", pe.Code)
	require.NoError(t, c.Login(ctx, "alice", "secret"))
	require.NoError(t, c.Quit(ctx))
}

func TestTransaction(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	m1 := ts.deliver(t, "alice", "Subject: one\r\nX: y\r\n\r\nline 1\r\n.dotted\r\n..\r\nline 4\r\n")
	m2 := ts.deliver(t, "alice", "Subject: two\n\nbare LF\n")
	r := dialRaw(t, ts.addr)
	r.cmd("STAT", "-ERR ")
	r.cmd("PASS secret", "-ERR ")
	r.cmd("USER alice", "+OK")
	r.cmd("PASS secret", "+OK alice has 2 messages")
	r.cmd("USER alice", "-ERR ")
	r.cmd("STAT", "+OK 2 "+itoa(m1.Size+m2.Size))
	r.cmd("LIST", "+OK")
	assert.Equal(t, []string{"1 " + itoa(m1.Size), "2 " + itoa(m2.Size)}, r.block())
	r.cmd("LIST 2", "+OK 2 "+itoa(m2.Size))
	r.cmd("LIST 3", "-ERR ")
	r.cmd("LIST x", "-ERR ")
	r.cmd("UIDL", "+OK")
	assert.Equal(t, []string{"1 " + m1.ID, "2 " + m2.ID}, r.block())
	r.cmd("UIDL 1", "+OK 1 "+m1.ID)
	r.cmd("RETR 1", "+OK "+itoa(m1.Size)+" octets")
	assert.Equal(t, []string{"Subject: one", "X: y", "", "line 1", "..dotted", "...", "line 4"}, r.block())
	r.cmd("RETR 2", "+OK")
	assert.Equal(t, []string{"Subject: two", "", "bare LF"}, r.block(), "bare LF sent as CRLF")
	r.cmd("TOP 1 0", "+OK")
	assert.Equal(t, []string{"Subject: one", "X: y", ""}, r.block())
	r.cmd("TOP 1 2", "+OK")
	assert.Equal(t, []string{"Subject: one", "X: y", "", "line 1", "..dotted"}, r.block())
	r.cmd("TOP 1 99", "+OK")
	assert.Len(t, r.block(), 7)
	r.cmd("TOP 1", "-ERR ")
	r.cmd("DELE 1", "+OK")
	r.cmd("DELE 1", "-ERR ")
	r.cmd("RETR 1", "-ERR ")
	r.cmd("STAT", "+OK 1 "+itoa(m2.Size))
	r.cmd("LIST", "+OK")
	assert.Equal(t, []string{"2 " + itoa(m2.Size)}, r.block())
	r.cmd("RSET", "+OK")
	r.cmd("STAT", "+OK 2 ")
	r.cmd("DELE 2", "+OK")
	r.cmd("NOOP", "+OK")
	assert.Equal(t, 2, ts.count(t, "alice"), "nothing deleted before QUIT")
	r.cmd("QUIT", "+OK")
	require.Eventually(t, func() bool { return ts.count(t, "alice") == 1 }, 5*time.Second, 10*time.Millisecond)

	// UIDs are stable across sessions.
	r = dialRaw(t, ts.addr)
	r.cmd("APOP alice "+APOPDigest(timestampOf(r.greeting), "secret"), "+OK alice has 1 messages")
	r.cmd("UIDL", "+OK")
	assert.Equal(t, []string{"1 " + m1.ID}, r.block())
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func TestDroppedConnectionDeletesNothing(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	ts.deliver(t, "alice", "Subject: keep me\r\n\r\nx\r\n")
	r := dialRaw(t, ts.addr)
	r.cmd("USER alice", "+OK")
	r.cmd("PASS secret", "+OK")
	r.cmd("DELE 1", "+OK")
	r.c.Close()
	require.Eventually(t, func() bool { return len(ts.Sessions()) == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Equal(t, 1, ts.count(t, "alice"))
}

func TestMailboxLock(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	ts.deliver(t, "alice", "Subject: x\r\n\r\nx\r\n")
	admin := NewAdmin(ts.Server)
	ctx := context.Background()

	r1 := dialRaw(t, ts.addr)
	r1.cmd("USER alice", "+OK")
	r1.cmd("PASS secret", "+OK")
	r2 := dialRaw(t, ts.addr)
	r2.cmd("APOP alice "+APOPDigest(timestampOf(r2.greeting), "secret"), "-ERR [IN-USE]")
	r2.cmd("USER alice", "+OK")
	r2.cmd("PASS secret", "-ERR [IN-USE]")
	r3 := dialRaw(t, ts.addr)
	r3.cmd("USER bob", "+OK")
	r3.cmd("PASS hunter2", "+OK bob has 0 messages")

	boxes, err := admin.RemoteMailboxes(ctx)
	require.NoError(t, err)
	require.Len(t, boxes, 1)
	assert.Equal(t, "alice", boxes[0].Name)
	assert.True(t, boxes[0].Locked)
	assert.EqualValues(t, 1, boxes[0].Messages)
	sessions, err := admin.RemoteSessions(ctx)
	require.NoError(t, err)
	require.Len(t, sessions, 3)
	assert.Equal(t, "alice", sessions[0].User)
	assert.Equal(t, StateTransaction, sessions[0].State)
	assert.Equal(t, boxes[0].LockedBy, sessions[0].ID)
	assert.Equal(t, StateAuthorization, sessions[1].State)

	// Once the first session is gone, the lock is free.
	ok, err := admin.RemoteDisconnect(ctx, sessions[0].ID)
	require.NoError(t, err)
	assert.True(t, ok)
	require.Eventually(t, func() bool {
		b, _ := admin.RemoteMailboxes(ctx)
		return len(b) == 1 && !b[0].Locked
	}, 5*time.Second, 10*time.Millisecond)
	r2.cmd("USER alice", "+OK")
	r2.cmd("PASS secret", "+OK alice has 1 messages")
}

func TestBadInput(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxErrors = 5 })
	r := dialRaw(t, ts.addr)
	r.cmd("NOOP "+strings.Repeat("x", 300), "-ERR Line too long")
	r.cmd("CAPA", "+OK")
	r.block()
	r.cmd("BOGUS", "-ERR ")
	r.cmd("RETR 1", "-ERR ")
	r.cmd("STLS extra", "-ERR ")
	r.cmd("X", "-ERR ")
	_, err := io.WriteString(r.c, "Y\r\n")
	require.NoError(t, err)
	assert.Equal(t, "-ERR Unknown command", r.line())
	assert.Equal(t, "-ERR Too many errors, closing connection", r.line())
}

func TestShutdown(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.Shutdown(ctx))
	assert.Equal(t, "-ERR [SYS/TEMP] Server shutting down", r.line())
}

func TestClient(t *testing.T) {
	ts := startServer(t)
	m1 := ts.deliver(t, "alice", "Subject: one\r\n\r\n.dot\r\nb\r\n")
	ts.deliver(t, "alice", "Subject: two\r\n\r\nz\r\n")
	ctx := context.Background()
	c, err := Dial(ctx, "tcp:"+ts.addr)
	require.NoError(t, err)
	defer c.Close()
	assert.NotEmpty(t, c.APOPTimestamp())
	require.NoError(t, c.APOP(ctx, "alice", "secret"))
	n, size, err := c.Stat(ctx)
	require.NoError(t, err)
	assert.Equal(t, 2, n)
	assert.Positive(t, size)
	list, err := c.List(ctx)
	require.NoError(t, err)
	assert.Equal(t, []MessageListing{{Number: 1, Size: m1.Size}, {Number: 2, Size: list[1].Size}}, list)
	uids, err := c.UIDL(ctx)
	require.NoError(t, err)
	assert.Equal(t, m1.ID, uids[0].UID)
	msg, err := c.Retr(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "Subject: one\r\n\r\n.dot\r\nb\r\n", string(msg))
	top, err := c.Top(ctx, 1, 1)
	require.NoError(t, err)
	assert.Equal(t, "Subject: one\r\n\r\n.dot\r\n", string(top))
	require.NoError(t, c.Dele(ctx, 1))
	var pe *Error
	require.ErrorAs(t, c.Dele(ctx, 1), &pe)
	require.NoError(t, c.Rset(ctx))
	require.NoError(t, c.Dele(ctx, 2))
	require.NoError(t, c.Noop(ctx))
	require.NoError(t, c.Quit(ctx))
	require.Eventually(t, func() bool { return ts.count(t, "alice") == 1 }, 5*time.Second, 10*time.Millisecond)
}

func TestSecretsFile(t *testing.T) {
	p := t.TempDir() + "/users"
	require.NoError(t, os.WriteFile(p, []byte("# users\nalice:secret\n\nbob:$2b$10$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\ncarol:SCRAM-SHA-256$4096:c2FsdA==$a:b\ndave:pa:ss\n"), 0o600))
	s, err := LoadSecretsFile(p)
	require.NoError(t, err)
	assert.Equal(t, Secrets{"alice": "secret", "dave": "pa:ss"}, s)
}
