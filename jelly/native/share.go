package native

// Shared byte strings: a Writer can leave long byte strings out of its
// output and list them instead, so that a caller writing the output to a
// connection can hand them to the kernel where they lie (writev) rather
// than copy them into the output first.

// A Segment is a byte string a Writer left out of its output (ShareBytes):
// Data belongs at offset At of the slice Result returns, before the byte
// that is there.
type Segment struct {
	At   int
	Data []byte
}

// ShareBytes makes w leave every byte string written with Bytes that is
// at least min bytes long out of its output: the string's header is
// written, and the string itself is listed in Segments. The encoding is
// then the output with each Segment's Data inserted at its At, in order;
// limits, MaxExpression included, count the shared bytes as if they were
// written. The caller must keep each shared slice unchanged until the
// encoding has been used. min <= 0 turns sharing off; Reset turns it off
// and forgets the segments.
func (w *Writer) ShareBytes(min int) { w.share = max(min, 0) }

// Segments returns the byte strings left out of the output since Reset,
// in order. The slice is w's, valid until the next Reset.
func (w *Writer) Segments() []Segment { return w.segs }

// SharedLen returns the total length of the Segments' Data.
func (w *Writer) SharedLen() int { return w.e.shared }

// shareBytes writes the header of v, which is long enough to share, and
// lists v as a Segment.
func (w *Writer) shareBytes(v []byte) error {
	if w.pend == pendList {
		if asString(v) == unicodeTag {
			return writeStr(w, v) // perhaps the tag of a text
		}
		w.pend = pendNone
	}
	dst, err := w.e.appendStrHeader(w.buf, len(v), len(v) <= maxFixStr && validUTF8(v))
	if err != nil {
		return w.fail(err)
	}
	w.buf = dst
	w.segs = append(w.segs, Segment{At: len(dst), Data: v})
	w.e.shared += len(v)
	w.nest.Done()
	return nil
}
