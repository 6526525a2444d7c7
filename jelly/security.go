package jelly

import (
	"sync"
	"sync/atomic"
)

// basicTags are the tags that Twisted's globalSecurity accepts and that this
// package decodes itself (spec 2.2, "default accept" column). PB's own tags
// (remote, local, cached, lcache) and CopyableFailure are accepted through
// the Extension and the Registry instead, as Twisted accepts them through
// its registry. This table is read-only.
var basicTags = map[string]bool{
	"None":          true,
	"boolean":       true,
	"unicode":       true,
	"list":          true,
	"tuple":         true,
	"dictionary":    true,
	"set":           true,
	"frozenset":     true,
	"datetime":      true,
	"date":          true,
	"time":          true,
	"timedelta":     true,
	"decimal":       true,
	"reference":     true,
	"dereference":   true,
	"unpersistable": true,
	"persistent":    true,
}

// reservedTags are tags with a built-in meaning; a Registry refuses them as
// class names. Read-only.
var reservedTags = map[string]bool{
	"class": true, "module": true, "function": true, "method": true,
	"instance": true, "copy": true, "cache": true, "classobj": true,
}

// Security decides what Unjelly may produce: Twisted's SecurityOptions
// "taster". NewSecurity returns the equivalent of Twisted's globalSecurity.
//
// A tag passes if it is in the allowed-tag set; a dotted class name passes
// if it is registered in the Registry in force or was allowed with
// AllowClass. Tags owned by the Extension are always accepted.
//
// A Security is safe for concurrent use; changes made while Unjelly runs on
// another goroutine take effect for later lookups.
type Security struct {
	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[securitySnap]
}

type securitySnap struct {
	tags    map[string]bool
	classes map[string]bool
}

// NewSecurity returns a Security that accepts exactly the basic tags of
// Twisted's globalSecurity: None, boolean, unicode, list, tuple,
// dictionary, set, frozenset, datetime, date, time, timedelta, decimal,
// reference, dereference, unpersistable and persistent. Registered classes
// and Extension tags are accepted besides; no unregistered class is.
func NewSecurity() *Security {
	s := &Security{}
	tags := make(map[string]bool, len(basicTags))
	for t := range basicTags {
		tags[t] = true
	}
	s.snap.Store(&securitySnap{tags: tags, classes: map[string]bool{}})
	return s
}

// NewEmptySecurity returns a Security that accepts no tag at all, like a
// bare Twisted SecurityOptions() before allowBasicTypes. Registered classes
// and Extension tags are still accepted.
func NewEmptySecurity() *Security {
	s := &Security{}
	s.snap.Store(&securitySnap{tags: map[string]bool{}, classes: map[string]bool{}})
	return s
}

func (s *Security) load() *securitySnap {
	if p := s.snap.Load(); p != nil {
		return p
	}
	return &securitySnap{tags: basicTags}
}

func (s *Security) update(f func(*securitySnap)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.load()
	n := &securitySnap{
		tags:    make(map[string]bool, len(old.tags)+1),
		classes: make(map[string]bool, len(old.classes)+1),
	}
	for k := range old.tags {
		n.tags[k] = true
	}
	for k := range old.classes {
		n.classes[k] = true
	}
	f(n)
	s.snap.Store(n)
}

// AllowClass allows instances of the unregistered class with the given
// dotted name ("package.module.Class", exactly as the peer spells it).
// Such an instance decodes to Instance{Class: name, State: state}.
func (s *Security) AllowClass(name string) {
	s.update(func(n *securitySnap) { n.classes[name] = true })
}

// AllowTag allows a tag. Only tags that this package can decode are useful
// here (a basic tag removed with DisallowTag, say); class, module,
// function, method and instance are refused whatever the Security says,
// because they have no Go meaning.
func (s *Security) AllowTag(tag string) {
	s.update(func(n *securitySnap) { n.tags[tag] = true })
}

// DisallowTag removes a tag from the allowed set, so that Unjelly refuses
// it with ErrInsecure (Twisted's test_typeSecurity does this with
// "dictionary"; test_setSecurity with "set").
func (s *Security) DisallowTag(tag string) {
	s.update(func(n *securitySnap) { delete(n.tags, tag) })
}

// TagAllowed reports whether tag is in the allowed set. A nil Security
// answers as NewSecurity would.
func (s *Security) TagAllowed(tag string) bool {
	if s == nil {
		return basicTags[tag]
	}
	return s.load().tags[tag]
}

// ClassAllowed reports whether the unregistered class name was allowed
// with AllowClass. A nil Security allows none.
func (s *Security) ClassAllowed(name string) bool {
	if s == nil {
		return false
	}
	return s.load().classes[name]
}

// tagAllowedBytes is TagAllowed without allocating for a []byte tag.
func (s *Security) tagAllowedBytes(tag []byte) bool {
	if s == nil {
		return basicTags[string(tag)]
	}
	return s.load().tags[string(tag)]
}

func (s *Security) classAllowedBytes(name []byte) bool {
	if s == nil {
		return false
	}
	return s.load().classes[string(name)]
}
