package smtp

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/braidkit/braid/protocols/internal/lineproto"
	"github.com/braidkit/braid/transport"
)

// Error is an error reply from an SMTP server.
type Error struct {
	// Code is the three-digit reply code.
	Code int
	// Enhanced is the enhanced status code (RFC 3463), "" if none.
	Enhanced string
	// Message is the reply text (lines joined with "\n").
	Message string
}

// Error formats the reply as "smtp: <code> <enhanced> <text>".
func (e *Error) Error() string {
	if e.Enhanced != "" {
		return fmt.Sprintf("smtp: %d %s %s", e.Code, e.Enhanced, e.Message)
	}
	return fmt.Sprintf("smtp: %d %s", e.Code, e.Message)
}

// Temporary reports whether the reply is a 4xx (try again later).
func (e *Error) Temporary() bool { return e.Code >= 400 && e.Code < 500 }

// Client is an SMTP client connection. Its methods must not be called
// concurrently. Each method takes a context whose deadline and cancellation
// bound its network exchanges.
type Client struct {
	conn       net.Conn
	r          *lineproto.Reader
	w          *bufio.Writer
	serverName string
	greeting   string
	ext        map[string]string
	tls        bool
	localName  string
}

// Dial connects to an SMTP server at a transport endpoint
// ("tcp:mail.example.com:587") and reads its greeting. StartTLS verifies
// the server's certificate against the endpoint's host.
func Dial(ctx context.Context, endpoint string) (*Client, error) {
	c, err := transport.Dial(ctx, endpoint)
	if err != nil {
		return nil, fmt.Errorf("smtp: %w", err)
	}
	host := ""
	if ep, err := transport.Parse(endpoint); err == nil {
		host, _, _ = net.SplitHostPort(ep.Address)
	}
	cl, err := NewClient(ctx, c, host)
	if err != nil {
		c.Close()
		return nil, err
	}
	return cl, nil
}

// NewClient starts a client on an open connection and reads the greeting.
// serverName is the name a STARTTLS certificate must carry (unless the
// tls.Config given to StartTLS says otherwise).
func NewClient(ctx context.Context, conn net.Conn, serverName string) (*Client, error) {
	c := &Client{conn: conn, serverName: serverName, localName: "localhost"}
	c.setConn(conn)
	code, _, msg, err := c.readReply(ctx)
	if err != nil {
		return nil, err
	}
	if code != 220 {
		return nil, &Error{Code: code, Message: msg}
	}
	c.greeting = msg
	return c, nil
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.r = lineproto.NewReader(bufio.NewReader(conn), authLineLength)
	c.w = bufio.NewWriter(conn)
}

// Greeting returns the text of the server's 220 greeting.
func (c *Client) Greeting() string { return c.greeting }

// TLS reports whether the connection runs over TLS.
func (c *Client) TLS() bool { return c.tls }

// watch applies ctx to the connection for one exchange.
func (c *Client) watch(ctx context.Context) func() {
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
	} else {
		c.conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Now()) })
	return func() { stop() }
}

func (c *Client) readReply(ctx context.Context) (code int, enh, msg string, err error) {
	defer c.watch(ctx)()
	var lines []string
	for {
		line, err := c.r.ReadLine()
		if err != nil {
			return 0, "", "", fmt.Errorf("smtp: reading reply: %w", err)
		}
		if len(line) < 3 {
			return 0, "", "", fmt.Errorf("smtp: malformed reply %q", line)
		}
		n, err := strconv.Atoi(string(line[:3]))
		if err != nil || n < 200 || n > 599 || (code != 0 && n != code) {
			return 0, "", "", fmt.Errorf("smtp: malformed reply %q", line)
		}
		code = n
		text := ""
		if len(line) > 4 {
			text = string(line[4:])
		}
		lines = append(lines, text)
		if len(line) == 3 || line[3] == ' ' {
			break
		}
		if line[3] != '-' {
			return 0, "", "", fmt.Errorf("smtp: malformed reply %q", line)
		}
		if len(lines) > 1000 {
			return 0, "", "", errors.New("smtp: reply too long")
		}
	}
	// Split an enhanced status code off every line (RFC 2034).
	if code >= 200 {
		class := strconv.Itoa(code / 100)
		for i, l := range lines {
			if f, rest, ok := strings.Cut(l, " "); ok && isEnhanced(f, class) {
				enh, lines[i] = f, rest
			} else if isEnhanced(l, class) {
				enh, lines[i] = l, ""
			}
		}
	}
	return code, enh, strings.Join(lines, "\n"), nil
}

