package smtp

import (
	"bytes"
	"io"
	"os"
)

// spoolMemory is how much of a message a spool keeps in memory before it
// moves to a temporary file.
const spoolMemory = 1 << 20

// spool holds one incoming message until it is complete, in memory while
// small and then in an unlinked-on-close temporary file.
type spool struct {
	buf  bytes.Buffer
	file *os.File
	size int64
}

func newSpool() *spool { return &spool{} }

func (s *spool) Write(p []byte) (int, error) {
	if s.file == nil && s.buf.Len()+len(p) > spoolMemory {
		f, err := os.CreateTemp("", "braid-smtp-spool-*")
		if err != nil {
			return 0, err
		}
		s.file = f
		if _, err := f.Write(s.buf.Bytes()); err != nil {
			return 0, err
		}
		s.buf = bytes.Buffer{}
	}
	var n int
	var err error
	if s.file != nil {
		n, err = s.file.Write(p)
	} else {
		n, err = s.buf.Write(p)
	}
	s.size += int64(n)
	return n, err
}

// Reader returns a new reader of the whole spooled message.
func (s *spool) Reader() io.Reader {
	if s.file != nil {
		return io.NewSectionReader(s.file, 0, s.size)
	}
	return bytes.NewReader(s.buf.Bytes())
}

// Close discards the spool.
func (s *spool) Close() error {
	if s.file != nil {
		name := s.file.Name()
		s.file.Close()
		return os.Remove(name)
	}
	return nil
}
