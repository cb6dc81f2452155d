package smpp_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestReaderFrames(t *testing.T) {
	t.Parallel()
	var stream []byte
	pdus := samplePDUs()
	for _, s := range pdus {
		var err error
		if stream, err = s.pdu.AppendTo(stream); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		r    io.Reader
	}{
		{"whole", bytes.NewReader(stream)},
		{"one byte at a time", iotest.OneByteReader(bytes.NewReader(stream))},
		{"half reads", iotest.HalfReader(bytes.NewReader(stream))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := smpp.NewReader(tt.r, 0)
			for i := range pdus {
				f, err := r.ReadFrame()
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				p, err := smpp.Decode(f)
				if err != nil {
					t.Fatalf("frame %d: %v", i, err)
				}
				if p.ID != pdus[i].pdu.Body.CommandID() {
					t.Fatalf("frame %d is %s, want %s", i, p.ID, pdus[i].pdu.Body.CommandID())
				}
			}
			if _, err := r.ReadFrame(); err != io.EOF {
				t.Errorf("after the last frame: %v, want EOF", err)
			}
		})
	}
}

func TestReaderBadLengths(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"huge command_length", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 4}, smpp.ErrCommandLength},
		{"just over the maximum", []byte{0, 0, 0x04, 0x01}, smpp.ErrCommandLength},
		{"below header", []byte{0, 0, 0, 15, 0, 0, 0, 0x15}, smpp.ErrCommandLength},
		{"zero", []byte{0, 0, 0, 0}, smpp.ErrCommandLength},
		{"cut in the length", []byte{0, 0}, io.ErrUnexpectedEOF},
		{"cut in the body", []byte{0, 0, 0, 16, 0, 0, 0, 0x15}, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := smpp.NewReader(bytes.NewReader(tt.in), 1024)
			if _, err := r.ReadFrame(); !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestReaderBoundsAllocation(t *testing.T) {
	in := []byte{0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 4}
	allocs := testing.AllocsPerRun(100, func() {
		r := smpp.NewReader(bytes.NewReader(in), 0)
		if _, err := r.ReadFrame(); err == nil {
			t.Fatal("4 GiB frame accepted")
		}
	})
	// The reader and its buffers, and the error: nothing sized by the
	// announced length.
	if allocs > 10 {
		t.Errorf("%v allocations for a rejected frame", allocs)
	}
}
