package cred_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func throttledPortal(clk *fakeClock, users map[string]string) *cred.Portal {
	mem := cred.NewInMemory(users)
	mem.SetSCRAMIterations(testIters)
	return cred.NewPortal(newToyRealm(), []cred.Checker{mem},
		cred.WithThrottle(cred.ThrottleConfig{Clock: clk}), cred.WithSCRAMIterations(testIters))
}

func from(ip string) context.Context {
	return cred.WithSource(context.Background(), &net.TCPAddr{IP: net.ParseIP(ip), Port: 50000})
}

func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var te *cred.ThrottledError
	require.True(t, errors.As(err, &te), "want *ThrottledError, got %v", err)
	return te.RetryAfter
}

func TestThrottlePerUser(t *testing.T) {
	clk := newFakeClock()
	p := throttledPortal(clk, map[string]string{"alice": "right", "bob": "b"})
	ctx := context.Background()
	right := cred.UsernamePassword{Username: "alice", Password: "right"}
	wrong := cred.UsernamePassword{Username: "alice", Password: "wrong"}

	for i := 1; i <= cred.DefaultThrottleThreshold; i++ {
		_, _, err := p.Login(ctx, wrong, nil)
		require.ErrorIs(t, err, cred.ErrUnauthorized, "attempt %d", i)
		require.NotErrorIs(t, err, cred.ErrThrottled, "attempt %d", i)
	}
	// The 21st attempt is refused even with the right password.
	_, _, err := p.Login(ctx, right, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	assert.Equal(t, time.Second, retryAfter(t, err))
	// Other users are not affected.
	_, _, err = p.Login(ctx, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.NoError(t, err)
	// Refused attempts while blocked do not extend the block.
	for range 5 {
		_, _, err = p.Login(ctx, wrong, nil)
		require.ErrorIs(t, err, cred.ErrThrottled)
	}

	clk.Advance(1500 * time.Millisecond)
	_, _, err = p.Login(ctx, right, nil)
	require.NoError(t, err)

	// The success reset alice's count.
	for i := 1; i < cred.DefaultThrottleThreshold; i++ {
		_, _, err := p.Login(ctx, wrong, nil)
		require.NotErrorIs(t, err, cred.ErrThrottled, "attempt %d", i)
	}
	_, _, err = p.Login(ctx, right, nil)
	require.NoError(t, err)
}

func TestThrottleDelayDoublesAndCaps(t *testing.T) {
	clk := newFakeClock()
	p := throttledPortal(clk, map[string]string{"alice": "right"})
	ctx := context.Background()
	wrong := cred.UsernamePassword{Username: "alice", Password: "wrong"}
	for range cred.DefaultThrottleThreshold {
		_, _, _ = p.Login(ctx, wrong, nil)
	}
	want := time.Second
	for range 12 {
		_, _, err := p.Login(ctx, wrong, nil)
		require.Equal(t, want, retryAfter(t, err))
		clk.Advance(want)
		_, _, err = p.Login(ctx, wrong, nil) // a real failure: the delay doubles
		require.NotErrorIs(t, err, cred.ErrThrottled)
		want = min(2*want, cred.DefaultThrottleMaxDelay)
	}
	_, _, err := p.Login(ctx, wrong, nil)
	assert.Equal(t, cred.DefaultThrottleMaxDelay, retryAfter(t, err))

	// After a quiet Window past the block, alice is forgotten.
	clk.Advance(cred.DefaultThrottleMaxDelay + cred.DefaultThrottleWindow + time.Second)
	for i := 1; i < cred.DefaultThrottleThreshold; i++ {
		_, _, err := p.Login(ctx, wrong, nil)
		require.NotErrorIs(t, err, cred.ErrThrottled, "attempt %d", i)
	}
}

func TestThrottlePerAddress(t *testing.T) {
	clk := newFakeClock()
	p := throttledPortal(clk, map[string]string{"bob": "b"})
	attacker := from("192.0.2.7")
	for i := range cred.DefaultThrottleThreshold {
		_, _, err := p.Login(attacker, cred.UsernamePassword{Username: fmt.Sprintf("user%d", i), Password: "guess"}, nil)
		require.NotErrorIs(t, err, cred.ErrThrottled)
	}
	// The address is blocked, whatever the username, even a right one.
	_, _, err := p.Login(attacker, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)
	// The same address on another port is the same client.
	other := cred.WithSource(context.Background(), &net.TCPAddr{IP: net.ParseIP("192.0.2.7"), Port: 1})
	_, _, err = p.Login(other, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)
	// Bob from elsewhere is fine, and his success does not clear the
	// attacker's address.
	_, _, err = p.Login(from("198.51.100.1"), cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.NoError(t, err)
	_, _, err = p.Login(attacker, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)
	clk.Advance(2 * time.Second)
	_, _, err = p.Login(attacker, cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.NoError(t, err)
}

func TestThrottleIPv6Prefix(t *testing.T) {
	clk := newFakeClock()
	p := throttledPortal(clk, map[string]string{"bob": "b"})
	for i := range cred.DefaultThrottleThreshold {
		// Every attempt from a different address in one /64.
		ctx := from(fmt.Sprintf("2001:db8:1:2::%x", i+1))
		_, _, _ = p.Login(ctx, cred.UsernamePassword{Username: fmt.Sprintf("u%d", i), Password: "x"}, nil)
	}
	_, _, err := p.Login(from("2001:db8:1:2::ffff"), cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)
	_, _, err = p.Login(from("2001:db8:1:3::1"), cred.UsernamePassword{Username: "bob", Password: "b"}, nil)
	require.NoError(t, err)
}

func TestThrottleConfigurable(t *testing.T) {
	clk := newFakeClock()
	mem := cred.NewInMemory(map[string]string{"alice": "right"})
	p := cred.NewPortal(newToyRealm(), []cred.Checker{mem}, cred.WithThrottle(cred.ThrottleConfig{
		Threshold: 3, BaseDelay: 10 * time.Second, MaxDelay: time.Minute, Clock: clk,
	}))
	ctx := context.Background()
	for range 3 {
		_, _, _ = p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "x"}, nil)
	}
	_, _, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "right"}, nil)
	assert.Equal(t, 10*time.Second, retryAfter(t, err))

	// Disabled: never throttled.
	p = cred.NewPortal(newToyRealm(), []cred.Checker{mem}, cred.WithThrottle(cred.ThrottleConfig{Disabled: true}))
	for range 100 {
		_, _, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "x"}, nil)
		require.NotErrorIs(t, err, cred.ErrThrottled)
	}
	_, _, err = p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "right"}, nil)
	require.NoError(t, err)
}

