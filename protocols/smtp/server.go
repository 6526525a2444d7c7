package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/protocols/internal/lineproto"
	"github.com/braidkit/braid/protocols/internal/serverkit"
	"github.com/braidkit/braid/transport"
)

// Defaults for the zero fields of a Server.
const (
	DefaultMaxMessageBytes = 25 << 20
	DefaultMaxRecipients   = 100
	DefaultMaxLineLength   = 1000
	DefaultReadTimeout     = 5 * time.Minute
	DefaultWriteTimeout    = time.Minute
	DefaultMaxErrors       = 20
	// authLineLength is the longest line accepted inside an AUTH exchange
	// (RFC 4954 §4).
	authLineLength = 12288
)

// ErrServerClosed is returned by Serve after Close or Shutdown.
var ErrServerClosed = serverkit.ErrServerClosed

// ErrNoSuchUser is what a Resolver returns for a local recipient that has no
// mailbox; the client gets 550 5.1.1.
var ErrNoSuchUser = errors.New("smtp: no such user")

// A Resolver maps a recipient in one of the server's local domains to the
// mailbox it is delivered to. It returns ErrNoSuchUser (550 5.1.1) for an
// unknown user; any other error is a temporary failure (451 4.3.0).
type Resolver func(ctx context.Context, rcpt Address) (mailbox string, err error)

// A Relayer takes mail for non-local recipients from authenticated clients.
type Relayer interface {
	Relay(ctx context.Context, env Envelope, msg io.Reader) error
}

// Envelope is the SMTP envelope of a message.
type Envelope struct {
	From Address
	To   []Address
	// User is the authenticated user, "" if none.
	User string
}

// Server is an ESMTP server (RFC 5321) that delivers mail for its local
// domains into a Deliverer, and hands mail for other domains from
// authenticated clients to a Relayer. Set the fields, then call Serve or
// ListenAndServe; the fields must not change after that.
type Server struct {
	// Hostname is the name the server greets with (default os.Hostname).
	Hostname string
	// Domains are the local domains, matched case-insensitively
	// (default Hostname and "localhost").
	Domains []string
	// Store receives the mail for local recipients. Required.
	Store Deliverer
	// Resolve maps local recipients to mailboxes. The default lower-cases
	// the local part and refuses it if it is not a valid mailbox name.
	Resolve Resolver
	// Relay takes mail for non-local recipients from authenticated clients.
	// Without one such recipients are refused, authenticated or not.
	Relay Relayer
	// Portal authenticates AUTH PLAIN and AUTH LOGIN. Without one, AUTH is
	// not offered. Its realm's avatar names the user if it is a string or
	// implements interface{ Username() string }; otherwise the login name
	// does.
	Portal *cred.Portal
	// TLSConfig enables STARTTLS.
	TLSConfig *tls.Config
	// AllowInsecureAuth offers AUTH on connections without TLS. Without it,
	// AUTH PLAIN and LOGIN (which send the password) need STARTTLS first.
	AllowInsecureAuth bool
	// MaxMessageBytes is the SIZE limit, enforced while reading DATA
	// (default DefaultMaxMessageBytes).
	MaxMessageBytes int64
	// MaxRecipients per message (default DefaultMaxRecipients).
	MaxRecipients int
	// MaxLineLength bounds command lines and message lines, CRLF included
	// (default DefaultMaxLineLength, RFC 5321's text line limit; lines in an
	// AUTH exchange may have up to 12288 octets, as RFC 4954 asks).
	MaxLineLength int
	// ReadTimeout bounds the wait for each command or line (default
	// DefaultReadTimeout, RFC 5321 §4.5.3.2 asks for at least 5 minutes).
	ReadTimeout time.Duration
	// WriteTimeout bounds each write to the client (default
	// DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxErrors is how many bad commands a session may send before it is
	// closed (default DefaultMaxErrors).
	MaxErrors int
	// Logger receives session events (default slog.Default()).
	Logger *slog.Logger

	base     serverkit.Base
	initOnce sync.Once
	stats    counters
	msgSeq   atomic.Uint64
}