func isEnhanced(s, class string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || parts[0] != class {
		return false
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil || len(p) > 3 {
			return false
		}
	}
	return true
}

// cmd sends a command and reads its reply; a reply with a code other than
// want becomes an *Error.
func (c *Client) cmd(ctx context.Context, want int, format string, args ...any) (string, error) {
	stop := c.watch(ctx)
	fmt.Fprintf(c.w, format+"\r\n", args...)
	err := c.w.Flush()
	stop()
	if err != nil {
		return "", fmt.Errorf("smtp: %w", err)
	}
	code, enh, msg, err := c.readReply(ctx)
	if err != nil {
		return "", err
	}
	if code != want {
		return "", &Error{Code: code, Enhanced: enh, Message: msg}
	}
	return msg, nil
}

// Hello sends EHLO (falling back to HELO if the server refuses it) with
// localName ("" means "localhost") and records the server's extensions.
func (c *Client) Hello(ctx context.Context, localName string) error {
	if localName != "" {
		c.localName = localName
	}
	msg, err := c.cmd(ctx, 250, "EHLO %s", c.localName)
	if err != nil {
		var se *Error
		if !errors.As(err, &se) || se.Code < 500 {
			return err
		}
		if _, err := c.cmd(ctx, 250, "HELO %s", c.localName); err != nil {
			return err
		}
		c.ext = map[string]string{}
		return nil
	}
	c.ext = map[string]string{}
	lines := strings.Split(msg, "\n")
	for _, l := range lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// Extension reports whether the server announced an extension in its EHLO
// reply, and its parameters ("PLAIN LOGIN" for AUTH).
func (c *Client) Extension(name string) (bool, string) {
	v, ok := c.ext[strings.ToUpper(name)]
	return ok, v
}

// StartTLS upgrades the connection (RFC 3207) and says EHLO again. A nil
// config verifies the server against the name given to Dial or NewClient.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	if c.ext == nil {
		if err := c.Hello(ctx, ""); err != nil {
			return err
		}
	}
	if _, err := c.cmd(ctx, 220, "STARTTLS"); err != nil {
		return err
	}
	if config == nil {
		config = &tls.Config{}
	} else {
		config = config.Clone()
	}
	if config.ServerName == "" {
		config.ServerName = c.serverName
	}
	tc := tls.Client(c.conn, config)
	if err := tc.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("smtp: TLS handshake: %w", err)
	}
	c.setConn(tc)
	c.tls = true
	c.ext = nil
	return c.Hello(ctx, "")
}

