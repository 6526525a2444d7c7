// Package mailstore is the mail store shared by Braid's mail protocols: SMTP
// delivers into it and POP3 reads from it. It lives under protocols/internal
// because a protocol never imports another protocol; package smtp and package
// pop3 each re-export what their users need (by type alias), so one store
// value serves both.
//
// A store holds mailboxes, each a list of messages in delivery order. A
// message is stored exactly as delivered (octets, line endings included), and
// appears only once complete: Deliver either stores the whole message or
// nothing. Message ids are stable for the life of the message and are what
// POP3 reports as UIDL.
//
// Two stores are provided: Maildir (on disk, in the maildir layout that MUAs
// and MDAs share: tmp/ → new/ by rename) and Memory (for tests and small
// programs).
package mailstore

import (
	"context"
	"errors"
	"io"
	"strings"
	"time"
)

// ErrNotFound reports an unknown message (or mailbox, where it matters).
var ErrNotFound = errors.New("mailstore: no such message")

// ErrBadName reports a mailbox name or message id that is not acceptable.
var ErrBadName = errors.New("mailstore: bad mailbox name or message id")

// Info describes one stored message.
type Info struct {
	// ID is the message's unique, stable id within its mailbox.
	ID string `jelly:"id"`
	// Size is the stored size in octets.
	Size int64 `jelly:"size"`
	// Delivered is when the message was stored.
	Delivered time.Time `jelly:"delivered"`
}

// Deliverer stores messages.
type Deliverer interface {
	// Deliver stores the message read from msg in mailbox, creating the
	// mailbox if needed, and returns its Info. If reading msg fails, or ctx
	// is cancelled, nothing is stored and the error is returned wrapped.
	Deliver(ctx context.Context, mailbox string, msg io.Reader) (Info, error)
}

// Reader lists, reads and deletes stored messages.
type Reader interface {
	// Mailboxes returns the names of the existing mailboxes, sorted.
	Mailboxes(ctx context.Context) ([]string, error)
	// List returns the messages of mailbox in delivery order; a mailbox that
	// does not exist is empty.
	List(ctx context.Context, mailbox string) ([]Info, error)
	// Open returns the content of a message.
	Open(ctx context.Context, mailbox, id string) (io.ReadCloser, error)
	// Delete removes a message; a message already gone gives ErrNotFound.
	Delete(ctx context.Context, mailbox, id string) error
}

// Store is a complete mail store.
type Store interface {
	Deliverer
	Reader
}

// ValidMailbox reports whether name can name a mailbox: 1 to 64 characters
// from letters, digits and "._+-", not starting with a dot.
func ValidMailbox(name string) bool {
	if name == "" || len(name) > 64 || name[0] == '.' {
		return false
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._+-", c)) {
			return false
		}
	}
	return true
}

// validID reports whether id can be a message id: printable ASCII without
// "/", ":" or spaces, not starting with a dot, at most 200 characters.
func validID(id string) bool {
	if id == "" || len(id) > 200 || id[0] == '.' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c <= ' ' || c >= 0x7f || c == '/' || c == ':' || c == '\\' {
			return false
		}
	}
	return true
}
