package gateway

import (
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
)

func TestRecipientAndSender(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       smpp.Address
		to, from string
	}{
		{"international", smpp.Address{TON: 1, NPI: 1, Addr: "14155552671"}, "+14155552671", "+14155552671"},
		{"international with plus", smpp.Address{TON: 1, Addr: "+14155552671"}, "+14155552671", "+14155552671"},
		{"unknown ton, 00", smpp.Address{Addr: "0014155552671"}, "+14155552671", "0014155552671"},
		{"short code", smpp.Address{TON: 3, Addr: "12345"}, "", "12345"},
		{"alphanumeric", smpp.Address{TON: 5, Addr: "SHOP"}, "", "SHOP"},
		{"national", smpp.Address{TON: 2, Addr: "4155552671"}, "", "4155552671"},
		{"letters", smpp.Address{TON: 1, Addr: "1415x"}, "", "1415x"},
		{"empty", smpp.Address{}, "", ""},
	}
	for _, tt := range tests {
		if got := recipient(tt.in); got != tt.to {
			t.Errorf("%s: recipient %q, want %q", tt.name, got, tt.to)
		}
		if got := sender(tt.in); got != tt.from {
			t.Errorf("%s: sender %q, want %q", tt.name, got, tt.from)
		}
	}
}

func TestParseTime(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"", time.Time{}, true},
		{"260301130000000+", time.Date(2026, 3, 1, 13, 0, 0, 0, time.UTC), true},
		{"260301130000004+", time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), true},
		{"260301130000508-", time.Date(2026, 3, 1, 15, 0, 0, 500_000_000, time.UTC), true},
		{"000001020304000R", now.Add(26*time.Hour + 3*time.Minute + 4*time.Second), true},
		{"010100000000000R", now.Add(395 * 24 * time.Hour), true},
		{"260230130000000+", time.Time{}, false},
		{"261301130000000+", time.Time{}, false},
		{"260301130000049+", time.Time{}, false},
		{"000001020304001R", time.Time{}, false},
		{"26030113000000+", time.Time{}, false},
		{"2603011300000+0+", time.Time{}, false},
		{"260301130000000X", time.Time{}, false},
	}
	for _, tt := range tests {
		got, err := parseTime(tt.in, now)
		if (err == nil) != tt.ok || (tt.ok && !got.Equal(tt.want)) {
			t.Errorf("parseTime(%q) = %v, %v; want %v (ok %v)", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestReadContent(t *testing.T) {
	t.Parallel()
	concat := []byte{5, 0, 3, 7, 2, 1}
	tests := []struct {
		name   string
		dc     uint8
		udhi   bool
		in     []byte
		latin1 bool
		text   string
		rawDC  int // -1: not raw
		status smpp.CommandStatus
	}{
		{"gsm", 0, false, []byte("Hi \x00 \x1b\x65"), false, "Hi @ €", -1, smpp.StatusOK},
		{"gsm escape at end", 0, false, []byte("Hi\x1b"), false, "", -1, smpp.StatusInvalidDataCoding},
		{"latin-1 account", 0, false, []byte("caf\xe9"), true, "café", -1, smpp.StatusOK},
		{"ia5", 1, false, []byte("plain"), false, "plain", -1, smpp.StatusOK},
		{"ia5 high", 1, false, []byte("pl\xe9"), false, "", -1, smpp.StatusInvalidDataCoding},
		{"latin-1", 3, false, []byte("\xc5land"), false, "Åland", -1, smpp.StatusOK},
		{"ucs-2 surrogates", 8, false, []byte{0xd8, 0x3d, 0xde, 0x00}, false, "😀", -1, smpp.StatusOK},
		{"binary", 4, false, []byte{1}, false, "", -1, smpp.StatusInvalidDataCoding},
		{"empty", 0, false, nil, false, "", -1, smpp.StatusInvalidMsgLength},
		{"part", 0, true, append(concat, "part"...), false, "part", 0, smpp.StatusOK},
		{"ucs-2 part", 8, true, append(concat, 0, 'x'), false, "x", 8, smpp.StatusOK},
		{"latin-1 part to gsm", 0, true, append(concat, "caf\xe9"...), true, "café", 0, smpp.StatusOK},
		{"latin-1 part kept latin-1", 0, true, append(concat, "\xfe"...), true, "þ", 3, smpp.StatusOK},
		{"header only", 0, true, concat, false, "", -1, smpp.StatusInvalidMsgLength},
		{"gsm part at 153", 0, true, append(concat, strings.Repeat("a", 153)...), false, strings.Repeat("a", 153), 0, smpp.StatusOK},
		{"gsm part at 154", 0, true, append(concat, strings.Repeat("a", 154)...), false, "", -1, smpp.StatusInvalidMsgLength},
		{"ucs-2 part over 140", 8, true, append(concat, make([]byte, 136)...), false, "", -1, smpp.StatusInvalidMsgLength},
	}
	for _, tt := range tests {
		c, st := readContent(tt.dc, tt.udhi, tt.in, tt.latin1)
		if st != tt.status {
			t.Errorf("%s: %v, want %v", tt.name, st.Name(), tt.status.Name())
			continue
		}
		if st != smpp.StatusOK {
			continue
		}
		rawDC := -1
		if c.raw != nil {
			rawDC = int(c.raw.DataCoding)
		}
		if c.text != tt.text || rawDC != tt.rawDC {
			t.Errorf("%s: %q raw %d, want %q raw %d", tt.name, c.text, rawDC, tt.text, tt.rawDC)
		}
	}
}

// TestReceiptPDU: receipts read back with the codec's own receipt parser,
// as a customer would read them.
func TestReceiptPDU(t *testing.T) {
	t.Parallel()
	sub := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		status core.Status
		code   string
		stat   string
		err    string
	}{
		{core.StatusDelivered, "000", "DELIVRD", "000"},
		{core.StatusUndelivered, "001", "UNDELIV", "001"},
		{core.StatusExpired, "", "EXPIRED", "000"},
		{core.StatusFailed, "0x0000000B", "REJECTD", "011"},
		{core.StatusRejected, "", "REJECTD", "000"},
		{core.StatusUnknown, "junk", "UNKNOWN", "000"},
	}
	for _, tt := range tests {
		r := outboxRow{kind: kindReceipt, receiptID: "01JABCDEFGHJKMNPQRSTVWXYZ0ABCDEFGH", status: tt.status, errorCode: tt.code,
			source: smpp.Address{TON: 1, NPI: 1, Addr: "14155552671"}, dest: smpp.Address{TON: 5, Addr: "SHOP"},
			text: "Ünïcode_and@more than twenty", submitted: sub, done: sub.Add(time.Minute)}
		d := deliverPDU(r, false)
		got, err := smpp.ParseReceipt(d, smpp.IDAsIs, smpp.IDAsIs)
		if err != nil || got.ID != r.receiptID || got.State != tt.stat || got.Status != core.ReceiptStatus(tt.stat) {
			t.Errorf("%v: %+v, %v", tt.status, got, err)
		}
		text, _ := smpp.ParseReceiptText(string(d.ShortMessage))
		if text.Err != tt.err || text.Text != "?n?code?and?more tha" || !text.SubmitDate.Equal(sub) {
			t.Errorf("%v: text %q", tt.status, d.ShortMessage)
		}
		if _, has := d.TLVs.Get(smpp.TagNetworkErrorCode); has != (tt.err != "000") {
			t.Errorf("%v: network_error_code %v", tt.status, has)
		}
	}
}

func TestReplyPDU(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text    string
		latin1  bool
		dc      uint8
		payload bool
	}{
		{"STOP", false, 0, false},
		{"€ [x]", false, 0, false},
		{"Привет", false, 8, false},
		{"café", true, 0, false},
		{"Привет", true, 8, false},
		{strings.Repeat("a", 161), false, 0, true},
	}
	for _, tt := range tests {
		d := moPDU(outboxRow{kind: kindMO, text: tt.text, source: smpp.AddressOf("+14155552671"), dest: smpp.AddressOf("12345")}, tt.latin1)
		_, payload := d.TLVs.Get(smpp.TagMessagePayload)
		if d.DataCoding != tt.dc || payload != tt.payload {
			t.Errorf("%q: dc %d payload %v", tt.text, d.DataCoding, payload)
			continue
		}
		c, st := readContent(d.DataCoding, false, d.Payload(), tt.latin1)
		if st != smpp.StatusOK || c.text != tt.text {
			t.Errorf("%q read back as %q (%v)", tt.text, c.text, st.Name())
		}
	}
}

func TestPassword(t *testing.T) {
	t.Parallel()
	h, err := hashPassword("s3cret", MinPasswordIterations) // the default's cost: TestPasswordUpgrade
	if err != nil {
		t.Fatal(err)
	}
	for pw, want := range map[string]bool{"s3cret": true, "s3cre": false, "": false, "S3cret": false} {
		if ok, err := checkPassword(h, pw); ok != want || err != nil {
			t.Errorf("%q: %v %v", pw, ok, err)
		}
	}
	for _, bad := range []string{"", "md5$x", "pbkdf2-sha256$x$AA$AA", "pbkdf2-sha256$1000$!!$AA"} {
		if _, err := checkPassword(bad, "x"); err == nil {
			t.Errorf("hash %q read", bad)
		}
	}
	if p := NewPassword(); len(p) != MaxPasswordLen || p == NewPassword() {
		t.Errorf("NewPassword %q", p)
	}
}

func TestAccountValidate(t *testing.T) {
	t.Parallel()
	ok := Account{SystemID: "acme", TenantID: "shop"}.WithDefaults()
	with := func(f func(*Account)) Account { a := ok; f(&a); return a }
	tests := []struct {
		name  string
		in    Account
		valid bool
	}{
		{"valid", ok, true},
		{"numbers", with(func(a *Account) { a.Numbers = []string{"14155550100", "12345"} }), true},
		{"no system id", with(func(a *Account) { a.SystemID = "" }), false},
		{"long system id", with(func(a *Account) { a.SystemID = "sixteen-chars-id" }), false},
		{"space", with(func(a *Account) { a.SystemID = "a b" }), false},
		{"no tenant", with(func(a *Account) { a.TenantID = "" }), false},
		{"bind limit", with(func(a *Account) { a.BindLimit = -1 }), false},
		{"throughput", with(func(a *Account) { a.Throughput = -1 }), false},
		{"number", with(func(a *Account) { a.Numbers = []string{"+1 415"} }), false},
	}
	for _, tt := range tests {
		if err := tt.in.Validate(); (err == nil) != tt.valid {
			t.Errorf("%s: %v", tt.name, err)
		}
	}
	if _, err := ParsePrefix("10.1.2.3"); err != nil {
		t.Error(err)
	}
	if p, err := ParsePrefix("10.1.2.3/8"); err != nil || p.String() != "10.0.0.0/8" {
		t.Error(p, err)
	}
	if _, err := ParseCategory("spam"); err == nil {
		t.Error("category spam read")
	}
}
