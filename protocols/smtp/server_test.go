package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/internal/testcert"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testServer is a running Server with a maildir store.
type testServer struct {
	*Server
	addr      string
	store     *Maildir
	clientTLS *tls.Config
}

func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func testPortal() *cred.Portal {
	return cred.NewPortal(Realm, []cred.Checker{cred.NewInMemory(map[string]string{"alice": "secret", "bob": "hunter2"})},
		cred.WithThrottle(cred.ThrottleConfig{Disabled: true}))
}

func startServer(t *testing.T, configure ...func(*Server)) *testServer {
	t.Helper()
	store, err := NewMaildir(t.TempDir())
	require.NoError(t, err)
	serverTLS, clientTLS := testcert.Config(t)
	srv := &Server{
		Hostname:  "mx.test",
		Store:     store,
		Portal:    testPortal(),
		TLSConfig: serverTLS,
		Logger:    quietLogger(),
	}
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

// raw is a client speaking SMTP by hand.
type raw struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

func dialRaw(t *testing.T, addr string) *raw {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	r := &raw{t: t, c: c, r: bufio.NewReader(c)}
	r.expect("220 ")
	return r
}

func (r *raw) send(s string) {
	r.t.Helper()
	_, err := io.WriteString(r.c, s+"\r\n")
	require.NoError(r.t, err)
}

// reply reads one (possibly multi-line) reply and returns it whole.
func (r *raw) reply() string {
	r.t.Helper()
	var all strings.Builder
	for {
		line, err := r.r.ReadString('\n')
		require.NoError(r.t, err, "reading reply (so far %q)", all.String())
		all.WriteString(line)
		if len(line) < 4 || line[3] != '-' {
			return all.String()
		}
	}
}

// expect reads a reply and checks its last line starts with prefix.
func (r *raw) expect(prefix string) string {
	r.t.Helper()
	rep := r.reply()
	lines := strings.Split(strings.TrimRight(rep, "\r\n"), "\r\n")
	require.True(r.t, strings.HasPrefix(lines[len(lines)-1], prefix), "want %q, got %q", prefix, rep)
	return rep
}

func (r *raw) cmd(line, prefix string) string {
	r.t.Helper()
	r.send(line)
	return r.expect(prefix)
}

func (ts *testServer) messages(t *testing.T, mailbox string) []MessageInfo {
	t.Helper()
	infos, err := ts.store.List(context.Background(), mailbox)
	require.NoError(t, err)
	return infos
}

func (ts *testServer) content(t *testing.T, mailbox, id string) string {
	t.Helper()
	rc, err := ts.store.Open(context.Background(), mailbox, id)
	require.NoError(t, err)
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	return string(b)
}

// stripReceived removes the leading Received: header (with its folded lines).
func stripReceived(t *testing.T, msg string) string {
	t.Helper()
	require.True(t, strings.HasPrefix(msg, "Received: "), "no trace header: %q", msg)
	lines := strings.SplitAfter(msg, "\r\n")
	i := 1
	for i < len(lines) && (strings.HasPrefix(lines[i], "\t") || strings.HasPrefix(lines[i], " ")) {
		i++
	}
	return strings.Join(lines[i:], "")
}

func TestSessionBasics(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	ehlo := r.cmd("EHLO client.test", "250 ")
	for _, ext := range []string{"PIPELINING", "SIZE 26214400", "8BITMIME", "ENHANCEDSTATUSCODES", "STARTTLS", "HELP"} {
		assert.Regexp(t, "250[- ]"+ext+"\r\n", ehlo)
	}
	assert.NotContains(t, ehlo, "AUTH", "AUTH must wait for TLS")
	r.cmd("NOOP", "250 2.0.0")
	r.cmd("VRFY alice", "252 2.5.0")
	r.cmd("VRFY", "501 ")
	r.cmd("EXPN list", "502 ")
	help := r.cmd("HELP", "214 ")
	assert.Contains(t, help, "MAIL")
	r.cmd("HELP data", "214 2.0.0 DATA")
	r.cmd("HELP FOO", "504 ")
	r.cmd("FOO", "500 5.5.2")
	r.cmd("AUTH PLAIN", "538 5.7.11")
	r.cmd("RSET", "250 2.0.0")
	r.cmd("QUIT", "221 2.0.0")
}

func TestDeliveryAndDotStuffing(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<sender@example.org> BODY=8BITMIME SIZE=100", "250 2.1.0")
	r.cmd("RCPT TO:<Alice@LOCALHOST>", "250 2.1.5")
	r.cmd("RCPT TO:<bob@mx.test>", "250 2.1.5")
	r.cmd("DATA", "354 ")
	body := "Subject: dots\r\n\r\n..leading dot\r\n.\r\n"
	_, err := io.WriteString(r.c, "Subject: dots\r\n\r\n...leading dot\r\n..\r\n.\r\n")
	require.NoError(t, err)
	r.expect("250 2.0.0")
	for _, mb := range []string{"alice", "bob"} {
		infos := ts.messages(t, mb)
		require.Len(t, infos, 1, mb)
		got := ts.content(t, mb, infos[0].ID)
		assert.Equal(t, body, stripReceived(t, got))
		assert.Contains(t, got, "by mx.test (Braid) with ESMTP id")
	}
	c := ts.Counters()
	assert.EqualValues(t, 1, c.MessagesAccepted)
	assert.EqualValues(t, 2, c.RecipientsAccepted)
}

func TestBadSequences(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("MAIL FROM:<a@b.c>", "503 5.5.1") // before EHLO
	r.cmd("EHLO client.test", "250 ")
	r.cmd("DATA", "503 5.5.1") // before MAIL
	r.cmd("RCPT TO:<alice@localhost>", "503 5.5.1")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("MAIL FROM:<a@b.c>", "503 5.5.1") // nested
	r.cmd("DATA", "503 5.5.1")              // before RCPT
	r.cmd("RCPT TO:<no such>", "501 5.1.3")
	r.cmd("RCPT TO:<.bad@localhost>", "501 5.1.3")
	r.cmd("RCPT TO:<alice@localhost> FOO=1", "555 5.5.4")
	r.cmd("MAIL FROM:<a@b.c> SIZE=99999999999", "503 ")
	r.cmd("RSET", "250 ")
	r.cmd("MAIL FROM:<a@b.c> SIZE=99999999999", "552 5.3.4")
	r.cmd("MAIL FROM:<a@b.c> BODY=BINARYMIME", "501 5.5.4")
	r.cmd("MAIL FROM:a@b.c", "501 5.1.7")
	r.cmd("MAIL FROM: <>", "250 ") // null sender, with the space many clients send
	r.cmd("QUIT", "221 ")
	assert.Empty(t, ts.messages(t, "alice"))
}

func TestLineTooLong(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO "+strings.Repeat("x", 5000), "500 5.5.2 Line too long")
	r.cmd("EHLO client.test", "250 ") // the session carries on
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	_, err := io.WriteString(r.c, "Subject: x\r\n\r\n"+strings.Repeat("y", 1200)+"\r\nmore\r\n.\r\n")
	require.NoError(t, err)
	r.expect("500 5.5.2")
	assert.Empty(t, ts.messages(t, "alice"), "nothing stored")
	r.cmd("NOOP", "250 ")
}

func TestMessageOverSize(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxMessageBytes = 1000 })
	r := dialRaw(t, ts.addr)
	assert.Contains(t, r.cmd("EHLO client.test", "250 "), "SIZE 1000")
	r.cmd("MAIL FROM:<a@b.c> SIZE=1001", "552 5.3.4")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	big := strings.Repeat(strings.Repeat("z", 70)+"\r\n", 40)
	_, err := io.WriteString(r.c, "Subject: big\r\n\r\n"+big+".\r\n")
	require.NoError(t, err)
	r.expect("552 5.3.4")
	assert.Empty(t, ts.messages(t, "alice"))
	// The transaction is over and the session usable.
	r.cmd("RCPT TO:<alice@localhost>", "503 ")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	r.send("Subject: small\r\n\r\nok\r\n.")
	r.expect("250 ")
	assert.Len(t, ts.messages(t, "alice"), 1)
	assert.EqualValues(t, 1, ts.Counters().MessagesRefused)
}

