package mailstore

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Memory is a Store in memory, for tests and small programs. It is safe for
// concurrent use.
type Memory struct {
	mu    sync.Mutex
	boxes map[string][]memMessage
	seq   uint64
}

type memMessage struct {
	Info
	data []byte
}

// NewMemory returns an empty Memory store.
func NewMemory() *Memory { return &Memory{boxes: make(map[string][]memMessage)} }

// Deliver implements Deliverer.
func (m *Memory) Deliver(ctx context.Context, mailbox string, msg io.Reader) (Info, error) {
	if !ValidMailbox(mailbox) {
		return Info{}, ErrBadName
	}
	data, err := io.ReadAll(ctxReader{ctx, msg})
	if err != nil {
		return Info{}, fmt.Errorf("mailstore: delivery aborted: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	now := time.Now()
	info := Info{ID: fmt.Sprintf("%d.M%dQ%d.memory", now.Unix(), now.Nanosecond()/1000, m.seq), Size: int64(len(data)), Delivered: now}
	m.boxes[mailbox] = append(m.boxes[mailbox], memMessage{Info: info, data: data})
	return info, nil
}

// Mailboxes implements Reader.
func (m *Memory) Mailboxes(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.boxes))
	for name := range m.boxes {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

// List implements Reader.
func (m *Memory) List(ctx context.Context, mailbox string) ([]Info, error) {
	if !ValidMailbox(mailbox) {
		return nil, ErrBadName
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs := m.boxes[mailbox]
	out := make([]Info, len(msgs))
	for i, msg := range msgs {
		out[i] = msg.Info
	}
	return out, nil
}

// Open implements Reader.
func (m *Memory) Open(ctx context.Context, mailbox, id string) (io.ReadCloser, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, msg := range m.boxes[mailbox] {
		if msg.ID == id {
			return io.NopCloser(bytes.NewReader(msg.data)), nil
		}
	}
	return nil, ErrNotFound
}

// Delete implements Reader.
func (m *Memory) Delete(ctx context.Context, mailbox, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	msgs := m.boxes[mailbox]
	for i, msg := range msgs {
		if msg.ID == id {
			m.boxes[mailbox] = append(msgs[:i:i], msgs[i+1:]...)
			return nil
		}
	}
	return ErrNotFound
}