type counters struct {
	connections, messagesAccepted, messagesRefused, bytesAccepted atomic.Int64
	recipientsAccepted, recipientsRefused, authSuccesses          atomic.Int64
	authFailures, tlsHandshakes                                   atomic.Int64
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		if s.Hostname == "" {
			s.Hostname, _ = os.Hostname()
			if s.Hostname == "" {
				s.Hostname = "localhost"
			}
		}
		if s.Domains == nil {
			s.Domains = []string{strings.ToLower(s.Hostname), "localhost"}
		}
		domains := make([]string, len(s.Domains))
		for i, d := range s.Domains {
			domains[i] = strings.ToLower(d)
		}
		s.Domains = domains
		if s.MaxMessageBytes <= 0 {
			s.MaxMessageBytes = DefaultMaxMessageBytes
		}
		if s.MaxRecipients <= 0 {
			s.MaxRecipients = DefaultMaxRecipients
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
	})
}

// ListenAndServe listens on a transport endpoint ("tcp:127.0.0.1:2525")
// and serves it until Close or Shutdown.
func (s *Server) ListenAndServe(ctx context.Context, endpoint string) error {
	l, err := transport.Listen(ctx, endpoint)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return s.Serve(l)
}

// Serve accepts connections on l until Close or Shutdown (it then returns
// ErrServerClosed) or until l fails. It closes l when it returns.
func (s *Server) Serve(l net.Listener) error {
	s.init()
	if s.Store == nil {
		l.Close()
		return errors.New("smtp: Server.Store is nil")
	}
	return s.base.Serve(l, s.Logger, s.handle)
}

// ServeConn serves one connection in a new goroutine.
func (s *Server) ServeConn(c net.Conn) {
	s.init()
	s.base.ServeConn(c, s.handle)
}

// Close closes the listeners and every session at once. Messages being
// received are not stored.
func (s *Server) Close() error { return s.base.Close() }

// Shutdown stops accepting, says 421 to idle sessions and closes them, and
// waits for sessions in the middle of a command (such as DATA) to finish it.
// If ctx ends first, it closes the remaining sessions and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error { return s.base.Shutdown(ctx) }

// Session states, as listed by the admin object.
const (
	StateConnected = "connected" // greeted by the server, no EHLO yet
	StateGreeted   = "greeted"   // EHLO/HELO done, no transaction
	StateMail      = "mail"      // MAIL accepted
	StateRcpt      = "rcpt"      // at least one RCPT accepted
	StateData      = "data"      // receiving the message
	StateAuth      = "auth"      // in an AUTH exchange
)

type recipient struct {
	addr    Address
	mailbox string // "" for a relayed recipient
}

// session is one SMTP conversation.
type session struct {
	srv  *Server
	ks   *serverkit.Session
	conn net.Conn
	r    *lineproto.Reader
	w    *bufio.Writer
	log  *slog.Logger

	mu     sync.Mutex // guards the fields admin reads
	state  string
	helo   string
	user   string
	tls    bool
	esmtp  bool
	logout func()

	// extend makes every read push the read deadline ReadTimeout ahead:
	// set while receiving DATA, so a long upload is bounded per read, not
	// as a whole (RFC 5321 §4.5.3.2).
	extend bool

	inTx   bool
	from   Address
	rcpts  []recipient
	errors int
}

// flushReader flushes pending replies before blocking on the connection, so
// that pipelined commands get their replies in one write and a client
// waiting for a reply always gets it.
type flushReader struct{ s *session }

