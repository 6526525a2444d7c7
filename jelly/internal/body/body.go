// Package body reads the bodies of byte strings whose length a peer has
// announced but not yet sent, for both of jelly's wire codecs. It never
// allocates much more than has actually arrived, so a peer that lies about
// a length cannot make the decoder reserve memory it never fills.
package body

import (
	"bufio"
	"io"
)

const (
	// chunk is the most bytes of a body allocated before that many have
	// arrived; larger bodies grow by doubling as they come in.
	chunk = 64 << 10
	// ArenaString is the longest body carved from the arena (Slice takes
	// at most this many bytes).
	ArenaString = 64
	// arenaSize is the size of one arena block.
	arenaSize = 1024
)

// Reader reads bodies; short ones share arena blocks, so decoding many
// small strings costs one allocation per block rather than one each. The
// zero Reader is ready to use.
type Reader struct {
	arena []byte
}

// Slice returns n fresh bytes (n <= 64) carved from the arena, with
// capacity n so that appending to one never overwrites another.
func (a *Reader) Slice(n int) []byte {
	if cap(a.arena)-len(a.arena) < n {
		a.arena = make([]byte, 0, arenaSize)
	}
	i := len(a.arena)
	a.arena = a.arena[:i+n]
	return a.arena[i : i+n : i+n]
}

// Read reads a body of n bytes from r. A body larger than 64 KiB that is
// not already buffered is read in chunks into a buffer that doubles as the
// bytes arrive. Errors are those of io.ReadFull.
func (a *Reader) Read(r *bufio.Reader, n int) ([]byte, error) {
	switch {
	case n == 0:
		return []byte{}, nil
	case n <= ArenaString:
		b := a.Slice(n)
		_, err := io.ReadFull(r, b)
		return b, err
	case n <= chunk || n <= r.Buffered():
		b := make([]byte, n)
		_, err := io.ReadFull(r, b)
		return b, err
	}
	buf := make([]byte, chunk)
	got := 0
	for {
		m, err := io.ReadFull(r, buf[got:])
		got += m
		if err != nil {
			return nil, err
		}
		if got == n {
			return buf, nil
		}
		next := make([]byte, min(n, 2*len(buf)))
		copy(next, buf)
		buf = next
	}
}
