package gsm

import (
	"reflect"
	"strings"
	"testing"
)

func TestUCS2Chars(t *testing.T) {
	t.Parallel()
	tr := LanguagesOf(Turkish)
	tests := []struct {
		name string
		in   string
		opt  Options
		want string
	}{
		{"gsm text", "Your order #4582 has shipped {€}", Options{}, ""},
		{"emoji once each", "Sale 🎉 now 🎉 and 👍", Options{}, "🎉👍"},
		{"curly quote without smart", "It’s here", Options{}, "’"},
		{"curly quote with smart is gsm", "It’s here", Options{Smart: true}, ""},
		{"smart leaves only what has no look-alike", "It’s 🎉", Options{Smart: true}, "🎉"},
		{"accent outside every table", "São Paulo", Options{}, "ã"},
		{"turkish letter without the table", "Şule", Options{}, "Ş"},
		{"turkish table saving no part", "Şule", Options{Languages: tr}, "Ş"},
		{"turkish table saving parts is gsm", strings.Repeat("Şule ", 20), Options{Languages: tr}, ""},
		{"turkish table does not carry cyrillic", strings.Repeat("Şule ", 20) + "Ж", Options{Languages: tr}, "ŞЖ"},
		{"chinese", "订单已发货", Options{}, "订单已发货"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := UCS2Chars(tt.in, tt.opt)
			var want []rune
			if tt.want != "" {
				want = []rune(tt.want)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("UCS2Chars(%q) = %q, want %q", tt.in, string(got), tt.want)
			}
			if (len(got) > 0) != (Analyze(tt.in, tt.opt).Encoding == UCS2) {
				t.Fatalf("names %q but Analyze says %v", string(got), Analyze(tt.in, tt.opt).Encoding)
			}
		})
	}
}