func (f flushReader) Read(p []byte) (int, error) {
	if err := f.s.flush(); err != nil {
		return 0, err
	}
	if f.s.extend {
		f.s.conn.SetReadDeadline(time.Now().Add(f.s.srv.ReadTimeout))
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

func (ss *session) setState(st string) {
	ss.mu.Lock()
	ss.state = st
	ss.mu.Unlock()
}

// reply writes one reply line; the enhanced code may be "".
func (ss *session) reply(code int, enh, text string) {
	if enh != "" {
		fmt.Fprintf(ss.w, "%d %s %s\r\n", code, enh, text)
	} else {
		fmt.Fprintf(ss.w, "%d %s\r\n", code, text)
	}
}

// replyLines writes a multi-line reply.
func (ss *session) replyLines(code int, enh string, lines []string) {
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		if enh != "" {
			fmt.Fprintf(ss.w, "%d%s%s %s\r\n", code, sep, enh, l)
		} else {
			fmt.Fprintf(ss.w, "%d%s%s\r\n", code, sep, l)
		}
	}
}

func (s *Server) handle(ks *serverkit.Session) {
	s.stats.connections.Add(1)
	ss := &session{srv: s, ks: ks, state: StateConnected,
		log: s.Logger.With("proto", "smtp", "session", ks.ID, "remote", ks.Remote.String())}
	ss.setConn(ks.Conn())
	ks.SetData(ss)
	defer func() {
		ss.flush()
		ss.mu.Lock()
		logout := ss.logout
		ss.mu.Unlock()
		if logout != nil {
			logout()
		}
		ss.log.Debug("session ended")
	}()
	ss.log.Debug("session started")
	ss.reply(220, "", s.Hostname+" ESMTP Braid ready")
	for {
		if !ks.WaitCommand(s.ReadTimeout) {
			ss.reply(421, "4.3.2", s.Hostname+" Service shutting down, closing connection")
			return
		}
		line, err := ss.r.ReadLine()
		ks.Busy()
		if err != nil {
			if errors.Is(err, lineproto.ErrLineTooLong) {
				ss.reply(500, "5.5.2", "Line too long")
				if ss.bad() {
					return
				}
				continue
			}
			ss.readFailed(err)
			return
		}
		if !ss.command(string(line)) {
			return
		}
	}
}

// readFailed says goodbye when a read fails for a reason that leaves the
// connection usable (timeout, shutdown), and logs the reason.
func (ss *session) readFailed(err error) {
	var ne net.Error
	switch {
	case ss.ks.Closed():
		ss.log.Debug("session disconnected")
	case errors.As(err, &ne) && ne.Timeout():
		if ss.srv.base.ShuttingDown() {
			ss.reply(421, "4.3.2", ss.srv.Hostname+" Service shutting down, closing connection")
		} else {
			ss.reply(421, "4.4.2", ss.srv.Hostname+" Idle timeout, closing connection")
		}
	default:
		ss.log.Debug("read failed", "err", err)
	}
}

// bad counts a protocol error and reports whether the session should end.
func (ss *session) bad() bool {
	ss.errors++
	if ss.errors >= ss.srv.MaxErrors {
		ss.reply(421, "4.7.0", ss.srv.Hostname+" Too many errors, closing connection")
		return true
	}
	return false
}

// command runs one command line; it returns false when the session ends.
func (ss *session) command(line string) bool {
	verb, arg, _ := strings.Cut(line, " ")
	verb = strings.ToUpper(verb)
	switch verb {
	case "EHLO", "HELO":
		ss.hello(verb, strings.TrimSpace(arg))
	case "MAIL":
		ss.mail(arg)
	case "RCPT":
		ss.rcpt(arg)
	case "DATA":
		return ss.data(arg)
	case "RSET":
		if strings.TrimSpace(arg) != "" {
			ss.reply(501, "5.5.4", "Syntax: RSET")
			break
		}
		ss.reset()
		ss.reply(250, "2.0.0", "OK")
	case "NOOP":
		ss.reply(250, "2.0.0", "OK")
	case "QUIT":
		ss.reply(221, "2.0.0", ss.srv.Hostname+" Bye")
		return false
	case "VRFY":
		if strings.TrimSpace(arg) == "" {
			ss.reply(501, "5.5.4", "Syntax: VRFY <address>")
			break
		}
		ss.reply(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery")
	case "EXPN":
		ss.reply(502, "5.5.1", "EXPN not available")
	case "HELP":
		ss.help(strings.TrimSpace(arg))
	case "STARTTLS":
		return ss.startTLS(arg)
	case "AUTH":
		return ss.auth(arg)
	case "GET", "POST", "HEAD", "PUT", "CONNECT":
		// A web client (or a cross-protocol attack): don't play along.
		ss.reply(421, "4.7.0", "This is an SMTP server, closing connection")
		return false
	default:
		ss.reply(500, "5.5.2", "Command not recognized")
		return !ss.bad()
	}
	return true
}

func (ss *session) reset() {
	ss.inTx = false
	ss.from = Address{}
	ss.rcpts = nil
	ss.mu.Lock()
	if ss.helo != "" {
		ss.state = StateGreeted
	} else {
		ss.state = StateConnected
	}
	ss.mu.Unlock()
}

func (ss *session) authOffered() bool {
	return ss.srv.Portal != nil && (ss.tls || ss.srv.AllowInsecureAuth)
}

func (ss *session) hello(verb, domain string) {
	if domain == "" || strings.ContainsAny(domain, " \t") {
		ss.reply(501, "5.5.4", "Syntax: "+verb+" <domain>")
		return
	}
	ss.reset()
	ss.mu.Lock()
	ss.helo = domain
	ss.esmtp = verb == "EHLO"
	ss.state = StateGreeted
	ss.mu.Unlock()
	if verb == "HELO" {
		ss.reply(250, "", ss.srv.Hostname)
		return
	}
	lines := []string{
		ss.srv.Hostname + " greets " + domain,
		"PIPELINING",
		"SIZE " + strconv.FormatInt(ss.srv.MaxMessageBytes, 10),
		"8BITMIME",
		"ENHANCEDSTATUSCODES",
	}
	if ss.srv.TLSConfig != nil && !ss.tls {
		lines = append(lines, "STARTTLS")
	}
	if ss.authOffered() {
		lines = append(lines, "AUTH PLAIN LOGIN")
	}
	lines = append(lines, "HELP")
	ss.replyLines(250, "", lines)
}

var helpTexts = map[string]string{
	"EHLO":     "EHLO <domain>: greet the server and list its extensions",
	"HELO":     "HELO <domain>: greet the server",
	"MAIL":     "MAIL FROM:<address> [SIZE=n] [BODY=7BIT|8BITMIME]: start a message",
	"RCPT":     "RCPT TO:<address>: add a recipient",
	"DATA":     "DATA: send the message, ending with a line holding a single dot",
	"RSET":     "RSET: abandon the current message",
	"NOOP":     "NOOP: do nothing",
	"QUIT":     "QUIT: end the session",
	"VRFY":     "VRFY <address>: not answered (252); send the message instead",
	"HELP":     "HELP [command]: this help",
	"STARTTLS": "STARTTLS: switch to TLS",
	"AUTH":     "AUTH PLAIN|LOGIN [initial-response]: authenticate",
}

func (ss *session) help(topic string) {
	if topic == "" {
		ss.replyLines(214, "2.0.0", []string{
			"Braid ESMTP server. Commands:",
			"EHLO HELO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP STARTTLS AUTH",
			"HELP <command> describes one; see RFC 5321",
		})
		return
	}
	if t, ok := helpTexts[strings.ToUpper(topic)]; ok {
		ss.reply(214, "2.0.0", t)
		return
	}
	ss.reply(504, "5.5.1", "HELP topic unknown")
}

func (ss *session) needHello() bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.helo == "" {
		ss.reply(503, "5.5.1", "Send EHLO or HELO first")
		return false
	}
	return true
}

func (ss *session) mail(arg string) {
	if !ss.needHello() {
		return
	}
	if ss.inTx {
		ss.reply(503, "5.5.1", "Nested MAIL command")
		return
	}
	if len(arg) < 5 || !strings.EqualFold(arg[:5], "FROM:") {
		ss.reply(501, "5.5.4", "Syntax: MAIL FROM:<address>")
		return
	}
	from, params, err := parsePath(arg[5:])
	if err != nil {
		ss.reply(501, "5.1.7", "Bad sender address syntax")
		return
	}
	for k, v := range params {
		switch k {
		case "SIZE":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				ss.reply(501, "5.5.4", "Bad SIZE parameter")
				return
			}
			if n > ss.srv.MaxMessageBytes {
				ss.reply(552, "5.3.4", "Message size exceeds fixed maximum message size")
				return
			}
		case "BODY":
			if !strings.EqualFold(v, "7BIT") && !strings.EqualFold(v, "8BITMIME") {
				ss.reply(501, "5.5.4", "Bad BODY parameter")
				return
			}
		case "AUTH":
			// RFC 4954 §5: accepted; we do not relay the identity onward.
		default:
			ss.reply(555, "5.5.4", "Unsupported parameter "+k)
			return
		}
	}
	ss.inTx = true
	ss.from = from
	ss.rcpts = nil
	ss.setState(StateMail)
	ss.reply(250, "2.1.0", "Sender OK")
}

