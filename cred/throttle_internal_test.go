package cred

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type stepClock struct{ now time.Time }

func (c *stepClock) Now() time.Time { return c.now }

func TestThrottleTablesAreBounded(t *testing.T) {
	clk := &stepClock{now: time.Unix(1e9, 0)}
	realm := RealmFunc(func(context.Context, string, any) (any, func(), error) { return nil, nil, nil })
	p := NewPortal(realm, []Checker{NewInMemory(map[string]string{"alice": "pw"})},
		WithThrottle(ThrottleConfig{MaxEntries: 50, Clock: clk}))
	for i := range 5000 {
		ctx := WithSource(context.Background(), &net.TCPAddr{IP: net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)), Port: 1})
		_, _, err := p.Login(ctx, UsernamePassword{Username: fmt.Sprintf("user%d", i), Password: "x"}, nil)
		require.ErrorIs(t, err, ErrUnauthorized)
		clk.now = clk.now.Add(time.Millisecond)
		users, addrs := p.throttle.sizes()
		require.LessOrEqual(t, users, 50)
		require.LessOrEqual(t, addrs, 50)
	}
	users, addrs := p.throttle.sizes()
	assert.Equal(t, 50, users)
	assert.Equal(t, 50, addrs)

	// A success removes the user's entry.
	for range 3 {
		_, _, _ = p.Login(context.Background(), UsernamePassword{Username: "alice", Password: "x"}, nil)
	}
	_, _, err := p.Login(context.Background(), UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	p.throttle.mu.Lock()
	_, ok := p.throttle.users.byKey["alice"]
	p.throttle.mu.Unlock()
	assert.False(t, ok)
}

func TestThrottleEvictsLeastRecentlyFailed(t *testing.T) {
	tab := newThrottleTable(3)
	cfg := ThrottleConfig{Threshold: 2}.withDefaults()
	now := time.Unix(1e9, 0)
	tab.fail("a", now, cfg)
	tab.fail("b", now, cfg)
	tab.fail("c", now, cfg)
	tab.fail("a", now, cfg) // a is now the most recent, and blocked
	tab.fail("d", now, cfg) // evicts b
	_, hasB := tab.byKey["b"]
	assert.False(t, hasB)
	assert.Equal(t, time.Second, tab.blockedFor("a", now, cfg.Window))
	assert.Equal(t, 3, tab.order.Len())
}

func TestAddrKey(t *testing.T) {
	cases := []struct {
		addr net.Addr
		want string
	}{
		{nil, ""},
		{(*net.TCPAddr)(nil), ""},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 9}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:192.0.2.1"), Port: 9}, "192.0.2.1"},
		{&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 9}, "2001:db8::/64"},
		{&net.UDPAddr{IP: net.IPv4(192, 0, 2, 2), Port: 9}, "192.0.2.2"},
		{&net.UnixAddr{Name: "", Net: "unix"}, ""},
		{&net.UnixAddr{Name: "/run/x.sock", Net: "unix"}, "unix:/run/x.sock"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, addrKey(c.addr), "%v", c.addr)
	}
}

func TestBlockDelay(t *testing.T) {
	assert.Equal(t, time.Second, blockDelay(0, time.Second, time.Minute))
	assert.Equal(t, 8*time.Second, blockDelay(3, time.Second, time.Minute))
	assert.Equal(t, time.Minute, blockDelay(1000, time.Second, time.Minute))
}
