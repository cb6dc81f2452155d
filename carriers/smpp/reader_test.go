package smpp_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
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
	tests := []struct {
		name string
		in   []byte
	}{
		{"4 GiB announced", []byte{0xFF, 0xFF, 0xFF, 0xF0, 0, 0, 0, 4}},
		{"just over the maximum, lying", []byte{0, 1, 0x18, 0x01, 0, 0, 0, 4}},
		{"the maximum announced, 8 octets sent", binary.BigEndian.AppendUint32(nil, smpp.DefaultMaxPDULength)},
	}
	for _, tt := range tests {
		const runs = 100
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range runs {
			r := smpp.NewReader(bytes.NewReader(tt.in), 0)
			if _, err := r.ReadFrame(); err == nil {
				t.Fatalf("%s: frame accepted", tt.name)
			}
		}
		runtime.ReadMemStats(&after)
		// The reader's buffered input (16 KiB) and frame buffer, the
		// error, and at most one frame of the configured maximum when
		// the announced length is within it: nothing sized by a length
		// above the maximum.
		perRun := (after.TotalAlloc - before.TotalAlloc) / runs
		if limit := uint64(20<<10 + smpp.DefaultMaxPDULength); perRun > limit {
			t.Errorf("%s: %d bytes allocated a frame, want at most %d", tt.name, perRun, limit)
		}
	}
}