func (ss *session) isLocal(domain string) bool {
	return domain == "" || slices.Contains(ss.srv.Domains, domain)
}

func (ss *session) rcpt(arg string) {
	if !ss.inTx {
		ss.reply(503, "5.5.1", "Need MAIL before RCPT")
		return
	}
	if len(arg) < 3 || !strings.EqualFold(arg[:3], "TO:") {
		ss.reply(501, "5.5.4", "Syntax: RCPT TO:<address>")
		return
	}
	to, params, err := parsePath(arg[3:])
	if err != nil || to.IsNull() {
		ss.reply(501, "5.1.3", "Bad recipient address syntax")
		return
	}
	if len(params) > 0 {
		for k := range params {
			ss.reply(555, "5.5.4", "Unsupported parameter "+k)
			return
		}
	}
	if len(ss.rcpts) >= ss.srv.MaxRecipients {
		ss.reply(452, "4.5.3", "Too many recipients")
		return
	}
	refuse := func(code int, enh, text string) {
		ss.srv.stats.recipientsRefused.Add(1)
		ss.reply(code, enh, text)
	}
	if !ss.isLocal(to.Domain) {
		ss.mu.Lock()
		user := ss.user
		ss.mu.Unlock()
		switch {
		case user == "":
			refuse(550, "5.7.1", "Relaying denied; authenticate first")
		case ss.srv.Relay == nil:
			refuse(550, "5.7.1", "Relaying not available")
		default:
			ss.rcpts = append(ss.rcpts, recipient{addr: to})
			ss.srv.stats.recipientsAccepted.Add(1)
			ss.setState(StateRcpt)
			ss.reply(250, "2.1.5", "Recipient OK (relay)")
		}
		return
	}
	resolve := ss.srv.Resolve
	if resolve == nil {
		resolve = defaultResolve
	}
	mailbox, err := resolve(ss.ks.Ctx, to)
	switch {
	case errors.Is(err, ErrNoSuchUser):
		refuse(550, "5.1.1", "No such user here")
		return
	case err != nil:
		ss.log.Warn("resolving recipient failed", "rcpt", to.String(), "err", err)
		refuse(451, "4.3.0", "Temporary failure, try again later")
		return
	case !ValidMailbox(mailbox):
		refuse(550, "5.1.1", "No such user here")
		return
	}
	ss.rcpts = append(ss.rcpts, recipient{addr: to, mailbox: mailbox})
	ss.srv.stats.recipientsAccepted.Add(1)
	ss.setState(StateRcpt)
	ss.reply(250, "2.1.5", "Recipient OK")
}

