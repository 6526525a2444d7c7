package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/braidkit/braid/protocols/internal/lineproto"
	"github.com/braidkit/braid/transport"
)

// Error is an -ERR reply from a POP3 server.
type Error struct {
	// Code is the RFC 2449 response code without brackets ("IN-USE",
	// "AUTH", "SYS/TEMP"), "" if none.
	Code string
	// Message is the rest of the reply text.
	Message string
}

// Error formats the reply as "pop3: -ERR [<code>] <text>".
func (e *Error) Error() string {
	if e.Code != "" {
		return fmt.Sprintf("pop3: -ERR [%s] %s", e.Code, e.Message)
	}
	return "pop3: -ERR " + e.Message
}

// DefaultClientMaxMessage is the largest message a Client reads by default.
const DefaultClientMaxMessage = 64 << 20

// Client is a POP3 client connection. Its methods must not be called
// concurrently. Each takes a context whose deadline and cancellation bound
// its exchange.
type Client struct {
	conn       net.Conn
	r          *lineproto.Reader
	w          *bufio.Writer
	serverName string
	greeting   string
	timestamp  string
	// MaxMessage bounds what Retr and Top read (default
	// DefaultClientMaxMessage).
	MaxMessage int64
}

// Dial connects to a POP3 server at a transport endpoint
// ("tcp:pop.example.com:110") and reads its greeting. StartTLS verifies the
// certificate against the endpoint's host.
func Dial(ctx context.Context, endpoint string) (*Client, error) {
	c, err := transport.Dial(ctx, endpoint)
	if err != nil {
		return nil, fmt.Errorf("pop3: %w", err)
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
// serverName is the name a STLS certificate must carry.
func NewClient(ctx context.Context, conn net.Conn, serverName string) (*Client, error) {
	c := &Client{serverName: serverName, MaxMessage: DefaultClientMaxMessage}
	c.setConn(conn)
	msg, err := c.readStatus(ctx)
	if err != nil {
		return nil, err
	}
	c.greeting = msg
	if i := strings.IndexByte(msg, '<'); i >= 0 {
		if j := strings.IndexByte(msg[i:], '>'); j > 0 && strings.Contains(msg[i:i+j], "@") {
			c.timestamp = msg[i : i+j+1]
		}
	}
	return c, nil
}

func (c *Client) setConn(conn net.Conn) {
	c.conn = conn
	c.r = lineproto.NewReader(bufio.NewReader(conn), 8192)
	c.w = bufio.NewWriter(conn)
}

// Greeting returns the text of the server's greeting.
func (c *Client) Greeting() string { return c.greeting }

// APOPTimestamp returns the greeting's APOP timestamp, "" if it has none
// (then the server does not offer APOP).
func (c *Client) APOPTimestamp() string { return c.timestamp }

func (c *Client) watch(ctx context.Context) func() {
	if dl, ok := ctx.Deadline(); ok {
		c.conn.SetDeadline(dl)
	} else {
		c.conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { c.conn.SetDeadline(time.Now()) })
	return func() { stop() }
}

func (c *Client) readStatus(ctx context.Context) (string, error) {
	defer c.watch(ctx)()
	line, err := c.r.ReadLine()
	if err != nil {
		return "", fmt.Errorf("pop3: reading reply: %w", err)
	}
	s := string(line)
	switch {
	case s == "+OK" || strings.HasPrefix(s, "+OK "):
		return strings.TrimPrefix(strings.TrimPrefix(s, "+OK"), " "), nil
	case s == "-ERR" || strings.HasPrefix(s, "-ERR "):
		msg := strings.TrimPrefix(strings.TrimPrefix(s, "-ERR"), " ")
		e := &Error{Message: msg}
		if strings.HasPrefix(msg, "[") {
			if end := strings.IndexByte(msg, ']'); end > 0 {
				e.Code, e.Message = msg[1:end], strings.TrimSpace(msg[end+1:])
			}
		}
		return "", e
	case strings.HasPrefix(s, "+ "): // SASL continuation; not used here
		return "", fmt.Errorf("pop3: unexpected continuation %q", s)
	}
	return "", fmt.Errorf("pop3: malformed reply %q", s)
}

func (c *Client) cmd(ctx context.Context, format string, args ...any) (string, error) {
	stop := c.watch(ctx)
	fmt.Fprintf(c.w, format+"\r\n", args...)
	err := c.w.Flush()
	stop()
	if err != nil {
		return "", fmt.Errorf("pop3: %w", err)
	}
	return c.readStatus(ctx)
}

// readBlock reads a dot-terminated multi-line body.
func (c *Client) readBlock(ctx context.Context) ([]byte, error) {
	defer c.watch(ctx)()
	dr := lineproto.NewDotReader(c.r, c.MaxMessage)
	b, err := io.ReadAll(dr)
	if err != nil {
		return nil, fmt.Errorf("pop3: %w", err)
	}
	return b, nil
}

func (c *Client) multi(ctx context.Context, format string, args ...any) ([]byte, error) {
	if _, err := c.cmd(ctx, format, args...); err != nil {
		return nil, err
	}
	return c.readBlock(ctx)
}

// Capabilities sends CAPA and returns the capabilities by name, each with
// its arguments.
func (c *Client) Capabilities(ctx context.Context) (map[string][]string, error) {
	b, err := c.multi(ctx, "CAPA")
	if err != nil {
		return nil, err
	}
	caps := map[string][]string{}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) > 0 {
			caps[strings.ToUpper(f[0])] = f[1:]
		}
	}
	return caps, nil
}

