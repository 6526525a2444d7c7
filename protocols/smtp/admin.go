package smtp

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"strings"
	"time"

	"github.com/braidkit/braid/pb"
)

// Counters are a Server's running totals since it started.
type Counters struct {
	// Connections accepted, and sessions open now.
	Connections int64 `jelly:"connections"`
	Active      int64 `jelly:"active"`
	// Messages accepted (250 after DATA) and refused after DATA (too large,
	// bad lines, delivery failures, client gone).
	MessagesAccepted int64 `jelly:"messagesAccepted"`
	MessagesRefused  int64 `jelly:"messagesRefused"`
	// BytesAccepted is the total size of accepted messages, as sent.
	BytesAccepted      int64 `jelly:"bytesAccepted"`
	RecipientsAccepted int64 `jelly:"recipientsAccepted"`
	RecipientsRefused  int64 `jelly:"recipientsRefused"`
	AuthSuccesses      int64 `jelly:"authSuccesses"`
	AuthFailures       int64 `jelly:"authFailures"`
	TLSHandshakes      int64 `jelly:"tlsHandshakes"`
}

// SessionInfo describes one open session.
type SessionInfo struct {
	ID      int64     `jelly:"id"`
	Remote  string    `jelly:"remote"`
	User    string    `jelly:"user"` // authenticated user, "" if none
	State   string    `jelly:"state"`
	Helo    string    `jelly:"helo"`
	TLS     bool      `jelly:"tls"`
	Started time.Time `jelly:"started"`
}

// Counters returns the server's running totals.
func (s *Server) Counters() Counters {
	st := &s.stats
	return Counters{
		Connections:        st.connections.Load(),
		Active:             int64(len(s.base.Sessions())),
		MessagesAccepted:   st.messagesAccepted.Load(),
		MessagesRefused:    st.messagesRefused.Load(),
		BytesAccepted:      st.bytesAccepted.Load(),
		RecipientsAccepted: st.recipientsAccepted.Load(),
		RecipientsRefused:  st.recipientsRefused.Load(),
		AuthSuccesses:      st.authSuccesses.Load(),
		AuthFailures:       st.authFailures.Load(),
		TLSHandshakes:      st.tlsHandshakes.Load(),
	}
}

// Sessions lists the open sessions, oldest first.
func (s *Server) Sessions() []SessionInfo {
	out := make([]SessionInfo, 0)
	for _, ks := range s.base.Sessions() {
		info := SessionInfo{ID: int64(ks.ID), Remote: ks.Remote.String(), Started: ks.Started, State: StateConnected}
		if ss, ok := ks.Data().(*session); ok {
			ss.mu.Lock()
			info.User, info.State, info.Helo, info.TLS = ss.user, ss.state, ss.helo, ss.tls
			ss.mu.Unlock()
		}
		out = append(out, info)
	}
	return out
}

// Disconnect closes a session at once; a message it was sending is not
// stored. It reports whether the session existed.
func (s *Server) Disconnect(id int64) bool {
	ks, ok := s.base.Session(uint64(id))
	if !ok {
		return false
	}
	ks.Close()
	return true
}

// MessageSummary describes a stored message for a listing.
type MessageSummary struct {
	ID        string    `jelly:"id"`
	Size      int64     `jelly:"size"`
	From      string    `jelly:"from"`
	To        string    `jelly:"to"`
	Subject   string    `jelly:"subject"`
	Date      string    `jelly:"date"` // the Date header as written
	Delivered time.Time `jelly:"delivered"`
}

// MessageDetail is one stored message: its header section as text and (the
// start of) its body.
type MessageDetail struct {
	ID      string `jelly:"id"`
	Size    int64  `jelly:"size"`
	Headers string `jelly:"headers"`
	Body    []byte `jelly:"body"`
	// Truncated is true when Body holds only the first MaxInspectBody
	// octets of the body.
	Truncated bool `jelly:"truncated"`
}

// Admin limits.
const (
	// MaxInspectBody is how much of a body RemoteMessage returns, so the
	// answer stays well inside PB's 640 KiB string limit.
	MaxInspectBody = 256 << 10
	// maxHeaderBytes is how much of a message is read for its summary.
	maxHeaderBytes = 64 << 10
)

// Admin is the administration object of a Server, for publishing over PB:
// statistics, sessions, the delivered messages, and disconnecting a session.
// Methods (wire names): counters, sessions, mailboxes, messages(mailbox),
// message(mailbox, id), delete(mailbox, id), disconnect(sessionId).
type Admin struct {
	pb.Referenceable
	srv   *Server
	store Store
}

// NewAdmin returns the admin object of srv; call it once srv is configured
// (it fills in srv's defaults). The message methods need
// srv.Store to be a Store (both stores of this package are); otherwise they
// fail.
func NewAdmin(srv *Server) *Admin {
	srv.init()
	a := &Admin{srv: srv}
	a.store, _ = srv.Store.(Store)
	return a
}

