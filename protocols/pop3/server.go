package pop3

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/internal/lineproto"
	"github.com/braidkit/braid/protocols/internal/serverkit"
	"github.com/braidkit/braid/transport"
)

// Defaults for the zero fields of a Server.
const (
	// DefaultMaxLineLength is RFC 2449's limit on command lines (255
	// octets, CRLF included).
	DefaultMaxLineLength = 255
	// DefaultReadTimeout is RFC 1939's minimum autologout timer.
	DefaultReadTimeout  = 10 * time.Minute
	DefaultWriteTimeout = time.Minute
	DefaultMaxErrors    = 20
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = serverkit.ErrServerClosed

// Server is a POP3 server (RFC 1939, with the RFC 2449 extension mechanism)
// that serves the mailboxes of a Store. Users log in through a cred.Portal;
// the avatar names the mailbox (a string avatar, or one with a
// Username() string method; otherwise the login name). Set the fields, then
// call Serve or ListenAndServe; the fields must not change after that.
type Server struct {
	// Hostname is used in the APOP timestamp (default os.Hostname).
	Hostname string
	// Store holds the mailboxes. Required.
	Store Store
	// Portal authenticates USER/PASS (cred.UsernamePassword) and APOP
	// (credentials of KindAPOP). APOP is offered, with a timestamp in the
	// greeting, only when the Portal handles KindAPOP (see APOPChecker).
	Portal *cred.Portal
	// TLSConfig enables STLS (RFC 2595).
	TLSConfig *tls.Config
	// AllowInsecureAuth accepts USER/PASS on connections without TLS.
	// Without it USER/PASS need STLS first (APOP, which does not send the
	// password, is always allowed).
	AllowInsecureAuth bool
	// MaxLineLength bounds command lines, CRLF included (default
	// DefaultMaxLineLength).
	MaxLineLength int
	// ReadTimeout is the idle autologout timer (default DefaultReadTimeout).
	ReadTimeout time.Duration
	// WriteTimeout bounds each write (default DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxErrors is how many bad commands or failed logins a session may
	// make before it is closed (default DefaultMaxErrors).
	MaxErrors int
	// Logger receives session events (default slog.Default()).
	Logger *slog.Logger

	base     serverkit.Base
	initOnce sync.Once
	apop     bool

	lockMu sync.Mutex
	locks  map[string]*session // mailbox -> the session holding it
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.Hostname == "" {
			s.Hostname, _ = os.Hostname()
			if s.Hostname == "" {
				s.Hostname = "localhost"
			}
		}
		if s.MaxLineLength <= 0 {
			s.MaxLineLength = DefaultMaxLineLength
		}
		if s.ReadTimeout <= 0 {
			s.ReadTimeout = DefaultReadTimeout
		}
		if s.WriteTimeout <= 0 {
			s.WriteTimeout = DefaultWriteTimeout
		}
		if s.MaxErrors <= 0 {
			s.MaxErrors = DefaultMaxErrors
		}
		if s.Logger == nil {
			s.Logger = slog.Default()
		}
		s.apop = s.Portal != nil && s.Portal.Handles(KindAPOP)
		s.locks = make(map[string]*session)
	})
}

