package smpp_test

import (
	"errors"
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

// FuzzParseReceiptText checks that any text parses without panic, that a
// success has an id or a stat, and that formatting a parsed receipt and
// parsing it again keeps id and stat.
func FuzzParseReceiptText(f *testing.F) {
	f.Add("id:0123456789 sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:hi")
	f.Add("ID:7f SUBMIT_DATE:240102150405 STAT:undeliv")
	f.Add("text:id:1")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := smpp.ParseReceiptText(s)
		if err != nil {
			if !errors.Is(err, smpp.ErrNoReceipt) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if r.ID == "" && r.Stat == "" {
			t.Fatalf("accepted %q without id or stat", s)
		}
		again, err := smpp.ParseReceiptText(smpp.FormatReceiptText(r))
		if err != nil {
			return // ids or stats with spaces do not survive the format
		}
		if again.ID != r.ID || again.Stat != r.Stat {
			t.Fatalf("format round trip: %+v -> %+v", r, again)
		}
	})
}
