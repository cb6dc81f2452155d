package sender

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want Kind
	}{
		{"ACME", KindAlphanumeric},
		{"Acme Shop", KindAlphanumeric},
		{"Shop24", KindAlphanumeric},
		{"TwelveChars1", KindUnknown},
		{"+ACME", KindUnknown},
		{"12345", KindShortCode},
		{"123", KindShortCode},
		{"12", KindUnknown},
		{"+14155552671", KindLongCode},
		{"14155552671", KindLongCode},
		{"+18005550199", KindTollFree},
		{"+18885550199", KindTollFree},
		{"+447700900123", KindLongCode},
		{"1234567890123456", KindUnknown},
		{"", KindUnknown},
		{"ab/c", KindUnknown},
		{"415-555", KindUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tt.in); got != tt.want {
				t.Fatalf("Classify(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"+14155552671": "14155552671", " acme ": "ACME", "12345": "12345"} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	custom := DefaultRules().
		With(map[string]Rule{"GB": {Alphanumeric: AlphaForbidden, Numbers: Of(KindLongCode)}, "us": {Alphanumeric: AlphaAllowed}}).
		Register("Acme", "IN")
	tests := []struct {
		name, from, region string
		rules              Rules
		want               error
		text               string
	}{
		{"US alphanumeric refused, rule named", "ACME", "US", DefaultRules(), ErrNotAllowed,
			"from: alphanumeric sender ids are not allowed for US (numbers only)"},
		{"CA alphanumeric refused", "Shop", "CA", DefaultRules(), ErrNotAllowed, ""},
		{"US long code", "+14155550100", "US", DefaultRules(), nil, ""},
		{"US toll-free", "+18005550199", "US", DefaultRules(), nil, ""},
		{"US short code", "12345", "US", DefaultRules(), nil, ""},
		{"BR toll-free refused", "+18005550199", "BR", DefaultRules(), ErrNotAllowed,
			"from: toll-free sender ids are not allowed for BR (long code, short code only)"},
		{"MX alphanumeric names the kinds", "ACME", "MX", DefaultRules(), ErrNotAllowed,
			"from: alphanumeric sender ids are not allowed for MX (numbers only: long code, short code)"},
		{"GB alphanumeric by default", "ACME", "GB", DefaultRules(), nil, ""},
		{"IN unregistered", "ACME", "IN", DefaultRules(), ErrNotRegistered,
			"from: alphanumeric sender ids must be registered for IN (registration required); this one is not"},
		{"IN registered, any case", "ACME", "IN", custom, nil, ""},
		{"registered for IN only", "ACME", "AE", custom, ErrNotRegistered, ""},
		{"tenant override forbids GB alpha", "ACME", "GB", custom, ErrNotAllowed, ""},
		{"tenant override allows US alpha", "ACME", "US", custom, nil, ""},
		{"override keeps built-in for others", "ACME", "CA", custom, ErrNotAllowed, ""},
		{"empty from passes", "", "US", DefaultRules(), nil, ""},
		{"unknown region passes", "ACME", "", DefaultRules(), nil, ""},
		{"malformed", "a/b", "GB", DefaultRules(), ErrMalformed, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Check(tt.from, tt.region, tt.rules)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Check(%q, %s) = %v, want %v", tt.from, tt.region, err, tt.want)
			}
			if tt.text != "" && err.Error() != tt.text {
				t.Fatalf("text %q, want %q", err, tt.text)
			}
		})
	}
}

func TestRuleJSON(t *testing.T) {
	t.Parallel()
	in := map[string]Rule{"US": {Alphanumeric: AlphaForbidden, Numbers: Of(KindLongCode, KindShortCode)}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"US":{"alphanumeric":"not_allowed","numbers":"long_code,short_code"}}` {
		t.Fatalf("json %s", b)
	}
	var out map[string]Rule
	if err := json.Unmarshal(b, &out); err != nil || out["US"] != in["US"] {
		t.Fatalf("round trip %v %v", out, err)
	}
	if err := json.Unmarshal([]byte(`{"US":{"alphanumeric":"maybe"}}`), &out); err == nil {
		t.Fatal("bad alphanumeric accepted")
	}
	if err := json.Unmarshal([]byte(`{"US":{"numbers":"alphanumeric"}}`), &out); err == nil {
		t.Fatal("alphanumeric accepted as a number kind")
	}
}