// ListenAndServe listens on a transport endpoint ("tcp:127.0.0.1:1110") and
// serves it until Close or Shutdown.
func (s *Server) ListenAndServe(ctx context.Context, endpoint string) error {
	l, err := transport.Listen(ctx, endpoint)
	if err != nil {
		return fmt.Errorf("pop3: %w", err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close or Shutdown (it then returns
// ErrServerClosed) or until l fails. It closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	if s.Store == nil {
		l.Close()
		return errors.New("pop3: Server.Store is nil")
	}
	return s.base.Serve(l, s.Logger, s.handle)
}

// ServeConn serves one connection in a new goroutine.
func (s *Server) ServeConn(c net.Conn) {
	s.init()
	s.base.ServeConn(c, s.handle)
}

// Close closes the listeners and every session at once. Deletions of
// sessions that had not said QUIT are not applied.
func (s *Server) Close() error { return s.base.Close() }

// Shutdown stops accepting, ends idle sessions (without applying their
// deletions, as for a dropped connection) and waits for busy ones to finish
// their command. If ctx ends first it closes them and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.base.Shutdown(ctx) }

// Session states (RFC 1939), as listed by the admin object.
const (
	StateAuthorization = "authorization"
	StateTransaction   = "transaction"
	StateUpdate        = "update"
)

type message struct {
	MessageInfo
	uid     string
	deleted bool
}

type session struct {
	srv  *Server
	ks   *serverkit.Session
	conn net.Conn
	r    *lineproto.Reader
	w    *bufio.Writer
	log  *slog.Logger

	timestamp string // APOP timestamp, "" if not offered
	userArg   string // name given by USER

	mu      sync.Mutex // guards what admin reads
	state   string
	user    string
	mailbox string
	tls     bool
	msgs    []message
	logout  func()
	errors  int
}

type flushReader struct{ s *session }

func (f flushReader) Read(p []byte) (int, error) {
	if err := f.s.flush(); err != nil {
		return 0, err
	}
	return f.s.conn.Read(p)
}

func (ss *session) flush() error {
	if ss.w.Buffered() == 0 {
		return nil
	}
	ss.conn.SetWriteDeadline(time.Now().Add(ss.srv.WriteTimeout))
	return ss.w.Flush()
}

func (ss *session) setConn(c net.Conn) {
	ss.conn = c
	ss.w = bufio.NewWriter(c)
	ss.r = lineproto.NewReader(bufio.NewReader(flushReader{ss}), ss.srv.MaxLineLength)
}

func (ss *session) ok(format string, args ...any) {
	ss.w.WriteString("+OK ")
	fmt.Fprintf(ss.w, format, args...)
	ss.w.WriteString("\r\n")
}

// fail writes an -ERR reply; code is an RFC 2449 response code or "".
func (ss *session) fail(code, format string, args ...any) {
	ss.w.WriteString("-ERR ")
	if code != "" {
		ss.w.WriteString("[" + code + "] ")
	}
	fmt.Fprintf(ss.w, format, args...)
	ss.w.WriteString("\r\n")
}

func newTimestamp(host string) string {
	var b [8]byte
	rand.Read(b[:])
	return fmt.Sprintf("<%d.%d.%s@%s>", os.Getpid(), time.Now().UnixNano(), hex.EncodeToString(b[:]), host)
}

func (s *Server) handle(ks *serverkit.Session) {
	ss := &session{srv: s, ks: ks, state: StateAuthorization,
		log: s.Logger.With("proto", "pop3", "session", ks.ID, "remote", ks.Remote.String())}
	ss.setConn(ks.Conn())
	ks.SetData(ss)
	defer ss.end()
	ss.log.Debug("session started")
	if s.apop {
		ss.timestamp = newTimestamp(s.Hostname)
		ss.ok("Braid POP3 server ready %s", ss.timestamp)
	} else {
		ss.ok("Braid POP3 server ready")
	}
	for {
		if !ks.WaitCommand(s.ReadTimeout) {
			ss.fail("SYS/TEMP", "Server shutting down")
			return
		}
		line, err := ss.r.ReadLine()
		ks.Busy()
		if err != nil {
			if errors.Is(err, lineproto.ErrLineTooLong) {
				ss.fail("", "Line too long")
				if ss.bad() {
					return
				}
				continue
			}
			var ne net.Error
			switch {
			case ks.Closed():
			case errors.As(err, &ne) && ne.Timeout():
				if s.base.ShuttingDown() {
					ss.fail("SYS/TEMP", "Server shutting down")
				} else {
					ss.fail("", "Autologout; idle for too long")
				}
			default:
				ss.log.Debug("read failed", "err", err)
			}
			return
		}
		if !ss.command(string(line)) {
			return
		}
	}
}

// end releases what the session holds. Deletions are applied only by QUIT
// (the UPDATE state), never here.
//
// The lock is released before the final reply is flushed, so a client that
// reconnects as soon as it reads QUIT's +OK finds its mailbox free.
func (ss *session) end() {
	ss.mu.Lock()
	mailbox, logout := ss.mailbox, ss.logout
	ss.mu.Unlock()
	if mailbox != "" {
		ss.srv.unlock(mailbox, ss)
	}
	if logout != nil {
		logout()
	}
	ss.flush()
	ss.log.Debug("session ended")
}

func (ss *session) bad() bool {
	ss.errors++
	if ss.errors >= ss.srv.MaxErrors {
		ss.fail("", "Too many errors, closing connection")
		return true
	}
	return false
}

func (ss *session) getState() string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	return ss.state
}

func (ss *session) userAllowed() bool {
	return ss.srv.Portal != nil && (ss.tls || ss.srv.AllowInsecureAuth)
}

// command runs one command; it returns false when the session ends.
func (ss *session) command(line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	if ss.getState() == StateAuthorization {
		return ss.authorization(verb, arg)
	}
	return ss.transaction(verb, arg)
}

func (ss *session) authorization(verb, arg string) bool {
	if verb != "USER" && verb != "PASS" {
		ss.userArg = "" // PASS must follow USER directly
	}
	switch verb {
	case "CAPA":
		ss.capa()
	case "QUIT":
		ss.ok("Braid POP3 server signing off")
		return false
	case "STLS":
		return ss.stls(arg)
	case "USER":
		switch {
		case ss.srv.Portal == nil:
			ss.fail("AUTH", "Authentication not available")
		case !ss.userAllowed():
			ss.fail("AUTH", "Use STLS before USER/PASS")
		case arg == "" || len(arg) > 255:
			ss.fail("", "Syntax: USER name")
			return !ss.bad()
		default:
			ss.userArg = arg
			ss.ok("Send PASS")
		}
	case "PASS":
		user := ss.userArg
		ss.userArg = ""
		if user == "" {
			ss.fail("", "Send USER first")
			return !ss.bad()
		}
		return ss.login(cred.UsernamePassword{Username: user, Password: arg}, user)
	case "APOP":
		if ss.timestamp == "" {
			ss.fail("AUTH", "APOP not available")
			return !ss.bad()
		}
		name, digest, ok := strings.Cut(arg, " ")
		digest = strings.TrimSpace(digest)
		if !ok || name == "" || !isHex32(digest) {
			ss.fail("", "Syntax: APOP name digest")
			return !ss.bad()
		}
		return ss.login(APOP{Username: name, Timestamp: ss.timestamp, Digest: digest}, name)
	case "NOOP", "STAT", "LIST", "RETR", "DELE", "RSET", "TOP", "UIDL":
		ss.fail("", "Not logged in")
		return !ss.bad()
	default:
		ss.fail("", "Unknown command")
		return !ss.bad()
	}
	return true
}

func isHex32(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// login authenticates, locks the mailbox and takes its snapshot.
func (ss *session) login(creds cred.Credentials, name string) bool {
	ctx := cred.WithSource(ss.ks.Ctx, ss.ks.Remote)
	avatar, logout, err := ss.srv.Portal.Login(ctx, creds, nil)
	switch {
	case errors.Is(err, cred.ErrThrottled):
		ss.fail("SYS/TEMP", "Too many failed logins, try again later")
		return !ss.bad()
	case errors.Is(err, cred.ErrUnauthorized), errors.Is(err, cred.ErrUnhandledCredentials):
		ss.log.Info("authentication failed", "kind", creds.Kind())
		ss.fail("AUTH", "Authentication failed")
		return !ss.bad()
	case err != nil:
		ss.log.Error("authentication error", "err", err)
		ss.fail("SYS/TEMP", "Authentication unavailable, try again later")
		return true
	}
	user := avatarName(avatar, name)
	mailbox := strings.ToLower(user)
	if !ss.srv.lock(mailbox, ss) {
		logout()
		ss.log.Info("mailbox in use", "user", user)
		ss.fail("IN-USE", "Mailbox is locked by another session")
		return true
	}
	infos, err := ss.srv.Store.List(ss.ks.Ctx, mailbox)
	if err != nil {
		ss.srv.unlock(mailbox, ss)
		logout()
		ss.log.Error("listing mailbox failed", "mailbox", mailbox, "err", err)
		ss.fail("SYS/TEMP", "Cannot open mailbox")
		return true
	}
	msgs := make([]message, len(infos))
	var total int64
	for i, info := range infos {
		msgs[i] = message{MessageInfo: info, uid: uidFor(info.ID)}
		total += info.Size
	}
	ss.mu.Lock()
	ss.user, ss.mailbox, ss.logout, ss.msgs, ss.state = user, mailbox, logout, msgs, StateTransaction
	ss.mu.Unlock()
	ss.log.Info("logged in", "user", user, "kind", creds.Kind(), "messages", len(msgs))
	ss.ok("%s has %d messages (%d octets)", user, len(msgs), total)
	return true
}

// uidFor makes a UIDL from a store id: the id itself when it fits RFC 1939
// (1 to 70 characters 0x21-0x7E), else a hash of it.
func uidFor(id string) string {
	ok := len(id) > 0 && len(id) <= 70
	for i := 0; ok && i < len(id); i++ {
		ok = id[i] >= 0x21 && id[i] <= 0x7e
	}
	if ok {
		return id
	}
	sum := sha1.Sum([]byte(id))
	return hex.EncodeToString(sum[:])
}

func avatarName(avatar any, login string) string {
	switch a := avatar.(type) {
	case string:
		if a != "" {
			return a
		}
	case interface{ Username() string }:
		if n := a.Username(); n != "" {
			return n
		}
	}
	return login
}

func (s *Server) lock(mailbox string, ss *session) bool {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if _, held := s.locks[mailbox]; held {
		return false
	}
	s.locks[mailbox] = ss
	return true
}

func (s *Server) unlock(mailbox string, ss *session) {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.locks[mailbox] == ss {
		delete(s.locks, mailbox)
	}
}

func (ss *session) capa() {
	ss.ok("Capability list follows")
	caps := []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"}
	if ss.getState() == StateAuthorization {
		if ss.userAllowed() {
			caps = append(caps, "USER")
		}
		if ss.srv.TLSConfig != nil && !ss.tls {
			caps = append(caps, "STLS")
		}
	}
	caps = append(caps, "EXPIRE NEVER", "IMPLEMENTATION Braid")
	for _, c := range caps {
		ss.w.WriteString(c + "\r\n")
	}
	ss.w.WriteString(".\r\n")
}

func (ss *session) stls(arg string) bool {
	switch {
	case ss.srv.TLSConfig == nil:
		ss.fail("", "STLS not available")
		return true
	case ss.tls:
		ss.fail("", "Already running TLS")
		return true
	case strings.TrimSpace(arg) != "":
		ss.fail("", "Syntax: STLS")
		return true
	}
	if ss.r.Buffered() > 0 {
		ss.fail("", "Commands pipelined after STLS, closing connection")
		return false
	}
	ss.ok("Begin TLS negotiation")
	if err := ss.flush(); err != nil {
		return false
	}
	tc := tls.Server(ss.conn, ss.srv.TLSConfig)
	ctx, cancel := context.WithTimeout(ss.ks.Ctx, ss.srv.ReadTimeout)
	defer cancel()
	if err := tc.HandshakeContext(ctx); err != nil {
		ss.log.Info("TLS handshake failed", "err", err)
		return false
	}
	ss.ks.SetConn(tc)
	ss.setConn(tc)
	ss.mu.Lock()
	ss.tls = true
	ss.mu.Unlock()
	return true
}

// msg parses a message number; it replies and returns nil if it is bad.
func (ss *session) msg(arg string) (int, *message) {
	n, err := strconv.Atoi(strings.TrimSpace(arg))
	if err != nil || n < 1 || n > len(ss.msgs) {
		ss.fail("", "No such message")
		return 0, nil
	}
	m := &ss.msgs[n-1]
	if m.deleted {
		ss.fail("", "Message %d already deleted", n)
		return 0, nil
	}
	return n, m
}

func (ss *session) transaction(verb, arg string) bool {
	arg = strings.TrimSpace(arg)
	switch verb {
	case "STAT":
		n, size := 0, int64(0)
		for _, m := range ss.msgs {
			if !m.deleted {
				n++
				size += m.Size
			}
		}
		ss.ok("%d %d", n, size)
	case "LIST", "UIDL":
		if arg != "" {
			n, m := ss.msg(arg)
			if m == nil {
				return !ss.bad()
			}
			if verb == "LIST" {
				ss.ok("%d %d", n, m.Size)
			} else {
				ss.ok("%d %s", n, m.uid)
			}
			break
		}
		ss.ok("Listing follows")
		for i, m := range ss.msgs {
			if m.deleted {
				continue
			}
			if verb == "LIST" {
				fmt.Fprintf(ss.w, "%d %d\r\n", i+1, m.Size)
			} else {
				fmt.Fprintf(ss.w, "%d %s\r\n", i+1, m.uid)
			}
		}
		ss.w.WriteString(".\r\n")
	case "RETR":
		_, m := ss.msg(arg)
		if m == nil {
			return !ss.bad()
		}
		return ss.send(m, -1)
	case "TOP":
		n, lines, ok := strings.Cut(arg, " ")
		k, err := strconv.Atoi(strings.TrimSpace(lines))
		if !ok || err != nil || k < 0 {
			ss.fail("", "Syntax: TOP msg n")
			return !ss.bad()
		}
		_, m := ss.msg(n)
		if m == nil {
			return !ss.bad()
		}
		return ss.send(m, k)
	case "DELE":
		n, m := ss.msg(arg)
		if m == nil {
			return !ss.bad()
		}
		ss.mu.Lock()
		m.deleted = true
		ss.mu.Unlock()
		ss.ok("Message %d deleted", n)
	case "RSET":
		ss.mu.Lock()
		for i := range ss.msgs {
			ss.msgs[i].deleted = false
		}
		ss.mu.Unlock()
		ss.ok("Maildrop has %d messages", len(ss.msgs))
	case "NOOP":
		ss.ok("")
	case "CAPA":
		ss.capa()
	case "QUIT":
		ss.update()
		return false
	case "USER", "PASS", "APOP", "STLS":
		ss.fail("", "Already logged in")
		return !ss.bad()
	default:
		ss.fail("", "Unknown command")
		return !ss.bad()
	}
	return true
}

// send writes a message (lines < 0) or its header and first lines of body
// (TOP) as a multi-line response. It returns false if the connection failed.
func (ss *session) send(m *message, lines int) bool {
	rc, err := ss.srv.Store.Open(ss.ks.Ctx, ss.mailbox, m.ID)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			ss.fail("", "Message was removed from the mailbox")
		} else {
			ss.log.Error("opening message failed", "id", m.ID, "err", err)
			ss.fail("SYS/TEMP", "Cannot read message")
		}
		return true
	}
	defer rc.Close()
	if lines < 0 {
		ss.ok("%d octets", m.Size)
	} else {
		ss.ok("Top of message follows")
	}
	dw := lineproto.NewDotWriter(ss.w)
	var src io.Reader = rc
	if lines >= 0 {
		src = &topReader{r: bufio.NewReader(rc), lines: lines}
	}
	// The writes may block on a slow client: bound each flush.
	buf := make([]byte, 32<<10)
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			dw.Write(buf[:n])
			if ss.w.Buffered() > 16<<10 {
				if err := ss.flush(); err != nil {
					return false
				}
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			// The response has started; all we can do is drop the connection.
			ss.log.Error("reading message failed", "id", m.ID, "err", rerr)
			return false
		}
	}
	dw.Close()
	return true
}