// StartTLS upgrades the connection with STLS. A nil config verifies the
// server against the name given to Dial or NewClient.
func (c *Client) StartTLS(ctx context.Context, config *tls.Config) error {
	if _, err := c.cmd(ctx, "STLS"); err != nil {
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
		return fmt.Errorf("pop3: TLS handshake: %w", err)
	}
	c.setConn(tc)
	return nil
}

// Login authenticates with USER and PASS.
func (c *Client) Login(ctx context.Context, username, password string) error {
	if _, err := c.cmd(ctx, "USER %s", username); err != nil {
		return err
	}
	_, err := c.cmd(ctx, "PASS %s", password)
	return err
}

// APOP authenticates with APOP, which does not send the password. The
// server must have offered a timestamp in its greeting.
func (c *Client) APOP(ctx context.Context, username, password string) error {
	if c.timestamp == "" {
		return fmt.Errorf("pop3: server does not offer APOP")
	}
	_, err := c.cmd(ctx, "APOP %s %s", username, APOPDigest(c.timestamp, password))
	return err
}

// Stat returns the number of messages and their total size.
func (c *Client) Stat(ctx context.Context) (count int, size int64, err error) {
	msg, err := c.cmd(ctx, "STAT")
	if err != nil {
		return 0, 0, err
	}
	if _, err := fmt.Sscanf(msg, "%d %d", &count, &size); err != nil {
		return 0, 0, fmt.Errorf("pop3: malformed STAT reply %q", msg)
	}
	return count, size, nil
}

// MessageListing is one line of LIST or UIDL.
type MessageListing struct {
	Number int
	Size   int64  // LIST
	UID    string // UIDL
}

// List returns the number and size of every message not deleted.
func (c *Client) List(ctx context.Context) ([]MessageListing, error) {
	b, err := c.multi(ctx, "LIST")
	if err != nil {
		return nil, err
	}
	var out []MessageListing
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l = strings.TrimSpace(l); l == "" {
			continue
		}
		var m MessageListing
		if _, err := fmt.Sscanf(l, "%d %d", &m.Number, &m.Size); err != nil {
			return nil, fmt.Errorf("pop3: malformed LIST line %q", l)
		}
		out = append(out, m)
	}
	return out, nil
}

// UIDL returns the unique id of every message not deleted.
func (c *Client) UIDL(ctx context.Context) ([]MessageListing, error) {
	b, err := c.multi(ctx, "UIDL")
	if err != nil {
		return nil, err
	}
	var out []MessageListing
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.Atoi(f[0])
		if err != nil || len(f) != 2 {
			return nil, fmt.Errorf("pop3: malformed UIDL line %q", l)
		}
		out = append(out, MessageListing{Number: n, UID: f[1]})
	}
	return out, nil
}

// Retr returns message n as sent (CRLF line endings, dot-stuffing removed).
func (c *Client) Retr(ctx context.Context, n int) ([]byte, error) {
	return c.multi(ctx, "RETR %d", n)
}

// Top returns the header section of message n and the first lines lines of
// its body.
func (c *Client) Top(ctx context.Context, n, lines int) ([]byte, error) {
	return c.multi(ctx, "TOP %d %d", n, lines)
}

// Dele marks message n for deletion at Quit.
func (c *Client) Dele(ctx context.Context, n int) error {
	_, err := c.cmd(ctx, "DELE %d", n)
	return err
}

// Rset unmarks the messages marked for deletion.
func (c *Client) Rset(ctx context.Context) error {
	_, err := c.cmd(ctx, "RSET")
	return err
}

// Noop sends NOOP.
func (c *Client) Noop(ctx context.Context) error {
	_, err := c.cmd(ctx, "NOOP")
	return err
}

// Quit ends the session, which applies the deletions, and closes the
// connection.
func (c *Client) Quit(ctx context.Context) error {
	_, err := c.cmd(ctx, "QUIT")
	c.conn.Close()
	return err
}

// Close closes the connection without QUIT: deletions are not applied.
func (c *Client) Close() error { return c.conn.Close() }
