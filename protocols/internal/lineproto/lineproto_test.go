package lineproto

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func reader(s string, max int) *Reader {
	// A small bufio buffer exercises the ErrBufferFull paths.
	return NewReader(bufio.NewReaderSize(strings.NewReader(s), 16), max)
}

func TestReadLineLimit(t *testing.T) {
	r := reader("short\r\n"+strings.Repeat("x", 100)+"\r\nbare lf\nlast", 20)
	line, err := r.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "short", string(line))
	_, err = r.ReadLine()
	assert.ErrorIs(t, err, ErrLineTooLong)
	line, err = r.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "bare lf", string(line), "the long line was consumed whole")
	line, err = r.ReadLineRaw()
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.Equal(t, "last", string(line))
	_, err = r.ReadLine()
	assert.ErrorIs(t, err, io.EOF)
}

func TestReadLineExactLimit(t *testing.T) {
	r := reader("12345678\r\n123456789\r\n", 10)
	line, err := r.ReadLine()
	require.NoError(t, err)
	assert.Equal(t, "12345678", string(line))
	_, err = r.ReadLine()
	assert.ErrorIs(t, err, ErrLineTooLong)
}

func TestDotReader(t *testing.T) {
	r := reader("a\r\n..b\r\n.c\r\n..\r\n\r\n.\r\nNEXT\r\n", 100)
	b, err := io.ReadAll(NewDotReader(r, 0))
	require.NoError(t, err)
	assert.Equal(t, "a\r\n.b\r\nc\r\n.\r\n\r\n", string(b))
	line, _ := r.ReadLine()
	assert.Equal(t, "NEXT", string(line), "reading stops at the terminator")
}

func TestDotReaderLimitsAndDrain(t *testing.T) {
	r := reader("0123456789\r\n0123456789\r\n0123456789\r\n.\r\nNEXT\r\n", 100)
	d := NewDotReader(r, 20)
	_, err := io.ReadAll(d)
	assert.ErrorIs(t, err, ErrMessageTooLarge)
	assert.ErrorIs(t, d.Drain(), ErrMessageTooLarge)
	assert.True(t, d.Done())
	line, _ := r.ReadLine()
	assert.Equal(t, "NEXT", string(line))

	r = reader("ok\r\n"+strings.Repeat("y", 50)+"\r\nok\r\n.\r\n", 20)
	d = NewDotReader(r, 0)
	_, err = io.ReadAll(d)
	assert.ErrorIs(t, err, ErrLineTooLong)
	assert.ErrorIs(t, d.Drain(), ErrLineTooLong)

	// A connection lost mid-block is a read error, not a violation.
	r = reader("partial\r\nno terminator", 100)
	d = NewDotReader(r, 0)
	_, err = io.ReadAll(d)
	assert.ErrorIs(t, err, io.ErrUnexpectedEOF)
	assert.ErrorIs(t, d.Drain(), io.ErrUnexpectedEOF)
}

func TestDotWriter(t *testing.T) {
	for _, c := range []struct{ in, wire, back string }{
		{"", ".\r\n", ""},
		{"a\r\nb\r\n", "a\r\nb\r\n.\r\n", "a\r\nb\r\n"},
		{".x\n..\n.\nno end", "..x\r\n...\r\n..\r\nno end\r\n.\r\n", ".x\r\n..\r\n.\r\nno end\r\n"},
		{"cr only\r", "cr only\r\n.\r\n", "cr only\r\n"},
		{"mid.dot\r\n\r\n", "mid.dot\r\n\r\n.\r\n", "mid.dot\r\n\r\n"},
	} {
		var buf bytes.Buffer
		w := bufio.NewWriter(&buf)
		dw := NewDotWriter(w)
		_, err := dw.Write([]byte(c.in))
		require.NoError(t, err)
		require.NoError(t, dw.Close())
		require.NoError(t, w.Flush())
		assert.Equal(t, c.wire, buf.String(), "%q", c.in)
		back, err := io.ReadAll(NewDotReader(reader(buf.String(), 1000), 0))
		require.NoError(t, err)
		assert.Equal(t, c.back, string(back), "%q", c.in)
	}
}
