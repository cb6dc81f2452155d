package smscsim

import (
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestConcatOf(t *testing.T) {
	t.Parallel()
	sar := smpp.TLVs{}
	sar.SetUint16(smpp.TagSARMsgRefNum, 0x0102)
	sar.SetUint8(smpp.TagSARTotalSegments, 3)
	sar.SetUint8(smpp.TagSARSegmentSeqnum, 2)
	tests := []struct {
		name  string
		esm   uint8
		sm    []byte
		tlvs  smpp.TLVs
		want  concat
		multi bool
		body  string
		ok    bool
	}{
		{"8-bit ref", smpp.ESMClassUDHI, []byte{5, 0, 3, 0xAB, 3, 1, 'h', 'i'}, nil, concat{ref: 0xAB, total: 3, seq: 1}, true, "hi", true},
		{"16-bit ref", smpp.ESMClassUDHI, []byte{6, 8, 4, 0x12, 0x34, 2, 2, 'h'}, nil, concat{ref: 0x1234, total: 2, seq: 2}, true, "h", true},
		{"other element first", smpp.ESMClassUDHI, []byte{8, 0x24, 1, 1, 0, 3, 7, 2, 1, 'x'}, nil, concat{ref: 7, total: 2, seq: 1}, true, "x", true},
		{"sar parameters", 0, []byte("hey"), sar, concat{ref: 0x0102, total: 3, seq: 2}, true, "hey", true},
		{"single part", 0, []byte("hey"), nil, concat{}, false, "hey", true},
		{"one of one is single", smpp.ESMClassUDHI, []byte{5, 0, 3, 1, 1, 1, 'a'}, nil, concat{}, false, "a", true},
		{"udh longer than message", smpp.ESMClassUDHI, []byte{9, 0, 3}, nil, concat{}, false, "", false},
		{"empty with udhi", smpp.ESMClassUDHI, nil, nil, concat{}, false, "", false},
		{"truncated element", smpp.ESMClassUDHI, []byte{3, 0, 3, 1, 'a'}, nil, concat{}, false, "a", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			udh, body, ok := splitUDH(tt.esm, tt.sm)
			if ok != tt.ok {
				t.Fatalf("splitUDH ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if string(body) != tt.body {
				t.Errorf("body %q, want %q", body, tt.body)
			}
			got, multi := concatOf(udh, tt.tlvs)
			if got != tt.want || multi != tt.multi {
				t.Errorf("concatOf = %+v, %v; want %+v, %v", got, multi, tt.want, tt.multi)
			}
		})
	}
}
