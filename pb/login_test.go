package pb_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/pb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// avatar is the realm's avatar in these tests.
type avatar struct {
	name string
	door *door
}

func (a *avatar) PerspectiveWhoami(ctx context.Context) (string, error) {
	if pb.PerspectiveFromContext(ctx) != a {
		return "", assert.AnError
	}
	return a.name, nil
}

func (a *avatar) PerspectiveDoor(ctx context.Context) (*door, error) { return a.door, nil }

type door struct{ pb.Viewable }

func (d *door) ViewOpen(ctx context.Context, who *avatar, how string) (string, error) {
	return who.name + " opens " + how, nil
}

// countingRealm counts logins and logouts per user.
type countingRealm struct {
	mu      sync.Mutex
	logins  map[string]int
	logouts map[string]int
	minds   []any
	door    *door
}

func newRealm() *countingRealm {
	return &countingRealm{logins: map[string]int{}, logouts: map[string]int{}, door: &door{}}
}

func (r *countingRealm) RequestAvatar(ctx context.Context, id string, mind any) (any, func(), error) {
	r.mu.Lock()
	r.logins[id]++
	r.minds = append(r.minds, mind)
	r.mu.Unlock()
	return &avatar{name: id, door: r.door}, func() {
		r.mu.Lock()
		r.logouts[id]++
		r.mu.Unlock()
	}, nil
}

func (r *countingRealm) counts(id string) (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logins[id], r.logouts[id]
}

// recordingConn copies everything written both ways into a buffer.
type recordingListener struct {
	net.Listener
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &recordingConn{Conn: c, l: l}, nil
}

func (l *recordingListener) bytes() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]byte(nil), l.buf.Bytes()...)
}

type recordingConn struct {
	net.Conn
	l *recordingListener
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.l.mu.Lock()
	c.l.buf.Write(p[:n])
	c.l.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.l.mu.Lock()
	c.l.buf.Write(p)
	c.l.mu.Unlock()
	return c.Conn.Write(p)
}

func loginServer(t *testing.T, portal *cred.Portal) (*testServer, *recordingListener) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	rl := &recordingListener{Listener: l}
	srv := &pb.Server{NewRoot: pb.LoginRoot(portal)}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(rl) }()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return &testServer{srv: srv, endpoint: "tcp:" + l.Addr().String(), addr: l.Addr().String()}, rl
}

// Braid-to-Braid login uses SCRAM against a file holding only a verifier,
// and the password cannot be found in, or derived from, the traffic.
func TestLoginSCRAMVerifierOnly(t *testing.T) {
	const password = "correct horse battery staple"
	v, err := cred.NewVerifier(password, 4096)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "users")
	require.NoError(t, os.WriteFile(file, []byte("alice:"+v.String()+"\n"), 0o600))
	pf, err := cred.LoadPasswordFile(file, cred.PasswordFileOptions{})
	require.NoError(t, err)
	realm := newRealm()
	ts, rec := loginServer(t, cred.NewPortal(realm, []cred.Checker{pf}))

	b := dial(t, ts)
	ctx := ctxT(t)
	av, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "alice", Password: password}, nil)
	require.NoError(t, err)
	who, err := av.CallRemote(ctx, "whoami")
	require.NoError(t, err)
	assert.Equal(t, "alice", who)

	_, err = pb.Login(ctx, b, cred.UsernamePassword{Username: "alice", Password: "wrong"}, nil)
	assert.ErrorIs(t, err, cred.ErrUnauthorized)
	_, err = pb.Login(ctx, b, cred.UsernamePassword{Username: "mallory", Password: password}, nil)
	assert.ErrorIs(t, err, cred.ErrUnauthorized)

	traffic := rec.bytes()
	require.Contains(t, string(traffic), "loginSCRAM", "the SCRAM exchange was used")
	assert.NotContains(t, string(traffic), "respond", "the MD5 challenge was not used")
	sum := md5.Sum([]byte(password))
	sha := sha256.Sum256([]byte(password))
	for _, secret := range [][]byte{
		[]byte(password), sum[:], []byte(hex.EncodeToString(sum[:])), sha[:],
		[]byte(hex.EncodeToString(sha[:])), []byte(base64.StdEncoding.EncodeToString([]byte(password))),
	} {
		assert.False(t, bytes.Contains(traffic, secret), "traffic contains a form of the password: %q", secret)
	}
	// A Twisted-style MD5 login against a verifier-only file is impossible.
	av.Release()
}