// PBDoc documents the admin object for braid shell.
func (a *Admin) PBDoc() (string, map[string]string) {
	return "SMTP server administration", map[string]string{
		"counters":   "counters() -> dict of running totals",
		"sessions":   "sessions() -> list of {id, remote, user, state, helo, tls, started}",
		"mailboxes":  "mailboxes() -> list of mailbox names",
		"messages":   "messages(mailbox) -> list of {id, size, from, to, subject, date, delivered}",
		"message":    "message(mailbox, id) -> {id, size, headers, body, truncated}",
		"delete":     "delete(mailbox, id) -> True; deletes a delivered message",
		"disconnect": "disconnect(sessionId) -> True if the session existed; closes it",
	}
}

var errNoStore = errors.New("smtp admin: the server's store cannot list messages")

// RemoteCounters returns the server's running totals.
func (a *Admin) RemoteCounters(ctx context.Context) (Counters, error) { return a.srv.Counters(), nil }

// RemoteSessions lists the open sessions.
func (a *Admin) RemoteSessions(ctx context.Context) ([]SessionInfo, error) {
	return a.srv.Sessions(), nil
}

// RemoteDisconnect closes a session; it reports whether it existed.
func (a *Admin) RemoteDisconnect(ctx context.Context, sessionID int64) (bool, error) {
	return a.srv.Disconnect(sessionID), nil
}

// RemoteMailboxes lists the mailboxes of the store.
func (a *Admin) RemoteMailboxes(ctx context.Context) ([]string, error) {
	if a.store == nil {
		return nil, errNoStore
	}
	boxes, err := a.store.Mailboxes(ctx)
	if boxes == nil {
		boxes = []string{}
	}
	return boxes, err
}

// RemoteMessages lists the messages of a mailbox, oldest first.
func (a *Admin) RemoteMessages(ctx context.Context, mailbox string) ([]MessageSummary, error) {
	if a.store == nil {
		return nil, errNoStore
	}
	infos, err := a.store.List(ctx, mailbox)
	if err != nil {
		return nil, fmt.Errorf("smtp admin: %w", err)
	}
	out := make([]MessageSummary, 0, len(infos))
	for _, info := range infos {
		sum := MessageSummary{ID: info.ID, Size: info.Size, Delivered: info.Delivered}
		if h, err := a.header(ctx, mailbox, info.ID); err == nil {
			dec := new(mime.WordDecoder)
			get := func(k string) string {
				v := h.Get(k)
				if d, err := dec.DecodeHeader(v); err == nil {
					v = d
				}
				return strings.ToValidUTF8(v, "\uFFFD")
			}
			sum.From, sum.To, sum.Subject, sum.Date = get("From"), get("To"), get("Subject"), get("Date")
		} else if errors.Is(err, ErrNotFound) {
			continue // deleted meanwhile
		}
		out = append(out, sum)
	}
	return out, nil
}

func (a *Admin) header(ctx context.Context, mailbox, id string) (mail.Header, error) {
	rc, err := a.store.Open(ctx, mailbox, id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	m, err := mail.ReadMessage(bufio.NewReader(io.LimitReader(rc, maxHeaderBytes)))
	if err != nil {
		return nil, err
	}
	return m.Header, nil
}

// RemoteMessage returns a stored message: its header section and the first
// MaxInspectBody octets of its body.
func (a *Admin) RemoteMessage(ctx context.Context, mailbox, id string) (MessageDetail, error) {
	if a.store == nil {
		return MessageDetail{}, errNoStore
	}
	rc, err := a.store.Open(ctx, mailbox, id)
	if err != nil {
		return MessageDetail{}, fmt.Errorf("smtp admin: %w", err)
	}
	defer rc.Close()
	br := bufio.NewReader(rc)
	var head bytes.Buffer
	for head.Len() < maxHeaderBytes {
		line, err := br.ReadSlice('\n')
		head.Write(line)
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
		if err == nil && (len(line) == 1 || (len(line) == 2 && line[0] == '\r')) {
			break
		}
	}
	body, err := io.ReadAll(io.LimitReader(br, MaxInspectBody+1))
	if err != nil {
		return MessageDetail{}, fmt.Errorf("smtp admin: %w", err)
	}
	d := MessageDetail{ID: id, Headers: strings.ToValidUTF8(head.String(), "\uFFFD"), Body: body}
	if len(body) > MaxInspectBody {
		d.Body, d.Truncated = body[:MaxInspectBody], true
	}
	if infos, err := a.store.List(ctx, mailbox); err == nil {
		for _, info := range infos {
			if info.ID == id {
				d.Size = info.Size
			}
		}
	}
	return d, nil
}

// RemoteDelete deletes a stored message.
func (a *Admin) RemoteDelete(ctx context.Context, mailbox, id string) (bool, error) {
	if a.store == nil {
		return false, errNoStore
	}
	if err := a.store.Delete(ctx, mailbox, id); err != nil {
		return false, fmt.Errorf("smtp admin: %w", err)
	}
	a.srv.Logger.Info("message deleted by admin", "proto", "smtp", "mailbox", mailbox, "id", id)
	return true, nil
}