func TestClientVanishesMidData(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	_, err := io.WriteString(r.c, "Subject: half\r\n\r\n"+strings.Repeat("partial line\r\n", 5000))
	require.NoError(t, err)
	r.c.Close()
	require.Eventually(t, func() bool { return len(ts.Sessions()) == 0 }, 5*time.Second, 10*time.Millisecond)
	assert.Empty(t, ts.messages(t, "alice"))
	for _, sub := range []string{"tmp", "new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(ts.store.Root(), "alice", sub))
		assert.Empty(t, ents, sub)
	}
	assert.EqualValues(t, 1, ts.Counters().MessagesRefused)
}

func authPlain(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
}

func TestAuthMalformed(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	r := dialRaw(t, ts.addr)
	r.cmd("AUTH PLAIN "+authPlain("alice", "secret"), "503 ") // before EHLO
	assert.Contains(t, r.cmd("EHLO client.test", "250 "), "AUTH PLAIN LOGIN")
	r.cmd("AUTH PLAIN !!!notbase64", "501 5.5.2")
	r.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("no-nuls")), "501 5.5.2")
	r.cmd("AUTH PLAIN "+base64.StdEncoding.EncodeToString([]byte("mallory\x00alice\x00secret")), "501 5.5.2")
	r.cmd("AUTH CRAM-MD5", "504 ")
	r.cmd("AUTH", "501 ")
	r.cmd("AUTH PLAIN", "334 ")
	r.cmd("*", "501 5.0.0")
	r.cmd("AUTH LOGIN", "334 VXNlcm5hbWU6")
	r.cmd("%%%", "501 5.5.2")
	r.cmd("AUTH PLAIN "+authPlain("alice", "wrong"), "535 5.7.8")
	r.cmd("AUTH LOGIN", "334 ")
	r.cmd(base64.StdEncoding.EncodeToString([]byte("alice")), "334 UGFzc3dvcmQ6")
	r.cmd(base64.StdEncoding.EncodeToString([]byte("secret")), "235 2.7.0")
	r.cmd("AUTH PLAIN "+authPlain("alice", "secret"), "503 ")
	assert.EqualValues(t, 1, ts.Counters().AuthSuccesses)
	assert.EqualValues(t, 1, ts.Counters().AuthFailures)
}

