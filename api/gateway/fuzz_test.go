package gateway

import (
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/carriers/smpp"
)

// FuzzParseSubmit feeds frames through the codec and the gateway's own
// reading of submit_sm, data_sm and submit_multi: it never panics, and
// what it accepts is something the intake can take. Seeds are in
// testdata/fuzz/FuzzParseSubmit.
func FuzzParseSubmit(f *testing.F) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, frame []byte) {
		p, err := smpp.Decode(frame)
		if err != nil {
			return
		}
		switch p.ID {
		case smpp.CmdSubmitSM, smpp.CmdDataSM, smpp.CmdSubmitMulti:
		default:
			return
		}
		for _, latin1 := range []bool{false, true} {
			s, st := parseSubmit(p, latin1, now)
			if st != smpp.StatusOK {
				continue
			}
			c := s.content
			if c.text == "" || !utf8.ValidString(c.text) {
				t.Fatalf("accepted text %q", c.text)
			}
			if c.raw != nil && (len(c.raw.ShortMessage) == 0 || len(c.raw.ShortMessage) > 160 ||
				(c.raw.DataCoding != dcDefault && len(c.raw.ShortMessage) > 140)) {
				t.Fatalf("accepted raw part of %d octets in 0x%02x", len(c.raw.ShortMessage), c.raw.DataCoding)
			}
			if len(s.dests) != len(s.refused) || len(s.dests) == 0 {
				t.Fatalf("%d destinations, %d verdicts", len(s.dests), len(s.refused))
			}
			for i, d := range s.dests {
				if s.refused[i] == smpp.StatusOK && recipient(d) == "" {
					t.Fatalf("destination %+v accepted", d)
				}
			}
			if !s.sendAt.IsZero() && !s.sendAt.After(now) {
				t.Fatalf("send at %v, not after now", s.sendAt)
			}
		}
	})
}