func defaultResolve(ctx context.Context, rcpt Address) (string, error) {
	mb := strings.ToLower(rcpt.Local)
	if !ValidMailbox(mb) {
		return "", ErrNoSuchUser
	}
	return mb, nil
}

// data receives a message. It returns false when the connection is gone.
func (ss *session) data(arg string) bool {
	switch {
	case strings.TrimSpace(arg) != "":
		ss.reply(501, "5.5.4", "Syntax: DATA")
		return true
	case !ss.inTx:
		ss.reply(503, "5.5.1", "Need MAIL and RCPT before DATA")
		return true
	case len(ss.rcpts) == 0:
		ss.reply(503, "5.5.1", "Need RCPT before DATA (no valid recipients)")
		return true
	}
	ss.setState(StateData)
	ss.reply(354, "", "Start mail input; end with <CRLF>.<CRLF>")
	// The trace id: unique across restarts, and names the session.
	id := fmt.Sprintf("%s.%d.%d", strconv.FormatInt(time.Now().UnixNano(), 36), ss.ks.ID, ss.srv.msgSeq.Add(1))
	dr := lineproto.NewDotReader(ss.r, ss.srv.MaxMessageBytes)
	trace := ss.receivedHeader(id)

	// Read the whole message into a spool first: nothing reaches a mailbox
	// until the client has sent the final dot.
	sp := newSpool()
	defer sp.Close()
	ss.extend = true
	defer func() { ss.extend = false }()
	_, err := io.Copy(sp, io.MultiReader(strings.NewReader(trace), dr))
	if err == nil && !dr.Done() {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		violation := dr.Drain()
		ss.reset()
		ss.srv.stats.messagesRefused.Add(1)
		switch {
		case errors.Is(violation, lineproto.ErrMessageTooLarge):
			ss.reply(552, "5.3.4", "Message size exceeds fixed maximum message size")
			return true
		case errors.Is(violation, lineproto.ErrLineTooLong):
			ss.reply(500, "5.5.2", "Line too long")
			return true
		case violation != nil:
			// The connection failed mid-DATA: nothing was stored.
			ss.log.Info("client vanished during DATA; message discarded", "err", violation)
			return false
		default: // the spool failed
			ss.log.Error("spooling message failed", "err", err)
			ss.reply(451, "4.3.0", "Local error, try again later")
			return true
		}
	}
	err = ss.deliver(sp, id)
	size := dr.Size()
	ss.reset()
	if err != nil {
		ss.srv.stats.messagesRefused.Add(1)
		ss.log.Error("delivery failed", "id", id, "err", err)
		ss.reply(451, "4.3.0", "Delivery failed, try again later")
		return true
	}
	ss.srv.stats.messagesAccepted.Add(1)
	ss.srv.stats.bytesAccepted.Add(size)
	ss.reply(250, "2.0.0", "OK: queued as "+id)
	return true
}

