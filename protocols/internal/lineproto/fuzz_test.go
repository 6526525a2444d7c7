package lineproto

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzReaders feeds arbitrary input to the line reader and to a dot-stuffed
// block reader written back by DotWriter: no panics, limits always hold,
// and a block written by DotWriter reads back to the same bytes.
func FuzzReaders(f *testing.F) {
	for _, s := range []string{
		"HELO x\r\n", "a\nb\r\nc", ".\r\n", "..x\r\n.\r\n", "line\r\n.\r\n", "\r\n\r\n", "x", "",
		string(bytes.Repeat([]byte("y"), 300)) + "\r\n.\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(runOne)
}

// runOne is one fuzz input.
func runOne(t *testing.T, data []byte) {
	const max = 64
	r := NewReader(bufio.NewReaderSize(bytes.NewReader(data), 16), max)
	for i := 0; i < 1000; i++ {
		line, err := r.ReadLine()
		if len(line) > max {
			t.Fatalf("line of %d bytes over the limit of %d", len(line), max)
		}
		if err != nil && !errors.Is(err, ErrLineTooLong) {
			break
		}
	}

	dr := NewDotReader(NewReader(bufio.NewReader(bytes.NewReader(data)), max), 256)
	got, err := io.ReadAll(dr)
	if len(got) > 256+max {
		t.Fatalf("read %d bytes past a 256-byte limit", len(got))
	}
	_ = err

	// Round trip: what DotWriter writes, DotReader reads back (lines
	// are normalised to CRLF, so compare with LF-only input).
	if bytes.ContainsRune(data, '\r') || len(data) > 2048 {
		return
	}
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	dw := NewDotWriter(w)
	dw.Write(data)
	dw.Close()
	w.Flush()
	back, err := io.ReadAll(NewDotReader(NewReader(bufio.NewReader(&buf), 4096), 8192))
	if err != nil {
		t.Fatalf("reading back a DotWriter block: %v", err)
	}
	want := bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))
	if len(want) > 0 && !bytes.HasSuffix(want, []byte("\r\n")) {
		want = append(want, "\r\n"...)
	}
	if !bytes.Equal(back, want) {
		t.Fatalf("round trip: wrote %q, read %q", want, back)
	}
}