func TestThrottleSCRAM(t *testing.T) {
	clk := newFakeClock()
	p := throttledPortal(clk, map[string]string{"alice": "right"})
	ctx := from("203.0.113.9")

	// Failed SCRAM conversations count once each, whether or not the
	// protocol layer also calls Login with them.
	for i := 1; i < cred.DefaultThrottleThreshold; i++ {
		r := scramLogin(t, ctx, p, "alice", "wrong")
		require.ErrorIs(t, r.StepErr, cred.ErrUnauthorized)
		require.NotErrorIs(t, r.StepErr, cred.ErrThrottled)
		require.ErrorIs(t, r.LoginErr, cred.ErrUnauthorized)
	}
	// 19 failures so far: still allowed; a right login resets alice.
	r := scramLogin(t, ctx, p, "alice", "right")
	require.NoError(t, r.LoginErr)

	for range cred.DefaultThrottleThreshold {
		_ = scramLogin(t, context.Background(), p, "alice", "wrong")
	}
	// Throttled at the first step, and for the other kinds too.
	r = scramLogin(t, context.Background(), p, "alice", "right")
	require.ErrorIs(t, r.StepErr, cred.ErrThrottled)
	assert.Equal(t, "e=other-error", r.Transcript[1])
	_, _, err := p.Login(context.Background(), cred.UsernamePassword{Username: "alice", Password: "right"}, nil)
	require.ErrorIs(t, err, cred.ErrThrottled)

	clk.Advance(2 * time.Second)
	r = scramLogin(t, context.Background(), p, "alice", "right")
	require.NoError(t, r.StepErr)
	require.NoError(t, r.LoginErr)
}