// topReader passes through the header section, the blank line, and then
// the first n lines of the body.
type topReader struct {
	r       *bufio.Reader
	lines   int
	inBody  bool
	done    bool
	midLine bool // the last chunk did not end a line
	pend    []byte
	err     error
}

func (t *topReader) Read(p []byte) (int, error) {
	for len(t.pend) == 0 {
		if t.done || (t.inBody && t.lines <= 0) {
			if t.err != nil {
				return 0, t.err
			}
			return 0, io.EOF
		}
		chunk, err := t.r.ReadSlice('\n')
		if len(chunk) > 0 {
			complete := chunk[len(chunk)-1] == '\n'
			switch {
			case !t.inBody && !t.midLine && complete && len(lineproto.TrimEOL(chunk)) == 0:
				t.inBody = true
			case t.inBody && complete:
				t.lines--
			}
			t.midLine = !complete
			t.pend = chunk
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			t.done, t.err = true, err
		}
	}
	n := copy(p, t.pend)
	t.pend = t.pend[n:]
	return n, nil
}

// update applies the deletions (RFC 1939 UPDATE state) and says goodbye.
func (ss *session) update() {
	ss.mu.Lock()
	ss.state = StateUpdate
	msgs := ss.msgs
	ss.mu.Unlock()
	ctx := context.WithoutCancel(ss.ks.Ctx)
	deleted, failed := 0, 0
	for _, m := range msgs {
		if !m.deleted {
			continue
		}
		if err := ss.srv.Store.Delete(ctx, ss.mailbox, m.ID); err != nil && !errors.Is(err, ErrNotFound) {
			ss.log.Error("deleting message failed", "id", m.ID, "err", err)
			failed++
			continue
		}
		deleted++
	}
	if failed > 0 {
		ss.fail("SYS/TEMP", "%d messages could not be deleted", failed)
		return
	}
	ss.log.Info("session quit", "deleted", deleted)
	ss.ok("Braid POP3 server signing off (%d messages deleted)", deleted)
}
