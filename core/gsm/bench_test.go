package gsm

import (
	"strings"
	"testing"
)

// benchTexts are the message shapes bench/RESULTS.md reports.
var benchTexts = []struct {
	name string
	text string
}{
	{"gsm7_160", benchGSM(160)},
	{"gsm7_400", benchGSM(400)},
	{"ucs2_70", strings.Repeat("Заказ №", 10)},
}

// benchGSM returns n characters of a typical order notice.
func benchGSM(n int) string {
	const s = "Hi Sara, your order #4582 has shipped and will arrive on Friday. Track it: https://t.example/x7Qp2 Reply STOP to opt out. "
	return strings.Repeat(s, n/len(s)+1)[:n]
}

// BenchmarkSegment measures the full split and encode to SMPP bytes with
// user data headers, one message per iteration.
func BenchmarkSegment(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			parts := 0
			for b.Loop() {
				m := Split(bt.text, 0x42, Options{})
				parts = m.Len()
			}
			b.ReportMetric(float64(parts), "parts/msg")
		})
	}
}

// BenchmarkAnalyze measures counting alone.
func BenchmarkAnalyze(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Analyze(bt.text, Options{})
			}
		})
	}
}

// BenchmarkSegmentReuse measures AppendSplit into a reused buffer.
func BenchmarkSegmentReuse(b *testing.B) {
	for _, bt := range benchTexts {
		b.Run(bt.name, func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				m := AppendSplit(buf, bt.text, 0x42, Options{})
				buf = m.Buffer()
			}
		})
	}
}
