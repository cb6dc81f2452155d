package smscsim

import (
	"strconv"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/gsm"
)

func TestRead(t *testing.T) {
	t.Parallel()
	sar := smpp.TLVs{}
	sar.SetUint16(smpp.TagSARMsgRefNum, 0x0102)
	sar.SetUint8(smpp.TagSARTotalSegments, 3)
	sar.SetUint8(smpp.TagSARSegmentSeqnum, 2)
	badSAR := smpp.TLVs{}
	badSAR.SetUint16(smpp.TagSARMsgRefNum, 1)
	badSAR.SetUint8(smpp.TagSARTotalSegments, 3)
	badSAR.SetUint8(smpp.TagSARSegmentSeqnum, 4)
	packed := gsm.Split("hello packed", 0, gsm.Options{Packed: true})
	tests := []struct {
		name   string
		packed bool
		sub    submission
		text   string
		want   concat
		multi  bool
		status smpp.CommandStatus
	}{
		{"8-bit ref", false, submission{esmClass: smpp.ESMClassUDHI, payload: []byte{5, 0, 3, 0xAB, 3, 1, 'h', 'i'}}, "hi", concat{ref: 0xAB, total: 3, seq: 1}, true, smpp.StatusOK},
		{"16-bit ref", false, submission{esmClass: smpp.ESMClassUDHI, payload: []byte{6, 8, 4, 0x12, 0x34, 2, 2, 'h'}}, "h", concat{ref: 0x1234, total: 2, seq: 2}, true, smpp.StatusOK},
		{"shift element first", false, submission{esmClass: smpp.ESMClassUDHI, payload: []byte{8, 0x24, 1, 1, 0, 3, 7, 2, 1, 'x'}}, "x", concat{ref: 7, total: 2, seq: 1}, true, smpp.StatusOK},
		{"sar parameters", false, submission{payload: []byte("hey"), tlvs: sar}, "hey", concat{ref: 0x0102, total: 3, seq: 2}, true, smpp.StatusOK},
		{"sar past the end", false, submission{payload: []byte("hey"), tlvs: badSAR}, "", concat{}, false, smpp.StatusInvalidMsgLength},
		{"single part", false, submission{payload: []byte("hey")}, "hey", concat{}, false, smpp.StatusOK},
		{"one of one is single", false, submission{esmClass: smpp.ESMClassUDHI, payload: []byte{5, 0, 3, 1, 1, 1, 'a'}}, "a", concat{}, false, smpp.StatusOK},
		{"udh longer than message", false, submission{esmClass: smpp.ESMClassUDHI, payload: []byte{9, 0, 3}}, "", concat{}, false, smpp.StatusInvalidMsgLength},
		{"empty with udhi", false, submission{esmClass: smpp.ESMClassUDHI}, "", concat{}, false, smpp.StatusInvalidMsgLength},
		{"ucs2", false, submission{dataCoding: 8, payload: []byte{0x04, 0x1F, 0, '!'}}, "П!", concat{}, false, smpp.StatusOK},
		{"binary kept raw", false, submission{dataCoding: 4, payload: []byte{1, 2}}, "\x01\x02", concat{}, false, smpp.StatusOK},
		{"packed", true, submission{payload: packed.Part(0)}, "hello packed", concat{}, false, smpp.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := New(Config{Packed: tt.packed})
			if err != nil {
				t.Fatal(err)
			}
			text, c, multi, st := s.read(tt.sub)
			if st != tt.status {
				t.Fatalf("status %v, want %v", st, tt.status)
			}
			if st != smpp.StatusOK {
				return
			}
			if text != tt.text || c != tt.want || multi != tt.multi {
				t.Errorf("read = %q, %+v, %v; want %q, %+v, %v", text, c, multi, tt.text, tt.want, tt.multi)
			}
		})
	}
}

// The multipart messages waiting for their parts are bounded: a part of a
// new one beyond maxPartials is given up at once, and the ones held still
// complete.
func TestPartialsBounded(t *testing.T) {
	t.Parallel()
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range maxPartials + 10 {
		key := partKey{systemID: "x", dest: strconv.Itoa(i), ref: 1, total: 2}
		if _, _, given := s.addPart(key, 1, "a", &receiptJob{}, now); given != (i >= maxPartials) {
			t.Fatalf("part %d given up %v", i, given)
		}
	}
	if n := len(s.partials); n != maxPartials {
		t.Fatalf("%d waiting, want %d", n, maxPartials)
	}
	ready, full, given := s.addPart(partKey{systemID: "x", dest: "0", ref: 1, total: 2}, 2, "b", &receiptJob{}, now)
	if given || len(ready) != 2 || full != "ab" || s.counts[messageHash(0, "0", "ab")] != 1 {
		t.Fatalf("completing a held message: %d ready, %q, given up %v", len(ready), full, given)
	}
}
