package smpp

import (
	"bytes"
	"fmt"
	"strings"
)

// appendCString appends s and its NUL terminator. max counts the
// terminator, as the specification's field sizes do.
func appendCString(dst []byte, s string, max int, field string) ([]byte, error) {
	if len(s)+1 > max {
		return dst, fmt.Errorf("%s: %d octets, at most %d: %w", field, len(s), max-1, ErrFieldTooLong)
	}
	if i := strings.IndexByte(s, 0); i >= 0 {
		return dst, fmt.Errorf("%s: NUL at %d: %w", field, i, ErrFieldTooLong)
	}
	dst = append(dst, s...)
	return append(dst, 0), nil
}

// malformed builds a decode error that wraps ErrMalformed and the status
// to answer the PDU with.
func malformed(st CommandStatus, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %w", ErrMalformed, fmt.Sprintf(format, args...), st)
}

// bodyReader reads body fields in order. The first error sticks and
// later reads return zero values, so decoders read every field and check
// err once.
type bodyReader struct {
	b   []byte
	off int
	err error
}

func (r *bodyReader) cstring(field string) string {
	if r.err != nil {
		return ""
	}
	i := bytes.IndexByte(r.b[r.off:], 0)
	if i < 0 {
		r.err = malformed(StatusInvalidCmdLength, "%s: no NUL terminator", field)
		return ""
	}
	s := string(r.b[r.off : r.off+i])
	r.off += i + 1
	return s
}

func (r *bodyReader) byte(field string) byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.err = malformed(StatusInvalidCmdLength, "%s: body too short", field)
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

// bytes returns a copy of the next n bytes, nil when n is 0.
func (r *bodyReader) bytes(n int, field string) []byte {
	if r.err != nil || n == 0 {
		return nil
	}
	if r.off+n > len(r.b) {
		r.err = malformed(StatusInvalidMsgLength, "%s: %d octets announced, %d left", field, n, len(r.b)-r.off)
		return nil
	}
	c := make([]byte, n)
	copy(c, r.b[r.off:])
	r.off += n
	return c
}

// tlvs reads the rest of the body as optional parameters.
func (r *bodyReader) tlvs() TLVs {
	if r.err != nil {
		return nil
	}
	t, err := decodeTLVs(r.b[r.off:])
	r.off = len(r.b)
	if err != nil {
		r.err = err
	}
	return t
}

// end fails when bytes remain that the layout has no place for.
func (r *bodyReader) end(cmd string) error {
	if r.err == nil && r.off != len(r.b) {
		r.err = malformed(StatusInvalidCmdLength, "%s: %d trailing octets", cmd, len(r.b)-r.off)
	}
	return r.err
}
