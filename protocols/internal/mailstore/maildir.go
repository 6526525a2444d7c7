package mailstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Maildir is a Store on disk: each mailbox is a maildir (tmp/, new/, cur/)
// under the root directory, named after the mailbox.
//
// Deliver writes the message to tmp/, syncs it, and renames it into new/, so
// a message appears complete or not at all, and a reader never sees a partial
// file. File names follow the maildir convention
// ("<sec>.M<usec>P<pid>Q<n>.<host>"); the message id is the file name without
// any ":2,<flags>" suffix, so it stays stable if another program moves the
// message to cur/. Messages are listed from new/ and cur/, ordered by delivery
// time and then name. Messages are stored as delivered, CRLF line endings
// included.
type Maildir struct {
	root string
	host string
	seq  atomic.Uint64
}

// NewMaildir returns a Maildir rooted at dir, creating dir if needed.
func NewMaildir(dir string) (*Maildir, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("mailstore: %w", err)
	}
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	// '/' and ':' have meanings in maildir names; replace them as the spec says.
	host = strings.NewReplacer("/", `\057`, ":", `\072`).Replace(host)
	return &Maildir{root: dir, host: host}, nil
}

// Root returns the root directory.
func (m *Maildir) Root() string { return m.root }

func (m *Maildir) dir(mailbox string) (string, error) {
	if !ValidMailbox(mailbox) {
		return "", ErrBadName
	}
	return filepath.Join(m.root, mailbox), nil
}

// Deliver implements Deliverer.
func (m *Maildir) Deliver(ctx context.Context, mailbox string, msg io.Reader) (Info, error) {
	dir, err := m.dir(mailbox)
	if err != nil {
		return Info{}, err
	}
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return Info{}, fmt.Errorf("mailstore: %w", err)
		}
	}
	now := time.Now()
	name := fmt.Sprintf("%d.M%dP%dQ%d.%s", now.Unix(), now.Nanosecond()/1000, os.Getpid(), m.seq.Add(1), m.host)
	tmp := filepath.Join(dir, "tmp", name)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return Info{}, fmt.Errorf("mailstore: %w", err)
	}
	fail := func(err error) (Info, error) {
		f.Close()
		os.Remove(tmp)
		return Info{}, err
	}
	n, err := io.Copy(f, ctxReader{ctx, msg})
	if err != nil {
		return fail(fmt.Errorf("mailstore: delivery aborted: %w", err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("mailstore: %w", err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return Info{}, fmt.Errorf("mailstore: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "new", name)); err != nil {
		os.Remove(tmp)
		return Info{}, fmt.Errorf("mailstore: %w", err)
	}
	return Info{ID: name, Size: n, Delivered: now}, nil
}

// Mailboxes implements Reader.
func (m *Maildir) Mailboxes(ctx context.Context) ([]string, error) {
	ents, err := os.ReadDir(m.root)
	if err != nil {
		return nil, fmt.Errorf("mailstore: %w", err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && ValidMailbox(e.Name()) {
			if _, err := os.Stat(filepath.Join(m.root, e.Name(), "new")); err == nil {
				out = append(out, e.Name())
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

type maildirEntry struct {
	Info
	path string
}

func (m *Maildir) scan(mailbox string) ([]maildirEntry, error) {
	dir, err := m.dir(mailbox)
	if err != nil {
		return nil, err
	}
	var out []maildirEntry
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dir, sub))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("mailstore: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			if strings.HasPrefix(name, ".") || !e.Type().IsRegular() {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // deleted meanwhile
			}
			id, _, _ := strings.Cut(name, ":")
			out = append(out, maildirEntry{
				Info: Info{ID: id, Size: fi.Size(), Delivered: deliveredAt(id, fi.ModTime())},
				path: filepath.Join(dir, sub, name),
			})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Delivered.Equal(out[j].Delivered) {
			return out[i].Delivered.Before(out[j].Delivered)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// deliveredAt reads the delivery time from a maildir name
// ("<sec>.M<usec>..."), falling back to the file's modification time.
func deliveredAt(id string, mod time.Time) time.Time {
	secs, rest, ok := strings.Cut(id, ".")
	sec, err := strconv.ParseInt(secs, 10, 64)
	if !ok || err != nil {
		return mod
	}
	var usec int64
	if strings.HasPrefix(rest, "M") {
		end := strings.IndexFunc(rest[1:], func(r rune) bool { return r < '0' || r > '9' })
		if end > 0 {
			usec, _ = strconv.ParseInt(rest[1:1+end], 10, 64)
		}
	}
	return time.Unix(sec, usec*1000)
}

// List implements Reader.
func (m *Maildir) List(ctx context.Context, mailbox string) ([]Info, error) {
	ents, err := m.scan(mailbox)
	if err != nil {
		return nil, err
	}
	out := make([]Info, len(ents))
	for i, e := range ents {
		out[i] = e.Info
	}
	return out, nil
}

func (m *Maildir) find(mailbox, id string) (string, error) {
	dir, err := m.dir(mailbox)
	if err != nil {
		return "", err
	}
	if !validID(id) {
		return "", ErrBadName
	}
	p := filepath.Join(dir, "new", id)
	if _, err := os.Lstat(p); err == nil {
		return p, nil
	}
	matches, _ := filepath.Glob(filepath.Join(dir, "cur", globEscape(id)+"*"))
	for _, p := range matches {
		name := filepath.Base(p)
		if name == id || strings.HasPrefix(name, id+":") {
			return p, nil
		}
	}
	return "", ErrNotFound
}

func globEscape(s string) string {
	return strings.NewReplacer(`*`, `\*`, `?`, `\?`, `[`, `\[`).Replace(s)
}

// Open implements Reader.
func (m *Maildir) Open(ctx context.Context, mailbox, id string) (io.ReadCloser, error) {
	p, err := m.find(mailbox, id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("mailstore: %w", err)
	}
	return f, nil
}

// Delete implements Reader.
func (m *Maildir) Delete(ctx context.Context, mailbox, id string) error {
	p, err := m.find(mailbox, id)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return ErrNotFound
		}
		return fmt.Errorf("mailstore: %w", err)
	}
	return nil
}

// ctxReader stops reading when its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
