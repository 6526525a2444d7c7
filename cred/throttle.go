package cred

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Clock tells the time. The Portal's throttle reads it instead of calling
// time.Now, so tests can move time forward without sleeping.
type Clock interface {
	Now() time.Time
}

// systemClock is the real clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Throttle defaults, used for the zero fields of a ThrottleConfig.
const (
	DefaultThrottleThreshold  = 20
	DefaultThrottleWindow     = 15 * time.Minute
	DefaultThrottleBaseDelay  = time.Second
	DefaultThrottleMaxDelay   = 5 * time.Minute
	DefaultThrottleMaxEntries = 10000
)

// ThrottleConfig sets how a Portal slows down repeated failed logins. A
// Portal throttles by default; a zero field takes the default shown.
//
// Failures are counted separately per username and per source address (the
// address from WithSource; IPv4 addresses count one by one, IPv6 addresses
// by /64 prefix, since one client usually holds a whole /64). Once a key has
// Threshold failures, it is blocked for BaseDelay; every further failure
// after a block doubles the delay, up to MaxDelay. While a key is blocked,
// every login attempt that involves it is refused with ErrThrottled without
// consulting any checker, even one with the right password; such refused
// attempts do not count as failures, so an attacker hammering a blocked
// account does not lock its owner out for longer.
//
// A successful login resets its username's count (not its address's: a
// client with one good account could otherwise clear its address between
// guesses). A key with no failure for Window after its last failure and
// the end of its block is forgotten.
//
// Each of the two tables holds at most MaxEntries keys; when one is full the
// key that failed least recently is evicted first, so an attacker cycling
// through usernames or addresses cannot grow memory without bound.
type ThrottleConfig struct {
	// Disabled turns throttling off.
	Disabled bool
	// Threshold is the number of failures that starts blocking (default 20).
	Threshold int
	// Window is how long a key is remembered after its last failure and
	// the end of its block (default 15 minutes).
	Window time.Duration
	// BaseDelay is the first block (default 1 second).
	BaseDelay time.Duration
	// MaxDelay caps the block (default 5 minutes).
	MaxDelay time.Duration
	// MaxEntries bounds each table, usernames and addresses (default 10000).
	MaxEntries int
	// Clock is the time source (default: the real clock).
	Clock Clock
}

