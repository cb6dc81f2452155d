package gsm

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestSmart(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       string
		want     string // Transliterate
		enc      Encoding
		replaced int
	}{
		{"curly quotes", "It’s “ready”", `It's "ready"`, GSM7, 3},
		{"dashes and ellipsis", "Sale – 50% off — today…", "Sale - 50% off - today...", GSM7, 3},
		{"spaces", "a\u00a0b\u2009c\u202fd\te", "a b c d e", GSM7, 4},
		{"invisible dropped", "co\u00adop\u200b!", "coop!", GSM7, 2},
		{"latin-looking greek capitals", "ΑΒΕ", "ABE", GSM7, 3},
		{"gsm greek stays", "ΔΑ", "ΔA", GSM7, 1},
		{"nothing to do", "plain", "plain", GSM7, 0},
		{"emoji keeps ucs2 and the quotes", "It’s 🎉", "It’s 🎉", UCS2, 0},
		{"accents are not look-alikes", "São “x”", "São “x”", UCS2, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opt := Options{Smart: true}
			if got := Transliterate(tt.in, opt); got != tt.want {
				t.Fatalf("Transliterate = %q, want %q", got, tt.want)
			}
			info := Analyze(tt.in, opt)
			if info.Encoding != tt.enc || info.Replaced != tt.replaced {
				t.Fatalf("Analyze = %+v, want %v with %d replaced", info, tt.enc, tt.replaced)
			}
			if info.Encoding == GSM7 {
				if n := Analyze(tt.want, Options{}).Units; n != info.Units {
					t.Fatalf("units %d, the replaced text has %d", info.Units, n)
				}
			}
			checkRoundTrip(t, tt.in, opt)
		})
	}
}

func TestSmartOffByDefault(t *testing.T) {
	t.Parallel()
	if got := Analyze("It’s", Options{}); got.Encoding != UCS2 || got.Replaced != 0 {
		t.Fatalf("Analyze = %+v, want UCS2 untouched", got)
	}
}

func TestReplacements(t *testing.T) {
	t.Parallel()
	got := Replacements("“Hi” … it’s – ok’", Options{Smart: true})
	want := []Replacement{
		{From: '\u2013', To: "-", Count: 1},
		{From: '\u2019', To: "'", Count: 2},
		{From: '\u201C', To: `"`, Count: 1},
		{From: '\u201D', To: `"`, Count: 1},
		{From: '\u2026', To: "...", Count: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Replacements = %+v, want %+v", got, want)
	}
	if got := Replacements("“Hi” 🎉", Options{Smart: true}); got != nil {
		t.Fatalf("Replacements of a UCS-2 text = %+v, want nil", got)
	}
}

func TestShiftTables(t *testing.T) {
	t.Parallel()
	turkish := "Siparişiniz kargoya verildi. Teslimat günü Çarşamba; takip için bağlantıya tıklayın. İyi günler!"
	portuguese := "Seu pedido foi enviado. Previsão de entrega: sexta-feira. Dúvidas? Responda esta mensagem, obrigado!"
	spanish := "Tu pedido está en camino. Llegará el miércoles; si tienes dudas, responde a este mensaje. ¡Gracias!"
	type want struct {
		enc             Encoding
		locking, single Language
		units, segments int
	}
	tests := []struct {
		name string
		in   string
		opt  Options
		want want
	}{
		{"turkish without tables is ucs2", turkish, Options{}, want{UCS2, Default, Default, 96, 2}},
		{"turkish locking table", turkish, Options{Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 96, 1}},
		{"turkish not offered", turkish, Options{Languages: LanguagesOf(Spanish, Portuguese)}, want{UCS2, Default, Default, 96, 2}},
		{"portuguese", portuguese, Options{Languages: AllLanguages}, want{GSM7, Portuguese, Default, 100, 1}},
		{"spanish single shift", spanish, Options{Languages: LanguagesOf(Spanish)}, want{GSM7, Default, Spanish, 101, 1}},
		{"short text keeps ucs2: no fewer parts", "Çarşamba", Options{Languages: AllLanguages}, want{UCS2, Default, Default, 8, 1}},
		{"gsm text never shifts", "Hello", Options{Languages: AllLanguages}, want{GSM7, Default, Default, 5, 1}},
		// 155 septets fit one part with a 4-octet UDH, 156 do not.
		{"155 with locking shift", "ı" + strings.Repeat("a", 154), Options{Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 155, 1}},
		{"156 with locking shift", "ı" + strings.Repeat("a", 155), Options{Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 156, 2}},
		// Concatenated with one shift IE: 9-octet UDH, 149 septets a part.
		{"298 with locking shift", "ı" + strings.Repeat("a", 297), Options{Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 298, 2}},
		{"299 with locking shift", "ı" + strings.Repeat("a", 298), Options{Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 299, 3}},
		// Both tables: 7-octet UDH alone (152), 12 concatenated (146).
		{"locking and single", "ıÁ" + strings.Repeat("a", 149), Options{Languages: LanguagesOf(Turkish, Spanish)}, want{GSM7, Turkish, Spanish, 152, 1}},
		{"smart and shift together", "“Çarşamba” " + strings.Repeat("a", 70), Options{Smart: true, Languages: LanguagesOf(Turkish)}, want{GSM7, Turkish, Default, 81, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Analyze(tt.in, tt.opt)
			w := tt.want
			if got.Encoding != w.enc || got.Locking != w.locking || got.Single != w.single || got.Units != w.units || got.Segments != w.segments {
				t.Fatalf("Analyze = %+v, want %+v", got, w)
			}
			checkRoundTrip(t, tt.in, tt.opt)
			checkRoundTrip(t, tt.in, Options{Ref16: true, Smart: tt.opt.Smart, Languages: tt.opt.Languages})
		})
	}
}

func TestParseLanguages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    Languages
		wantErr bool
	}{
		{"empty", "", 0, false},
		{"none", "none", 0, false},
		{"codes", "tr,es,pt", AllLanguages, false},
		{"names and spaces", " Turkish , portuguese", LanguagesOf(Turkish, Portuguese), false},
		{"all", "all", AllLanguages, false},
		{"unknown", "tr,hi", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseLanguages(tt.in)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("ParseLanguages(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.wantErr)
			}
			if err == nil {
				if back, _ := ParseLanguages(got.String()); back != got {
					t.Fatalf("String %q reads back as %v", got.String(), back)
				}
			}
		})
	}
}

func TestInfoJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(Analyze("ı"+strings.Repeat("a", 80), Options{Languages: AllLanguages}))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"encoding":"GSM7","units":81,"segments":1,"locking_shift":"tr"}`; string(b) != want {
		t.Fatalf("JSON %s, want %s", b, want)
	}
	b, _ = json.Marshal(Analyze("😀", Options{}))
	if want := `{"encoding":"UCS2","units":2,"segments":1}`; string(b) != want {
		t.Fatalf("JSON %s, want %s", b, want)
	}
}
