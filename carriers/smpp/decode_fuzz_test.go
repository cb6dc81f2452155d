package smpp_test

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/ternsms/tern/carriers/smpp"
)

// splitReader returns its bytes in two reads, split at a point.
type splitReader struct {
	b   []byte
	cut int
}

func (r *splitReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := len(r.b)
	if r.cut > 0 && r.cut < n {
		n = r.cut
	}
	n = copy(p, r.b[:n])
	r.b, r.cut = r.b[n:], r.cut-n
	return n, nil
}

// FuzzDecode feeds a byte stream to the frame reader whole, split in two
// at cut and one byte at a time, and decodes every frame: nothing may
// panic, a rejected length ends the stream, the three readings agree, and
// whatever decodes must encode back to a PDU that decodes the same.
func FuzzDecode(f *testing.F) {
	for _, s := range samplePDUs() {
		b, err := s.pdu.AppendTo(nil)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(b)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		whole := decodeStream(t, bytes.NewReader(data))
		split := decodeStream(t, &splitReader{b: data, cut: int(cut)})
		if !reflect.DeepEqual(whole, split) {
			t.Fatalf("split read decoded differently:\n%v\n%v", whole, split)
		}
		bytewise := decodeStream(t, iotest.OneByteReader(bytes.NewReader(data)))
		if !reflect.DeepEqual(whole, bytewise) {
			t.Fatalf("bytewise read decoded differently:\n%v\n%v", whole, bytewise)
		}
	})
}

func decodeStream(t *testing.T, in io.Reader) []smpp.PDU {
	r := smpp.NewReader(in, 4096)
	var out []smpp.PDU
	for {
		frame, err := r.ReadFrame()
		if err != nil {
			return out
		}
		p, err := smpp.Decode(frame)
		if errors.Is(err, smpp.ErrCommandLength) {
			t.Fatalf("reader passed a frame Decode calls %v", err)
		}
		if err != nil {
			if !errors.Is(err, smpp.ErrUnknownCommand) && !errors.Is(err, smpp.ErrMalformed) {
				t.Fatalf("unclassified decode error: %v", err)
			}
			continue
		}
		b, err := p.AppendTo(nil)
		if err != nil {
			// Decoding enforces every limit encoding does.
			t.Fatalf("re-encode %s: %v", p.ID, err)
		}
		again, err := smpp.Decode(b)
		if err != nil {
			t.Fatalf("decode of re-encoded %s: %v", p.ID, err)
		}
		again.Length = p.Length
		if !bytes.Equal(frame, b) && !reflect.DeepEqual(p, again) {
			t.Fatalf("round trip changed %s:\n%#v\n%#v", p.ID, p, again)
		}
		out = append(out, p)
	}
}
