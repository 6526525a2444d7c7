package pop3

import (
	"github.com/braidkit/braid/protocols/internal/mailstore"
)

// The mail store. The types are shared with package smtp (both alias one
// internal package), so the store an SMTP server delivers into is the one a
// POP3 server reads.
type (
	// Store lists, reads and deletes messages; it is what a Server reads
	// mailboxes from.
	Store = mailstore.Reader
	// MessageInfo describes one stored message.
	MessageInfo = mailstore.Info
	// Maildir is a store on disk in maildir layout.
	Maildir = mailstore.Maildir
	// MemoryStore is a store in memory.
	MemoryStore = mailstore.Memory
)

// ErrNotFound is returned for an unknown message.
var ErrNotFound = mailstore.ErrNotFound

// NewMaildir returns a maildir store rooted at dir (one maildir per mailbox
// under it), creating dir if needed.
func NewMaildir(dir string) (*Maildir, error) { return mailstore.NewMaildir(dir) }

// NewMemoryStore returns an empty in-memory store.
func NewMemoryStore() *MemoryStore { return mailstore.NewMemory() }
