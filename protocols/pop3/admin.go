package pop3

import (
	"context"
	"fmt"
	"time"

	"github.com/braidkit/braid/pb"
)

// SessionInfo describes one open session.
type SessionInfo struct {
	ID      int64     `jelly:"id"`
	Remote  string    `jelly:"remote"`
	User    string    `jelly:"user"` // "" before login
	State   string    `jelly:"state"`
	TLS     bool      `jelly:"tls"`
	Started time.Time `jelly:"started"`
	// Messages in the session's snapshot, and how many it marked deleted.
	Messages int `jelly:"messages"`
	Deleted  int `jelly:"deleted"`
}

// MailboxInfo describes one mailbox of the store.
type MailboxInfo struct {
	Name     string `jelly:"name"`
	Messages int    `jelly:"messages"`
	Bytes    int64  `jelly:"bytes"`
	Locked   bool   `jelly:"locked"`
	// LockedBy is the id of the session holding the lock, 0 if none.
	LockedBy int64 `jelly:"lockedBy"`
}

// Sessions lists the open sessions, oldest first.
func (s *Server) Sessions() []SessionInfo {
	out := make([]SessionInfo, 0)
	for _, ks := range s.base.Sessions() {
		info := SessionInfo{ID: int64(ks.ID), Remote: ks.Remote.String(), Started: ks.Started, State: StateAuthorization}
		if ss, ok := ks.Data().(*session); ok {
			ss.mu.Lock()
			info.User, info.State, info.TLS, info.Messages = ss.user, ss.state, ss.tls, len(ss.msgs)
			for _, m := range ss.msgs {
				if m.deleted {
					info.Deleted++
				}
			}
			ss.mu.Unlock()
		}
		out = append(out, info)
	}
	return out
}

// Mailboxes lists the store's mailboxes with their sizes and locks.
func (s *Server) Mailboxes(ctx context.Context) ([]MailboxInfo, error) {
	s.init()
	names, err := s.Store.Mailboxes(ctx)
	if err != nil {
		return nil, fmt.Errorf("pop3: %w", err)
	}
	out := make([]MailboxInfo, 0, len(names))
	for _, name := range names {
		infos, err := s.Store.List(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("pop3: %w", err)
		}
		mi := MailboxInfo{Name: name, Messages: len(infos)}
		for _, in := range infos {
			mi.Bytes += in.Size
		}
		s.lockMu.Lock()
		if ss, ok := s.locks[name]; ok {
			mi.Locked, mi.LockedBy = true, int64(ss.ks.ID)
		}
		s.lockMu.Unlock()
		out = append(out, mi)
	}
	return out, nil
}

// Disconnect closes a session at once; its deletions are not applied. It
// reports whether the session existed.
func (s *Server) Disconnect(id int64) bool {
	ks, ok := s.base.Session(uint64(id))
	if !ok {
		return false
	}
	ks.Close()
	return true
}

// Admin is the administration object of a Server, for publishing over PB.
// Methods (wire names): sessions, mailboxes, disconnect(sessionId).
type Admin struct {
	pb.Referenceable
	srv *Server
}

// NewAdmin returns the admin object of srv; call it once srv is configured.
func NewAdmin(srv *Server) *Admin {
	srv.init()
	return &Admin{srv: srv}
}

// PBDoc documents the admin object for braid shell.
func (a *Admin) PBDoc() (string, map[string]string) {
	return "POP3 server administration", map[string]string{
		"sessions":   "sessions() -> list of {id, remote, user, state, tls, started, messages, deleted}",
		"mailboxes":  "mailboxes() -> list of {name, messages, bytes, locked, lockedBy}",
		"disconnect": "disconnect(sessionId) -> True if the session existed; closes it without applying deletions",
	}
}

// RemoteSessions lists the open sessions.
func (a *Admin) RemoteSessions(ctx context.Context) ([]SessionInfo, error) {
	return a.srv.Sessions(), nil
}

// RemoteMailboxes lists the mailboxes with sizes and locks.
func (a *Admin) RemoteMailboxes(ctx context.Context) ([]MailboxInfo, error) {
	return a.srv.Mailboxes(ctx)
}

// RemoteDisconnect closes a session; it reports whether it existed.
func (a *Admin) RemoteDisconnect(ctx context.Context, sessionID int64) (bool, error) {
	return a.srv.Disconnect(sessionID), nil
}
