package cred_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/require"
)

// testIters keeps PBKDF2 cheap in tests.
const testIters = 64

// fakeClock is a Clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// avatar is what the toy realm hands out.
type avatar struct {
	ID   string
	Mind any
}

// toyRealm records requests and counts logouts per avatar id.
type toyRealm struct {
	mu      sync.Mutex
	logouts map[string]*atomic.Int32
}

func newToyRealm() *toyRealm { return &toyRealm{logouts: make(map[string]*atomic.Int32)} }

func (r *toyRealm) RequestAvatar(ctx context.Context, id string, mind any) (any, func(), error) {
	r.mu.Lock()
	n, ok := r.logouts[id]
	if !ok {
		n = new(atomic.Int32)
		r.logouts[id] = n
	}
	r.mu.Unlock()
	return &avatar{ID: id, Mind: mind}, func() { n.Add(1) }, nil
}

func (r *toyRealm) logoutCount(id string) int32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n, ok := r.logouts[id]; ok {
		return n.Load()
	}
	return 0
}

// scramResult is the outcome of a SCRAM login driven by scramLogin.
type scramResult struct {
	Avatar     any
	Logout     func()
	Transcript []string // client-first, server-first, client-final, server-final
	Server     *cred.SCRAMServer
	Client     *cred.SCRAMClient
	// StepErr is the server's error from a Step, LoginErr Portal.Login's.
	StepErr, LoginErr, ClientErr error
}

// scramLogin runs a full SCRAM-SHA-256 exchange between a client and the
// portal's server conversation, then logs in with the conversation.
func scramLogin(t *testing.T, ctx context.Context, p *cred.Portal, user, password string) scramResult {
	t.Helper()
	var res scramResult
	client, err := cred.NewSCRAMClient(user, password, cred.SCRAMMinIterations(testIters))
	require.NoError(t, err)
	res.Client = client
	srv := p.NewSCRAMServer(ctx)
	res.Server = srv

	c1, err := client.Step("")
	require.NoError(t, err)
	res.Transcript = append(res.Transcript, c1)
	s1, err := srv.Step(c1)
	res.Transcript = append(res.Transcript, s1)
	if err != nil {
		res.StepErr = err
		return res
	}
	c2, err := client.Step(s1)
	require.NoError(t, err)
	res.Transcript = append(res.Transcript, c2)
	s2, err := srv.Step(c2)
	res.Transcript = append(res.Transcript, s2)
	res.StepErr = err
	_, res.ClientErr = client.Step(s2)
	res.Avatar, res.Logout, res.LoginErr = p.Login(ctx, srv, "mind")
	return res
}