// relayRecorder is a Relayer that keeps what it is given.
type relayRecorder struct {
	mu   sync.Mutex
	envs []Envelope
	msgs []string
}

func (rr *relayRecorder) Relay(ctx context.Context, env Envelope, msg io.Reader) error {
	b, err := io.ReadAll(msg)
	rr.mu.Lock()
	defer rr.mu.Unlock()
	rr.envs = append(rr.envs, env)
	rr.msgs = append(rr.msgs, string(b))
	return err
}

func TestRelayRefusedUnlessAuthenticated(t *testing.T) {
	rr := &relayRecorder{}
	ts := startServer(t, func(s *Server) { s.Relay = rr })
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<alice@localhost>", "250 ")
	r.cmd("RCPT TO:<someone@example.com>", "550 5.7.1")
	r.cmd("RCPT TO:<alice@localhost>", "250 ") // local delivery needs no AUTH
	r.cmd("RSET", "250 ")

	// The Go client: STARTTLS, AUTH, then relaying is allowed.
	ctx := context.Background()
	c, err := Dial(ctx, "tcp:"+ts.addr)
	require.NoError(t, err)
	require.NoError(t, c.StartTLS(ctx, ts.clientTLS))
	require.NoError(t, c.Auth(ctx, "LOGIN", "alice", "secret"))
	require.NoError(t, c.SendMail(ctx, "alice@localhost", []string{"someone@example.com", "bob@localhost"},
		strings.NewReader("Subject: out\n\nbare LF lines become CRLF\n")))
	require.NoError(t, c.Quit(ctx))

	require.Len(t, rr.envs, 1)
	assert.Equal(t, "someone@example.com", rr.envs[0].To[0].String())
	assert.Equal(t, "alice", rr.envs[0].User)
	assert.Contains(t, rr.msgs[0], "with ESMTPSA id")
	infos := ts.messages(t, "bob")
	require.Len(t, infos, 1)
	assert.Equal(t, "Subject: out\r\n\r\nbare LF lines become CRLF\r\n", stripReceived(t, ts.content(t, "bob", infos[0].ID)))
}