// Logout runs exactly once per login: on release, and on disconnect.
func TestLogoutOnceOnReleaseAndDisconnect(t *testing.T) {
	realm := newRealm()
	portal := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"bob": "pw"})})
	ts, _ := loginServer(t, portal)
	ctx := ctxT(t)

	b := dial(t, ts)
	a1, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "bob", Password: "pw"}, nil)
	require.NoError(t, err)
	a2, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "bob", Password: "pw"}, nil)
	require.NoError(t, err)
	in, out := realm.counts("bob")
	assert.Equal(t, 2, in)
	assert.Equal(t, 0, out)

	a1.Release()
	a1.Release()
	_, err = a2.CallRemote(ctx, "whoami") // a round trip after the decref
	require.NoError(t, err)
	_, out = realm.counts("bob")
	assert.Equal(t, 1, out, "releasing the avatar logs out once")

	b.Close() // a2 is still held: the disconnect logs it out
	assert.Eventually(t, func() bool { _, out := realm.counts("bob"); return out == 2 }, 5*time.Second, 5*time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	_, out = realm.counts("bob")
	assert.Equal(t, 2, out, "exactly one logout per login")
}

// Viewables bind to the avatar that sent them; the mind is reachable.
type mind struct {
	pb.Referenceable
	poked atomic.Int32
}

func (m *mind) RemotePoke(ctx context.Context, from string) (string, error) {
	m.poked.Add(1)
	return "poked by " + from, nil
}

func TestViewableAndMind(t *testing.T) {
	realm := newRealm()
	portal := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"alice": "a", "bob": "b"})})
	ts, _ := loginServer(t, portal)
	ctx := ctxT(t)
	b := dial(t, ts)
	m := &mind{}
	alice, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "alice", Password: "a"}, m)
	require.NoError(t, err)
	bob, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.NoError(t, err)

	for _, tc := range []struct {
		av   *pb.RemoteReference
		want string
	}{{alice, "alice opens slowly"}, {bob, "bob opens slowly"}} {
		v, err := tc.av.CallRemote(ctx, "door")
		require.NoError(t, err)
		d := v.(*pb.RemoteReference)
		got, err := d.CallRemote(ctx, "open", "slowly")
		require.NoError(t, err)
		assert.Equal(t, tc.want, got, "the same Viewable answers for the avatar that sent it")
		d.Release()
	}

	// The realm got alice's mind as a reference it can call.
	realm.mu.Lock()
	mref, _ := realm.minds[0].(*pb.RemoteReference)
	realm.mu.Unlock()
	require.NotNil(t, mref)
	got, err := mref.CallRemote(ctx, "poke", "the server")
	require.NoError(t, err)
	assert.Equal(t, "poked by the server", got)
	assert.Equal(t, int32(1), m.poked.Load())
	assert.Equal(t, 1, b.ExportCount(), "the mind is exported while alice is logged in")
	alice.Release()
	bob.Release()
	assert.Eventually(t, func() bool { return b.ExportCount() == 0 }, 5*time.Second, 5*time.Millisecond,
		"logout releases the server's reference to the mind")
}

func TestAnonymousLogin(t *testing.T) {
	realm := newRealm()
	ts, _ := loginServer(t, cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"a": "b"})}))
	b := dial(t, ts)
	_, err := pb.Login(ctxT(t), b, cred.Anonymous{}, nil)
	assert.ErrorIs(t, err, cred.ErrUnhandledCredentials)

	ts2, _ := loginServer(t, cred.NewPortal(realm, []cred.Checker{cred.AllowAnonymous{}}))
	b2 := dial(t, ts2)
	av, err := pb.Login(ctxT(t), b2, cred.Anonymous{}, nil)
	require.NoError(t, err)
	who, err := av.CallRemote(ctxT(t), "whoami")
	require.NoError(t, err)
	assert.Equal(t, cred.AnonymousID, who)
	av.Release()
}

type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// After 20 wrong passwords a user is slowed down, over PB, on a fake clock.
func TestLoginThrottled(t *testing.T) {
	clock := &fakeClock{now: time.Unix(1_700_000_000, 0)}
	realm := newRealm()
	portal := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"carol": "right"})},
		cred.WithThrottle(cred.ThrottleConfig{Clock: clock}))
	ts, _ := loginServer(t, portal)
	b := dial(t, ts)
	ctx := ctxT(t)
	for i := 0; i < 20; i++ {
		_, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "carol", Password: "wrong"}, nil)
		require.ErrorIs(t, err, cred.ErrUnauthorized)
	}
	_, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "carol", Password: "right"}, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized, "the right password is refused while throttled")
	assert.Contains(t, err.Error(), "too many failed logins")
	clock.advance(2 * time.Second)
	av, err := pb.Login(ctx, b, cred.UsernamePassword{Username: "carol", Password: "right"}, nil)
	require.NoError(t, err, "after the delay the right password works")
	av.Release()
}