// deliver stores the spooled message in every local mailbox and relays it to
// the remote recipients. If a local delivery fails, the copies already stored
// are removed (when the store can) so the client's retry makes no duplicates.
func (ss *session) deliver(sp *spool, id string) error {
	ctx := context.WithoutCancel(ss.ks.Ctx)
	var remote []Address
	var mailboxes []string
	for _, r := range ss.rcpts {
		if r.mailbox == "" {
			remote = append(remote, r.addr)
		} else if !slices.Contains(mailboxes, r.mailbox) {
			mailboxes = append(mailboxes, r.mailbox)
		}
	}
	type stored struct{ mailbox, id string }
	var done []stored
	for _, mb := range mailboxes {
		info, err := ss.srv.Store.Deliver(ctx, mb, sp.Reader())
		if err != nil {
			if st, ok := ss.srv.Store.(Store); ok {
				for _, d := range done {
					st.Delete(ctx, d.mailbox, d.id)
				}
			}
			return fmt.Errorf("smtp: delivering to %s: %w", mb, err)
		}
		done = append(done, stored{mb, info.ID})
		ss.log.Info("delivered", "id", id, "mailbox", mb, "stored", info.ID, "size", info.Size)
	}
	if len(remote) > 0 {
		ss.mu.Lock()
		user := ss.user
		ss.mu.Unlock()
		if err := ss.srv.Relay.Relay(ctx, Envelope{From: ss.from, To: remote, User: user}, sp.Reader()); err != nil {
			return fmt.Errorf("smtp: relay: %w", err)
		}
		ss.log.Info("relayed", "id", id, "to", len(remote))
	}
	return nil
}

// receivedHeader builds the trace header (RFC 5321 §4.4) added on top of
// the message: the only change made to it. The protocol keyword follows
// RFC 3848 (ESMTP, ESMTPS, ESMTPA, ESMTPSA).
func (ss *session) receivedHeader(id string) string {
	ss.mu.Lock()
	helo, esmtp, tlsOn, user := ss.helo, ss.esmtp, ss.tls, ss.user
	ss.mu.Unlock()
	proto := "SMTP"
	if esmtp {
		proto = "ESMTP"
		if tlsOn {
			proto += "S"
		}
		if user != "" {
			proto += "A"
		}
	}
	ip := ss.ks.Remote.String()
	if host, _, err := net.SplitHostPort(ip); err == nil {
		ip = host
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Received: from %s ([%s])\r\n\tby %s (Braid) with %s id %s", sanitize(helo), ip, ss.srv.Hostname, proto, id)
	if len(ss.rcpts) == 1 {
		fmt.Fprintf(&b, "\r\n\tfor <%s>", sanitize(ss.rcpts[0].addr.String()))
	}
	fmt.Fprintf(&b, ";\r\n\t%s\r\n", time.Now().Format(time.RFC1123Z))
	return b.String()
}

// sanitize keeps header text printable and free of structure characters.
func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x21 || r == 0x7f || r == '(' || r == ')' || r == ';' || r == '<' || r == '>' {
			return '_'
		}
		return r
	}, s)
}

func (ss *session) startTLS(arg string) bool {
	switch {
	case ss.srv.TLSConfig == nil:
		ss.reply(502, "5.5.1", "STARTTLS not available")
		return true
	case ss.tls:
		ss.reply(503, "5.5.1", "Already running TLS")
		return true
	case strings.TrimSpace(arg) != "":
		ss.reply(501, "5.5.4", "Syntax: STARTTLS")
		return true
	}
	if ss.r.Buffered() > 0 {
		// Commands pipelined after STARTTLS would be taken as sent over TLS
		// (CVE-2011-0411); refuse rather than guess.
		ss.reply(554, "5.5.1", "Commands pipelined after STARTTLS, closing connection")
		return false
	}
	ss.reply(220, "2.0.0", "Ready to start TLS")
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
	ss.srv.stats.tlsHandshakes.Add(1)
	ss.ks.SetConn(tc)
	ss.setConn(tc)
	// RFC 3207 §4.2: forget everything learnt before TLS.
	ss.reset()
	ss.mu.Lock()
	ss.tls = true
	ss.helo = ""
	ss.esmtp = false
	ss.state = StateConnected
	ss.mu.Unlock()
	return true
}