func TestRelayWithoutRelayer(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.AllowInsecureAuth = true })
	ctx := context.Background()
	c, err := Dial(ctx, "tcp:"+ts.addr)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.Auth(ctx, "PLAIN", "bob", "hunter2"))
	require.NoError(t, c.Mail(ctx, "bob@localhost", 10))
	err = c.Rcpt(ctx, "x@example.com")
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 550, se.Code)
	assert.Equal(t, "5.7.1", se.Enhanced)
}

func TestClientAuthFailure(t *testing.T) {
	ts := startServer(t)
	ctx := context.Background()
	err := SendMail(ctx, "tcp:"+ts.addr, SendOptions{TLS: ts.clientTLS, Username: "alice", Password: "nope"},
		"alice@localhost", []string{"alice@localhost"}, strings.NewReader("x\r\n"))
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 535, se.Code)
	require.NoError(t, SendMail(ctx, "tcp:"+ts.addr, SendOptions{TLS: ts.clientTLS, Username: "alice", Password: "secret"},
		"alice@localhost", []string{"alice@localhost"}, strings.NewReader("Subject: hi\r\n\r\nhello\r\n")))
	assert.Len(t, ts.messages(t, "alice"), 1)
}

func TestPipelining(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	_, err := io.WriteString(r.c, "MAIL FROM:<a@b.c>\r\nRCPT TO:<alice@localhost>\r\nRCPT TO:<nobody here@localhost>\r\nDATA\r\n")
	require.NoError(t, err)
	r.expect("250 ")
	r.expect("250 ")
	r.expect("501 ")
	r.expect("354 ")
	_, err = io.WriteString(r.c, "Subject: p\r\n\r\nbody\r\n.\r\nQUIT\r\n")
	require.NoError(t, err)
	r.expect("250 ")
	r.expect("221 ")
	assert.Len(t, ts.messages(t, "alice"), 1)
}

func TestStartTLSRefusesPipelinedCommands(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	_, err := io.WriteString(r.c, "STARTTLS\r\nMAIL FROM:<evil@x.y>\r\n")
	require.NoError(t, err)
	r.expect("554 ")
	_, err = r.r.ReadByte()
	assert.Error(t, err, "connection closed")
}

func TestTooManyErrors(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.MaxErrors = 3 })
	r := dialRaw(t, ts.addr)
	r.cmd("X", "500 ")
	r.cmd("Y", "500 ")
	r.send("Z")
	r.expect("500 ")
	r.expect("421 ")
}

func TestShutdownSays421ToIdleSessions(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, ts.Shutdown(ctx))
	r.expect("421 4.3.2")
}

func TestShutdownLetsDataFinish(t *testing.T) {
	ts := startServer(t)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	r.send("Subject: in flight\r\n")
	require.Eventually(t, func() bool {
		s := ts.Sessions()
		return len(s) == 1 && s[0].State == StateData
	}, 5*time.Second, 5*time.Millisecond)
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		done <- ts.Shutdown(ctx)
	}()
	time.Sleep(50 * time.Millisecond)
	r.send("\r\nstill coming\r\n.")
	r.expect("250 2.0.0")
	r.expect("421 4.3.2")
	require.NoError(t, <-done)
	assert.Len(t, ts.messages(t, "alice"), 1)
}