func (c ThrottleConfig) withDefaults() ThrottleConfig {
	if c.Threshold <= 0 {
		c.Threshold = DefaultThrottleThreshold
	}
	if c.Window <= 0 {
		c.Window = DefaultThrottleWindow
	}
	if c.BaseDelay <= 0 {
		c.BaseDelay = DefaultThrottleBaseDelay
	}
	if c.MaxDelay <= 0 {
		c.MaxDelay = DefaultThrottleMaxDelay
	}
	if c.MaxDelay < c.BaseDelay {
		c.MaxDelay = c.BaseDelay
	}
	if c.MaxEntries <= 0 {
		c.MaxEntries = DefaultThrottleMaxEntries
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	return c
}

// throttle keeps the failure tables of one Portal.
type throttle struct {
	cfg   ThrottleConfig
	mu    sync.Mutex
	users *throttleTable
	addrs *throttleTable
}

func newThrottle(cfg ThrottleConfig) *throttle {
	if cfg.Disabled {
		return nil
	}
	cfg = cfg.withDefaults()
	return &throttle{
		cfg:   cfg,
		users: newThrottleTable(cfg.MaxEntries),
		addrs: newThrottleTable(cfg.MaxEntries),
	}
}

// check returns a *ThrottledError if user or addr is blocked now. An empty
// key is not checked. A nil throttle never blocks.
func (t *throttle) check(user, addr string) error {
	if t == nil {
		return nil
	}
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	var wait time.Duration
	for _, k := range []struct {
		tab *throttleTable
		key string
	}{{t.users, user}, {t.addrs, addr}} {
		if k.key == "" {
			continue
		}
		if d := k.tab.blockedFor(k.key, now, t.cfg.Window); d > wait {
			wait = d
		}
	}
	if wait > 0 {
		return &ThrottledError{RetryAfter: wait}
	}
	return nil
}

// fail records one failed login for user and addr.
func (t *throttle) fail(user, addr string) {
	if t == nil {
		return
	}
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	if user != "" {
		t.users.fail(user, now, t.cfg)
	}
	if addr != "" {
		t.addrs.fail(addr, now, t.cfg)
	}
}

// succeed clears the failures of user.
func (t *throttle) succeed(user string) {
	if t == nil || user == "" {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.users.remove(user)
}

// sizes reports how many keys each table holds (for tests and statistics).
func (t *throttle) sizes() (users, addrs int) {
	if t == nil {
		return 0, 0
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.users.order.Len(), t.addrs.order.Len()
}

// throttleTable is a bounded map of keys to failure records, with the most
// recently failed key at the front of order.
type throttleTable struct {
	max   int
	byKey map[string]*list.Element
	order *list.List // of *throttleEntry
}

type throttleEntry struct {
	key          string
	failures     int
	lastFailure  time.Time
	blockedUntil time.Time
}

func newThrottleTable(max int) *throttleTable {
	return &throttleTable{max: max, byKey: make(map[string]*list.Element), order: list.New()}
}

// expired reports whether e has been quiet for longer than window.
func (e *throttleEntry) expired(now time.Time, window time.Duration) bool {
	last := e.lastFailure
	if e.blockedUntil.After(last) {
		last = e.blockedUntil
	}
	return now.Sub(last) > window
}

func (tab *throttleTable) remove(key string) {
	if el, ok := tab.byKey[key]; ok {
		tab.order.Remove(el)
		delete(tab.byKey, key)
	}
}

// blockedFor returns how long key stays blocked (0 if it is not blocked),
// forgetting it if it has expired.
func (tab *throttleTable) blockedFor(key string, now time.Time, window time.Duration) time.Duration {
	el, ok := tab.byKey[key]
	if !ok {
		return 0
	}
	e := el.Value.(*throttleEntry)
	if e.expired(now, window) {
		tab.remove(key)
		return 0
	}
	if now.Before(e.blockedUntil) {
		return e.blockedUntil.Sub(now)
	}
	return 0
}

func (tab *throttleTable) fail(key string, now time.Time, cfg ThrottleConfig) {
	var e *throttleEntry
	if el, ok := tab.byKey[key]; ok {
		e = el.Value.(*throttleEntry)
		tab.order.MoveToFront(el)
		if e.expired(now, cfg.Window) {
			*e = throttleEntry{key: key}
		}
	} else {
		for tab.order.Len() >= tab.max {
			oldest := tab.order.Back()
			tab.order.Remove(oldest)
			delete(tab.byKey, oldest.Value.(*throttleEntry).key)
		}
		e = &throttleEntry{key: key}
		tab.byKey[key] = tab.order.PushFront(e)
	}
	e.failures++
	e.lastFailure = now
	if e.failures >= cfg.Threshold {
		e.blockedUntil = now.Add(blockDelay(e.failures-cfg.Threshold, cfg.BaseDelay, cfg.MaxDelay))
	}
}

// blockDelay returns base doubled excess times, capped at max.
func blockDelay(excess int, base, max time.Duration) time.Duration {
	d := base
	for i := 0; i < excess && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d
}

// addrKey turns a source address into a throttle key: the IP for IPv4, the
// /64 prefix for IPv6, the address text for anything else that is not an
// IP, and "" when there is nothing to key on.
func addrKey(a net.Addr) string {
	if a == nil {
		return ""
	}
	var ip netip.Addr
	switch v := a.(type) {
	case *net.TCPAddr:
		if v == nil {
			return ""
		}
		ip, _ = netip.AddrFromSlice(v.IP)
	case *net.UDPAddr:
		if v == nil {
			return ""
		}
		ip, _ = netip.AddrFromSlice(v.IP)
	case *net.IPAddr:
		if v == nil {
			return ""
		}
		ip, _ = netip.AddrFromSlice(v.IP)
	default:
		s := a.String()
		if ap, err := netip.ParseAddrPort(s); err == nil {
			ip = ap.Addr()
		} else if p, err := netip.ParseAddr(s); err == nil {
			ip = p
		} else if s == "" || s == "@" {
			return ""
		} else {
			return a.Network() + ":" + s
		}
	}
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}
