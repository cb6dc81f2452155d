package smpp

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
)

// DefaultMaxPDULength bounds a frame when no other limit is set: room for
// a 64 KiB message_payload and the fixed fields around it.
const DefaultMaxPDULength = 70 * 1024

// Reader splits a byte stream into PDU frames. It allocates at most the
// announced command_length, never more than its maximum, and reuses its
// buffer between frames.
type Reader struct {
	r   *bufio.Reader
	max int
	buf []byte
}

// NewReader returns a Reader over r that rejects frames longer than max
// octets (DefaultMaxPDULength when max ≤ 0).
func NewReader(r io.Reader, max int) *Reader {
	if max <= 0 {
		max = DefaultMaxPDULength
	}
	return &Reader{r: bufio.NewReaderSize(r, 16*1024), max: max, buf: make([]byte, 0, 512)}
}

// ReadFrame returns the next whole frame, valid until the next call. A
// frame announcing a length outside [HeaderLen, max] yields an error
// wrapping ErrCommandLength; the stream is unusable after it. A stream
// that ends between frames yields io.EOF, one that ends inside a frame
// io.ErrUnexpectedEOF.
func (r *Reader) ReadFrame() ([]byte, error) {
	var lenBuf [4]byte
	if _, err := io.ReadFull(r.r, lenBuf[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n < HeaderLen || int64(n) > int64(r.max) {
		return nil, fmt.Errorf("command_length %d outside [%d, %d]: %w", n, HeaderLen, r.max, ErrCommandLength)
	}
	if cap(r.buf) < int(n) {
		r.buf = make([]byte, n)
	}
	frame := r.buf[:n]
	copy(frame, lenBuf[:])
	if _, err := io.ReadFull(r.r, frame[4:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	return frame, nil
}