func TestSlowDataIsBoundedPerRead(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.ReadTimeout = 300 * time.Millisecond })
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	r.cmd("RCPT TO:<alice@localhost>", "250 ")
	r.cmd("DATA", "354 ")
	// Three times the timeout in all, but never idle for long.
	for i := 0; i < 9; i++ {
		r.send("line")
		time.Sleep(100 * time.Millisecond)
	}
	r.send(".")
	r.expect("250 ")
}

func TestIdleTimeout(t *testing.T) {
	ts := startServer(t, func(s *Server) { s.ReadTimeout = 200 * time.Millisecond })
	r := dialRaw(t, ts.addr)
	r.expect("421 4.4.2")
}

func TestAdminDisconnectAndSessions(t *testing.T) {
	ts := startServer(t)
	admin := NewAdmin(ts.Server)
	r := dialRaw(t, ts.addr)
	r.cmd("EHLO client.test", "250 ")
	r.cmd("MAIL FROM:<a@b.c>", "250 ")
	ctx := context.Background()
	sessions, err := admin.RemoteSessions(ctx)
	require.NoError(t, err)
	require.Len(t, sessions, 1)
	assert.Equal(t, StateMail, sessions[0].State)
	assert.Equal(t, "client.test", sessions[0].Helo)
	ok, err := admin.RemoteDisconnect(ctx, sessions[0].ID)
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = r.r.ReadString('\n')
	assert.Error(t, err)
	require.Eventually(t, func() bool { return len(ts.Sessions()) == 0 }, 5*time.Second, 10*time.Millisecond)
	ok, _ = admin.RemoteDisconnect(ctx, 999)
	assert.False(t, ok)
}

func TestAdminMessages(t *testing.T) {
	ts := startServer(t)
	admin := NewAdmin(ts.Server)
	ctx := context.Background()
	msg := "From: Carol <carol@example.org>\r\nTo: alice@localhost\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nDate: Mon, 2 Jan 2006 15:04:05 -0700\r\n\r\nbody\r\n"
	require.NoError(t, SendMail(ctx, "tcp:"+ts.addr, SendOptions{}, "carol@example.org", []string{"alice@localhost"}, strings.NewReader(msg)))
	list, err := admin.RemoteMessages(ctx, "alice")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, "café", list[0].Subject)
	assert.Equal(t, "Carol <carol@example.org>", list[0].From)
	assert.Equal(t, "Mon, 2 Jan 2006 15:04:05 -0700", list[0].Date)
	d, err := admin.RemoteMessage(ctx, "alice", list[0].ID)
	require.NoError(t, err)
	assert.Equal(t, "body\r\n", string(d.Body))
	assert.True(t, strings.HasPrefix(d.Headers, "Received: "))
	boxes, err := admin.RemoteMailboxes(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"alice"}, boxes)
	ok, err := admin.RemoteDelete(ctx, "alice", list[0].ID)
	require.NoError(t, err)
	assert.True(t, ok)
	_, err = admin.RemoteDelete(ctx, "alice", list[0].ID)
	assert.ErrorIs(t, err, ErrNotFound)
	_, err = admin.RemoteMessages(ctx, "../etc")
	assert.Error(t, err)
	c, err := admin.RemoteCounters(ctx)
	require.NoError(t, err)
	assert.EqualValues(t, 1, c.MessagesAccepted)
}

func TestMemoryStore(t *testing.T) {
	mem := NewMemoryStore()
	ts := startServer(t, func(s *Server) { s.Store = mem })
	ctx := context.Background()
	require.NoError(t, SendMail(ctx, "tcp:"+ts.addr, SendOptions{}, "", []string{"alice@localhost"}, strings.NewReader("Subject: m\r\n\r\nx\r\n")))
	infos, err := mem.List(ctx, "alice")
	require.NoError(t, err)
	assert.Len(t, infos, 1)
}
