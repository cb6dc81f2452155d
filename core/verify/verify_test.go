package verify

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/phone"
)

func TestCode(t *testing.T) {
	t.Parallel()
	k := NewKeys([]byte("a deployment secret of some length"))
	id := NewID()
	if !ValidID(id) || ValidID("VE123") || ValidID(strings.ToUpper(id)) {
		t.Fatalf("ValidID(%q) wrong", id)
	}
	for length := MinCodeLength; length <= MaxCodeLength; length++ {
		c := k.Code("shop-1", id, length)
		if len(c) != length || CheckCode(c) != nil {
			t.Fatalf("length %d: code %q", length, c)
		}
		if again := k.Code("shop-1", id, length); again != c {
			t.Fatalf("code not the same on resend: %q, %q", c, again)
		}
	}
	if k.Code("shop-1", id, 6) == k.Code("shop-2", id, 6) && k.Code("shop-1", id, 8) == k.Code("shop-2", id, 8) {
		t.Fatal("tenant does not enter the code")
	}
	other := NewKeys([]byte("another secret"))
	if other.Code("shop-1", id, 10) == k.Code("shop-1", id, 10) {
		t.Fatal("secret does not enter the code")
	}
}

// TestCodeUniform: every digit of a 4-digit code, at every position, is
// about equally likely (a chi-squared bound far from what bias would
// give), and leading zeros are kept.
func TestCodeUniform(t *testing.T) {
	t.Parallel()
	k := NewKeys([]byte("uniformity"))
	var counts [4][10]int
	const n = 20000
	zeros := 0
	for i := range n {
		c := k.Code("t", "VE"+strings.Repeat("0", 24)+string(rune('a'+i%26))+itoa(i), 4)
		if c[0] == '0' {
			zeros++
		}
		for p := range 4 {
			counts[p][c[p]-'0']++
		}
	}
	for p := range 4 {
		chi := 0.0
		for d := range 10 {
			e := float64(n) / 10
			diff := float64(counts[p][d]) - e
			chi += diff * diff / e
		}
		if chi > 40 { // 9 degrees of freedom: p < 1e-5
			t.Errorf("position %d: chi-squared %.1f, counts %v", p, chi, counts[p])
		}
	}
	if zeros == 0 {
		t.Error("no code starts with 0")
	}
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

func TestHash(t *testing.T) {
	t.Parallel()
	k := NewKeys([]byte("secret"))
	salt := NewSalt()
	h := k.Hash(salt, "123456")
	if bytes.Contains(h, []byte("123456")) || len(h) != 32 {
		t.Fatalf("hash %x", h)
	}
	if !k.Match(salt, "123456", h) || k.Match(salt, "123457", h) || k.Match(NewSalt(), "123456", h) {
		t.Fatal("Match wrong")
	}
	if bytes.Equal(k.Hash(NewSalt(), "123456"), h) {
		t.Fatal("salt does not enter the hash")
	}
	for _, bad := range []string{"", "123", "12345678901", "12a456", "१२३४५६"} {
		if err := CheckCode(bad); !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), "code: ") {
			t.Errorf("CheckCode(%q) = %v", bad, err)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(time.Minute)
	pending := func(checks int) State { return State{Status: StatusPending, Checks: checks, Expires: exp} }
	tests := []struct {
		name    string
		in      State
		at      time.Time
		matched bool
		want    State
		outcome Status
		err     error
	}{
		{"right code", pending(0), now, true, State{StatusApproved, 1, exp}, StatusApproved, nil},
		{"wrong code", pending(0), now, false, pending(1), StatusPending, nil},
		{"fifth check right", pending(4), now, true, State{StatusApproved, 5, exp}, StatusApproved, nil},
		{"fifth check wrong", pending(4), now, false, pending(5), StatusPending, nil},
		{"sixth check refused even when right", pending(5), now, true, State{StatusMaxAttemptsReached, 5, exp}, StatusMaxAttemptsReached, nil},
		{"expired, right code", pending(0), exp, true, State{StatusExpired, 0, exp}, StatusExpired, nil},
		{"canceled", State{StatusCanceled, 1, exp}, now, true, State{StatusCanceled, 1, exp}, StatusCanceled, nil},
		{"approved again", State{StatusApproved, 1, exp}, now, true, State{StatusApproved, 1, exp}, StatusApproved, ErrApproved},
	}
	for _, tt := range tests {
		got, outcome, err := Check(tt.in, 5, tt.at, tt.matched)
		if got != tt.want || outcome != tt.outcome || !errors.Is(err, tt.err) {
			t.Errorf("%s: Check = %+v, %v, %v; want %+v, %v, %v", tt.name, got, outcome, err, tt.want, tt.outcome, tt.err)
		}
	}
	if !CanCancel(StatusPending) || !CanCancel(StatusCanceled) || CanCancel(StatusApproved) || CanCancel(StatusExpired) {
		t.Error("CanCancel wrong")
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := Policy{}.WithDefaults()
	if time.Duration(p.Expiry) != 10*time.Minute || p.MaxChecks != 5 || p.MaxSends != 5 || time.Duration(p.SendWindow) != 10*time.Minute ||
		time.Duration(*p.Cooldown) != 30*time.Second || p.CodeLength != 6 || p.Locale != "en" || p.Pumping.PrefixDigits != 4 {
		t.Fatalf("defaults %+v", p)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	zero := consent.Duration(0)
	if p := (Policy{Cooldown: &zero}).WithDefaults(); *p.Cooldown != 0 {
		t.Fatal("a cooldown of 0s became the default")
	}
	bad := []struct {
		p     Policy
		field string
	}{
		{Policy{Expiry: consent.Duration(time.Second)}, "expiry"},
		{Policy{MaxChecks: 50}, "max_checks"},
		{Policy{CodeLength: 3}, "code_length"},
		{Policy{Locale: "xx"}, "locale"},
		{Policy{Domain: "Shop Example"}, "domain"},
		{Policy{AppHash: "short"}, "app_hash"},
		{Policy{Countries: []string{"usa"}}, "countries[0]"},
		{Policy{Pumping: Pumping{MinConversion: 2}}, "pumping.min_conversion"},
	}
	for _, b := range bad {
		if err := b.p.Validate(); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), b.field+":") {
			t.Errorf("Validate(%+v) = %v, want %s", b.p, err, b.field)
		}
	}
	if !p.Allows("US", []string{"US", "CA"}) || p.Allows("GB", []string{"US"}) || p.Allows("US", nil) {
		t.Error("Allows with the tenant's own countries")
	}
	if l := (Policy{Countries: []string{"GB"}}); !l.Allows("GB", []string{"US"}) || l.Allows("US", []string{"US"}) {
		t.Error("Allows with a list")
	}
}

func TestPrefixAndJudge(t *testing.T) {
	t.Parallel()
	n, err := phone.Parse("+447911123456", "")
	if err != nil {
		t.Fatal(err)
	}
	if got := Prefix(n, 4); got != "+447911" {
		t.Fatalf("Prefix = %q", got)
	}
	us, _ := phone.Parse("+14155552671", "")
	if got := Prefix(us, 3); got != "+1415" {
		t.Fatalf("Prefix = %q", got)
	}
	p := Pumping{}.WithDefaults() // window 10m, baseline 24h: 144 windows
	tests := []struct {
		name string
		c    Counts
		want Verdict
	}{
		{"quiet", Counts{Recent: 3}, VerdictNone},
		{"burst on a new prefix", Counts{Recent: 21}, VerdictRate},
		{"up to the minimum burst", Counts{Recent: 20}, VerdictNone},
		{"busy prefix at its usual rate", Counts{Recent: 100, Before: 144 * 90}, VerdictNone},
		{"busy prefix far above its rate", Counts{Recent: 1000, Before: 144 * 90}, VerdictRate},
		{"low conversion", Counts{Recent: 5, Before: 1000, Started: 40, Approved: 2}, VerdictConversion},
		{"normal conversion", Counts{Recent: 5, Before: 1000, Started: 40, Approved: 30}, VerdictNone},
		{"too few to judge conversion", Counts{Started: 10}, VerdictNone},
	}
	for _, tt := range tests {
		if got := p.Judge(tt.c); got != tt.want {
			t.Errorf("%s: Judge(%+v) = %q, want %q", tt.name, tt.c, got, tt.want)
		}
	}
	p.Off = true
	if p.Judge(Counts{Recent: 1000}) != VerdictNone {
		t.Error("a guard turned off judged")
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	got := Render(Message{Language: "en", Brand: "Acme", Code: "042133", Validity: 9*time.Minute + time.Second})
	if got != "Acme: your verification code is 042133. Valid for 10 min. Don't share it." {
		t.Fatalf("Render = %q", got)
	}
	got = Render(Message{Language: "en", Code: "042133", Validity: 10 * time.Minute, Domain: "shop.example.com", AppHash: "FA+9qCX9VSu"})
	lines := strings.Split(got, "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "Your verification code is 042133") || lines[1] != "FA+9qCX9VSu" || lines[2] != "@shop.example.com #042133" {
		t.Fatalf("Render with domain and app hash = %q", got)
	}
	for _, tt := range []struct{ locale, lang string }{{"pt-BR", "pt"}, {"es_MX", "es"}, {"FR", "fr"}, {"de", "de"}} {
		if l, ok := Language(tt.locale); !ok || l != tt.lang {
			t.Errorf("Language(%q) = %q, %v", tt.locale, l, ok)
		}
	}
	if Supported("xx") || !Supported("en-GB") {
		t.Error("Supported wrong")
	}
}

// TestMessagesFitOnePart: every language's message, with a long brand,
// a 10-digit code, an app hash and a WebOTP line, is one GSM-7 part (the
// SMS Retriever wants at most 140 bytes).
func TestMessagesFitOnePart(t *testing.T) {
	t.Parallel()
	for _, lang := range Locales() {
		m := Message{Language: lang, Brand: "Acme Outdoor Supply", Code: "0123456789", Validity: 10 * time.Minute,
			AppHash: "FA+9qCX9VSu", Domain: "checkout.acme-outdoor.example"}
		text := Render(m)
		info := gsm.Analyze(text, gsm.Options{Languages: Shift(lang)})
		if info.Encoding != gsm.GSM7 || info.Segments != 1 {
			t.Errorf("%s: %d parts in %v: %q", lang, info.Segments, info.Encoding, text)
		}
	}
}
