package smtp

import (
	"github.com/braidkit/braid/protocols/internal/mailstore"
)

// The mail store. The types are shared with package pop3 (both alias one
// internal package), so one store value serves an SMTP server delivering
// mail and a POP3 server reading it.
type (
	// Deliverer stores messages; it is all a Server needs.
	Deliverer = mailstore.Deliverer
	// Store can also list, read and delete messages; the admin object
	// needs one.
	Store = mailstore.Store
	// MessageInfo describes one stored message.
	MessageInfo = mailstore.Info
	// Maildir is a Store on disk in maildir layout.
	Maildir = mailstore.Maildir
	// MemoryStore is a Store in memory.
	MemoryStore = mailstore.Memory
)

// ErrNotFound is returned for an unknown message.
var ErrNotFound = mailstore.ErrNotFound

// NewMaildir returns a maildir Store rooted at dir (one maildir per
// mailbox under it), creating dir if needed.
func NewMaildir(dir string) (*Maildir, error) { return mailstore.NewMaildir(dir) }

// NewMemoryStore returns an empty in-memory Store.
func NewMemoryStore() *MemoryStore { return mailstore.NewMemory() }

// ValidMailbox reports whether name can name a mailbox in the stores of
// this package: 1 to 64 letters, digits or "._+-", not starting with a dot.
func ValidMailbox(name string) bool { return mailstore.ValidMailbox(name) }
