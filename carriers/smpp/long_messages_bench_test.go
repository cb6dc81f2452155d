package smpp

import (
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
)

// BenchmarkEncode turns submissions into their submit_sm PDUs in each
// long-message mode: one part, three parts, and a text encoded by its
// sender.
func BenchmarkEncode(b *testing.B) {
	long := strings.Repeat("Your order has shipped and arrives tomorrow. ", 8)
	valid := time.Now().Add(time.Hour)
	for _, bb := range []struct {
		name string
		mode LongMode
		s    carriers.Submission
	}{
		{"one-part", LongUDH, carriers.Submission{To: "+4915100000000", From: "Shop", Text: "Your order has shipped", RegisteredDelivery: true, ValidUntil: valid}},
		{"udh", LongUDH, carriers.Submission{To: "+4915100000000", From: "Shop", Text: long, RegisteredDelivery: true}},
		{"sar", LongSAR, carriers.Submission{To: "+4915100000000", From: "Shop", Text: long, RegisteredDelivery: true}},
		{"payload", LongPayload, carriers.Submission{To: "+4915100000000", From: "Shop", Text: long, RegisteredDelivery: true}},
		{"raw", LongUDH, carriers.Submission{To: "+4915100000000", From: "Shop", Raw: &carriers.Raw{DataCoding: 8, ShortMessage: []byte("\x00H\x00i")}}},
	} {
		b.Run(bb.name, func(b *testing.B) {
			cfg := &ClientConfig{LongMessages: bb.mode}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := cfg.encode(&bb.s, 7); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
