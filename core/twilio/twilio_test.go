package twilio

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/twilio/twilio-go/client"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/msgid"
)

func TestSIDs(t *testing.T) {
	t.Parallel()
	s := NewSID(PrefixAccount)
	if !ValidSID(PrefixAccount, s) || ValidSID(PrefixMessage, s) || ValidSID(PrefixAccount, strings.ToUpper(s)) || ValidSID(PrefixAccount, s[:33]) {
		t.Fatalf("ValidSID wrong for %q", s)
	}
	is, err := msgid.NewIssuer([]byte("twilio-test-key-0123"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	a, b := is.New("shop", at), is.New("shop", at.Add(time.Millisecond))
	sa, ok := MessageSID(a)
	sb, _ := MessageSID(b)
	if !ok || !ValidSID(PrefixMessage, sa) || sa >= sb {
		t.Fatalf("MessageSID(%s) = %q, %v; of a later id %q", a, sa, ok, sb)
	}
	if again, _ := MessageSID(a); again != sa {
		t.Fatal("MessageSID not stable")
	}
	if _, ok := MessageSID("not an id"); ok {
		t.Fatal("MessageSID of garbage")
	}
}

func TestStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in     core.Status
		sent   bool
		sendAt time.Time
		want   string
		code   int
	}{
		{core.StatusQueued, false, time.Time{}, StatusQueued, 0},
		{core.StatusQueued, false, now.Add(time.Hour), StatusScheduled, 0},
		{core.StatusQueued, false, now.Add(-time.Hour), StatusQueued, 0},
		{core.StatusSubmitted, true, time.Time{}, StatusSent, 0},
		{core.StatusDelivered, true, time.Time{}, StatusDelivered, 0},
		{core.StatusUndelivered, true, time.Time{}, StatusUndelivered, CodeUnreachable},
		{core.StatusExpired, false, time.Time{}, StatusFailed, CodeValidityExpired},
		{core.StatusExpired, true, time.Time{}, StatusUndelivered, CodeUnreachable},
		{core.StatusRejected, true, time.Time{}, StatusFailed, CodeFiltered},
		{core.StatusFailed, false, time.Time{}, StatusFailed, CodeUnknown},
		{core.StatusUnknown, true, time.Time{}, StatusSent, 0},
		{core.StatusCanceled, false, time.Time{}, StatusCanceled, 0},
	}
	for _, tt := range tests {
		got, code := Status(tt.in, tt.sent, tt.sendAt, now)
		if got != tt.want || code != tt.code {
			t.Errorf("Status(%v, sent %v) = %s, %d; want %s, %d", tt.in, tt.sent, got, code, tt.want, tt.code)
		}
	}
}

func TestFormats(t *testing.T) {
	t.Parallel()
	d := Date(time.Date(2015, 7, 30, 20, 12, 31, 0, time.FixedZone("x", 3600)))
	if d != "Thu, 30 Jul 2015 19:12:31 +0000" {
		t.Fatalf("Date = %q", d)
	}
	if _, err := time.Parse(time.RFC1123Z, d); err != nil {
		t.Fatal(err)
	}
	for micros, want := range map[int64]string{7500: "-0.00750", 0: "0.00000", 1_234_560: "-1.23456", 40_000: "-0.04000"} {
		if got := Price(micros); got != want {
			t.Errorf("Price(%d) = %q, want %q", micros, got, want)
		}
	}
	e := NewError(CodeMaxChecks, "Max check attempts reached")
	if e.Status != 429 || e.MoreInfo != "https://www.twilio.com/docs/errors/60202" || AsError(e) != e || AsError(errors.New("x")) != nil {
		t.Fatalf("NewError = %+v", e)
	}
	if NewError(CodeInvalidTo, "x").Status != 400 || NewError(CodeAuthenticate, "x").Status != 401 {
		t.Fatal("statuses wrong")
	}
}

// TestSignature: the SDK's own validator accepts what Signature writes.
func TestSignature(t *testing.T) {
	t.Parallel()
	const token = "12345"
	u := "https://mycompany.com/myapp.php?foo=1&bar=2"
	params := url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"},
		"From": {"+12349013030"}, "To": {"+18005551212"}}
	sig := Signature(token, u, params)
	v := client.NewRequestValidator(token)
	flat := map[string]string{}
	for k := range params {
		flat[k] = params.Get(k)
	}
	if !v.Validate(u, flat, sig) {
		t.Fatalf("the SDK refuses signature %q", sig)
	}
	if v.Validate(u, flat, Signature("54321", u, params)) {
		t.Fatal("another token's signature accepted")
	}
}

func TestParseTwiML(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []Reply
		err  bool
	}{
		{"empty", "", nil, false},
		{"no messages", `<?xml version="1.0" encoding="UTF-8"?><Response/>`, nil, false},
		{"one", `<Response><Message>Thanks! Your order ships today.</Message></Response>`, []Reply{{Body: "Thanks! Your order ships today."}}, false},
		{"body element and attributes", `<Response><Message to="+14155552671" from="+14155550100"><Body> Hi </Body><Media>https://x/y.png</Media></Message><Redirect>/next</Redirect></Response>`,
			[]Reply{{To: "+14155552671", From: "+14155550100", Body: "Hi"}}, false},
		{"two, one empty", `<Response><Message>a</Message><Message>  </Message><Message>b &amp; c</Message></Response>`, []Reply{{Body: "a"}, {Body: "b & c"}}, false},
		{"not xml", `Thanks!`, nil, true},
		{"other root", `<Reply><Message>a</Message></Reply>`, nil, true},
	}
	for _, tt := range tests {
		got, err := ParseTwiML([]byte(tt.in))
		if (err != nil) != tt.err || (err != nil && !errors.Is(err, ErrTwiML)) || len(got) != len(tt.want) {
			t.Errorf("%s: ParseTwiML = %+v, %v", tt.name, got, err)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: reply %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func FuzzParseTwiML(f *testing.F) {
	f.Add([]byte(`<Response><Message>Thanks</Message></Response>`))
	f.Add([]byte(`<Response><Message to="+1"><Body>x</Body></Message></Response>`))
	f.Add([]byte(`<Response>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		replies, err := ParseTwiML(b)
		if err != nil && !errors.Is(err, ErrTwiML) {
			t.Fatalf("error %v does not wrap ErrTwiML", err)
		}
		for _, r := range replies {
			if r.Body == "" || strings.TrimSpace(r.Body) != r.Body {
				t.Fatalf("reply %+v", r)
			}
		}
	})
}
