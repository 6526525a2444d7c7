package db_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/internal/peertest"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// twistedRoot is what the Twisted client script expects: db() and, on
// PostgreSQL, feed().
type twistedRoot struct {
	pb.Referenceable
	f    *db.Facade
	feed *db.Feed
}

func (r *twistedRoot) RemoteDb(ctx context.Context) (*db.Facade, error) { return r.f, nil }

func (r *twistedRoot) RemoteFeed(ctx context.Context) (*db.Feed, error) {
	if r.feed == nil {
		return nil, errors.New("no feed on this backend")
	}
	return r.feed, nil
}

// A stock Twisted client uses the facade (and, on PostgreSQL, a
// notification Feed) and gets plain Python lists of dicts.
func TestTwistedClient(t *testing.T) {
	python := peertest.Twisted(t)
	forEachBackend(t, func(t *testing.T, p *db.Pool) {
		root := &twistedRoot{f: db.NewFacade(p, db.ReadOnly)}
		var feedArgs []string
		if p.Dialect().Name == "postgres" {
			hub := db.NewHub(p)
			t.Cleanup(hub.Close)
			channel := uniqueName("braid_twisted")
			root.feed = db.NewFeed(hub, channel)
			feedArgs = []string{"--feed", channel}
		}
		endpoint := serve(t, &pb.Server{Root: root})
		port := endpoint[strings.LastIndex(endpoint, ":")+1:]

		ctx := ctxT(t, 30*time.Second)
		cmd := exec.CommandContext(ctx, python, append([]string{"testdata/twisted_db_client.py", port}, feedArgs...)...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		require.NoError(t, err, "stderr:\n%s", stderr.String())

		var got map[string]any
		require.NoError(t, json.Unmarshal(out, &got), "output: %s", out)
		row := func(k string, v any) []any { return []any{map[string]any{k: v}} }
		assert.Equal(t, row("one", 1.0), got["one"])
		assert.Equal(t, []any{map[string]any{"n": 42.0, "s": "x"}}, got["args"])
		assert.Equal(t, []any{row("a", 1.0), row("b", 2.0), row("c", 3.0), row("d", 4.0)}, got["interaction"])
		for _, k := range []string{"denied", "sneaky"} {
			d, ok := got[k].(map[string]any)
			require.True(t, ok, "%s: %v", k, got[k])
			assert.Equal(t, db.TypePermissionDenied, d["type"], k)
			assert.Equal(t, true, d["isDbError"], k)
		}
		if root.feed != nil {
			assert.Nil(t, got["feedInitial"])
			update, ok := got["feedUpdate"].(map[string]any)
			require.True(t, ok, "feedUpdate: %v", got["feedUpdate"])
			assert.Equal(t, "from twisted", update["payload"])
			assert.Equal(t, feedArgs[1], update["channel"])
		}
	})
}
