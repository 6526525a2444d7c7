package mailstore

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func stores(t *testing.T) map[string]Store {
	md, err := NewMaildir(t.TempDir())
	require.NoError(t, err)
	return map[string]Store{"maildir": md, "memory": NewMemory()}
}

type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection lost")
	}
	f.n--
	return copy(p, "partial data "), nil
}

func TestStores(t *testing.T) {
	ctx := context.Background()
	for name, st := range stores(t) {
		t.Run(name, func(t *testing.T) {
			a, err := st.Deliver(ctx, "alice", strings.NewReader("one\r\n"))
			require.NoError(t, err)
			b, err := st.Deliver(ctx, "alice", strings.NewReader("two!\r\n"))
			require.NoError(t, err)
			assert.NotEqual(t, a.ID, b.ID)
			assert.EqualValues(t, 5, a.Size)

			_, err = st.Deliver(ctx, "alice", &failingReader{n: 3})
			require.Error(t, err)
			_, err = st.Deliver(ctx, "../x", strings.NewReader("x"))
			assert.ErrorIs(t, err, ErrBadName)

			list, err := st.List(ctx, "alice")
			require.NoError(t, err)
			require.Len(t, list, 2, "the failed delivery left nothing")
			assert.Equal(t, a.ID, list[0].ID)
			assert.Equal(t, b.ID, list[1].ID)

			rc, err := st.Open(ctx, "alice", b.ID)
			require.NoError(t, err)
			data, _ := io.ReadAll(rc)
			rc.Close()
			assert.Equal(t, "two!\r\n", string(data))

			boxes, err := st.Mailboxes(ctx)
			require.NoError(t, err)
			assert.Equal(t, []string{"alice"}, boxes)
			empty, err := st.List(ctx, "nobody")
			require.NoError(t, err)
			assert.Empty(t, empty)

			require.NoError(t, st.Delete(ctx, "alice", a.ID))
			assert.ErrorIs(t, st.Delete(ctx, "alice", a.ID), ErrNotFound)
			_, err = st.Open(ctx, "alice", a.ID)
			assert.ErrorIs(t, err, ErrNotFound)
			_, err = st.Open(ctx, "alice", "../../etc/passwd")
			assert.Error(t, err)
		})
	}
}

func TestMaildirLayout(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	md, err := NewMaildir(root)
	require.NoError(t, err)
	_, err = md.Deliver(ctx, "bob", &failingReader{n: 2})
	require.Error(t, err)
	info, err := md.Deliver(ctx, "bob", strings.NewReader("hello\r\n"))
	require.NoError(t, err)
	tmp, _ := os.ReadDir(filepath.Join(root, "bob", "tmp"))
	assert.Empty(t, tmp, "no leftovers in tmp/")
	_, err = os.Stat(filepath.Join(root, "bob", "new", info.ID))
	require.NoError(t, err)

	// Another MUA moves the message to cur/ with flags: the id is stable.
	require.NoError(t, os.Rename(filepath.Join(root, "bob", "new", info.ID), filepath.Join(root, "bob", "cur", info.ID+":2,S")))
	list, err := md.List(ctx, "bob")
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, info.ID, list[0].ID)
	assert.Equal(t, info.Delivered.Unix(), list[0].Delivered.Unix())
	rc, err := md.Open(ctx, "bob", info.ID)
	require.NoError(t, err)
	rc.Close()
	require.NoError(t, md.Delete(ctx, "bob", info.ID))
}

func TestValidMailbox(t *testing.T) {
	for name, ok := range map[string]bool{
		"alice": true, "a.b+c-d_e": true, "": false, ".hidden": false, "a/b": false,
		"..": false, strings.Repeat("x", 65): false, "é": false,
	} {
		assert.Equal(t, ok, ValidMailbox(name), name)
	}
}