// Auth authenticates with mechanism "PLAIN" or "LOGIN", or with the first
// of them the server offers when mech is "".
func (c *Client) Auth(ctx context.Context, mech, username, password string) error {
	if c.ext == nil {
		if err := c.Hello(ctx, ""); err != nil {
			return err
		}
	}
	ok, offered := c.Extension("AUTH")
	if mech == "" {
		if !ok {
			return errors.New("smtp: server does not offer AUTH")
		}
		for _, m := range strings.Fields(strings.ToUpper(offered)) {
			if m == "PLAIN" || m == "LOGIN" {
				mech = m
				break
			}
		}
		if mech == "" {
			return fmt.Errorf("smtp: no supported AUTH mechanism in %q", offered)
		}
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	switch strings.ToUpper(mech) {
	case "PLAIN":
		_, err := c.cmd(ctx, 235, "AUTH PLAIN %s", b64("\x00"+username+"\x00"+password))
		return err
	case "LOGIN":
		if _, err := c.cmd(ctx, 334, "AUTH LOGIN"); err != nil {
			return err
		}
		if _, err := c.cmd(ctx, 334, "%s", b64(username)); err != nil {
			return err
		}
		_, err := c.cmd(ctx, 235, "%s", b64(password))
		return err
	}
	return fmt.Errorf("smtp: unsupported AUTH mechanism %q", mech)
}

// Mail starts a message from the given sender ("" for the null path).
// size > 0 is announced with SIZE when the server supports it.
func (c *Client) Mail(ctx context.Context, from string, size int64) error {
	if c.ext == nil {
		if err := c.Hello(ctx, ""); err != nil {
			return err
		}
	}
	extra := ""
	if ok, _ := c.Extension("8BITMIME"); ok {
		extra += " BODY=8BITMIME"
	}
	if ok, _ := c.Extension("SIZE"); ok && size > 0 {
		extra += " SIZE=" + strconv.FormatInt(size, 10)
	}
	_, err := c.cmd(ctx, 250, "MAIL FROM:<%s>%s", from, extra)
	return err
}

// Rcpt adds a recipient.
func (c *Client) Rcpt(ctx context.Context, to string) error {
	_, err := c.cmd(ctx, 250, "RCPT TO:<%s>", to)
	return err
}

// Data sends DATA and returns a writer for the message: it dot-stuffs the
// text and ends lines with CRLF. Close sends the final dot and returns the
// server's verdict. Writes are bounded by ctx.
func (c *Client) Data(ctx context.Context) (io.WriteCloser, error) {
	if _, err := c.cmd(ctx, 354, "DATA"); err != nil {
		return nil, err
	}
	return &dataWriter{c: c, ctx: ctx, dw: lineproto.NewDotWriter(c.w), stop: c.watch(ctx)}, nil
}

type dataWriter struct {
	c    *Client
	ctx  context.Context
	dw   *lineproto.DotWriter
	stop func()
}

func (d *dataWriter) Write(p []byte) (int, error) { return d.dw.Write(p) }

func (d *dataWriter) Close() error {
	err := d.dw.Close()
	if err == nil {
		err = d.c.w.Flush()
	}
	d.stop()
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	code, enh, msg, err := d.c.readReply(d.ctx)
	if err != nil {
		return err
	}
	if code != 250 {
		return &Error{Code: code, Enhanced: enh, Message: msg}
	}
	return nil
}

// Reset abandons the current message (RSET).
func (c *Client) Reset(ctx context.Context) error {
	_, err := c.cmd(ctx, 250, "RSET")
	return err
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, 250, "NOOP")
	return err
}

// SendMail sends one message: MAIL, a RCPT per recipient, DATA.
func (c *Client) SendMail(ctx context.Context, from string, to []string, msg io.Reader) error {
	if err := c.Mail(ctx, from, 0); err != nil {
		return err
	}
	for _, r := range to {
		if err := c.Rcpt(ctx, r); err != nil {
			return err
		}
	}
	w, err := c.Data(ctx)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return w.Close()
}

// Quit sends QUIT and closes the connection.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, 221, "QUIT")
	c.conn.Close()
	return err
}

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

// SendOptions configure SendMail.
type SendOptions struct {
	// TLS upgrades the connection with STARTTLS using this configuration;
	// nil sends in clear text.
	TLS *tls.Config
	// Username and Password authenticate (after STARTTLS) when Username is
	// set, with AUTH PLAIN or LOGIN.
	Username, Password string
	// LocalName is the EHLO name ("localhost" if empty).
	LocalName string
}

// SendMail connects to endpoint, optionally upgrades to TLS and
// authenticates, sends one message and quits.
func SendMail(ctx context.Context, endpoint string, opts SendOptions, from string, to []string, msg io.Reader) error {
	c, err := Dial(ctx, endpoint)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello(ctx, opts.LocalName); err != nil {
		return err
	}
	if opts.TLS != nil {
		if err := c.StartTLS(ctx, opts.TLS); err != nil {
			return err
		}
	}
	if opts.Username != "" {
		if err := c.Auth(ctx, "", opts.Username, opts.Password); err != nil {
			return err
		}
	}
	if err := c.SendMail(ctx, from, to, msg); err != nil {
		return err
	}
	return c.Quit(ctx)
}
