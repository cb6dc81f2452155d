package consent

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/hygiene"
)

func TestDecide(t *testing.T) {
	t.Parallel()
	var (
		none       = State{}
		optedIn    = State{Marketing: true}
		stopAll    = State{OptedOut: true, OptOutScope: ScopeAll, Marketing: true}
		stopMkt    = State{OptedOut: true, OptOutScope: ScopeMarketing, Marketing: true}
		erased     = Erasure()
		suppressed = State{Marketing: true, Hygiene: Hygiene(hygiene.ClassUnknownSubscriber)}
	)
	tests := []struct {
		name  string
		cat   core.Category
		state State
		want  error
	}{
		{"transactional to unknown number", core.CategoryTransactional, none, nil},
		{"unspecified is transactional", core.CategoryUnspecified, none, nil},
		{"otp to unknown number", core.CategoryOTP, none, nil},
		{"marketing without consent", core.CategoryMarketing, none, ErrNoMarketingConsent},
		{"marketing with consent", core.CategoryMarketing, optedIn, nil},
		{"stop all refuses transactional", core.CategoryTransactional, stopAll, ErrOptedOut},
		{"stop all refuses otp", core.CategoryOTP, stopAll, ErrOptedOut},
		{"stop all refuses marketing as opted out", core.CategoryMarketing, stopAll, ErrOptedOut},
		{"stop marketing lets transactional go", core.CategoryTransactional, stopMkt, nil},
		{"stop marketing lets otp go", core.CategoryOTP, stopMkt, nil},
		{"stop marketing refuses marketing", core.CategoryMarketing, stopMkt, ErrOptedOut},
		{"erased refuses all", core.CategoryOTP, erased, ErrOptedOut},
		{"hygiene suppresses marketing", core.CategoryMarketing, suppressed, ErrSuppressed},
		{"hygiene lets transactional go", core.CategoryTransactional, suppressed, nil},
		{"hygiene lets otp go", core.CategoryOTP, suppressed, nil},
		{"opt-out wins over hygiene", core.CategoryMarketing, State{OptedOut: true, OptOutScope: ScopeAll, Hygiene: 3}, ErrOptedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := Decide(tt.cat, tt.state)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Fatalf("Decide = %v, want %v", err, tt.want)
			}
		})
	}
	if got := Decide(core.CategoryMarketing, none).Error(); got != "to: no marketing consent" {
		t.Fatalf("text %q", got)
	}
	if got := Decide(core.CategoryOTP, stopAll).Error(); got != "to: recipient opted out" {
		t.Fatalf("text %q", got)
	}
	if got := Decide(core.CategoryMarketing, suppressed).Error(); got != "to: suppressed (hygiene: unknown subscriber)" {
		t.Fatalf("text %q", got)
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	type step struct {
		e  Event
		sc Scope
	}
	tests := []struct {
		name  string
		steps []step
		want  State
	}{
		{"marketing opt-in", []step{{OptIn, ScopeMarketing}}, State{Marketing: true}},
		{"stop suspends marketing", []step{{OptIn, ScopeMarketing}, {OptOut, ScopeAll}},
			State{OptedOut: true, OptOutScope: ScopeAll, Marketing: true}},
		{"start restores what stop stopped", []step{{OptIn, ScopeMarketing}, {OptOut, ScopeAll}, {OptIn, ScopeAll}},
			State{Marketing: true}},
		{"marketing stop keeps an all stop", []step{{OptOut, ScopeAll}, {OptOut, ScopeMarketing}},
			State{OptedOut: true, OptOutScope: ScopeAll}},
		{"marketing stop", []step{{OptOut, ScopeMarketing}}, State{OptedOut: true, OptOutScope: ScopeMarketing}},
		{"opt-in after erase", []step{{OptIn, ScopeMarketing}}, State{Marketing: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var s State
			if strings.Contains(tt.name, "erase") {
				s = Erasure()
			}
			for _, st := range tt.steps {
				s = s.Apply(st.e, st.sc)
			}
			if s != tt.want {
				t.Fatalf("state %+v, want %+v", s, tt.want)
			}
			if FromBits(s.Bits()) != s {
				t.Fatalf("bits round trip %+v -> %08b -> %+v", s, s.Bits(), FromBits(s.Bits()))
			}
		})
	}
}

func TestPolicy(t *testing.T) {
	t.Parallel()
	p := Policy{}.WithDefaults("Acme")
	if p.StopScope != ScopeAll || time.Duration(p.DoubleOptInTTL) != 24*time.Hour {
		t.Fatalf("defaults %+v", p)
	}
	for _, txt := range []string{p.HelpText, p.StartText, p.DoubleOptInText, p.ConfirmedText} {
		got := p.Text(txt)
		for _, want := range []string{"Acme", "STOP", "Msg&data rates may apply"} {
			if !strings.Contains(got, want) {
				t.Errorf("text %q lacks %q", got, want)
			}
		}
	}
	if got := p.Text(p.StopText); !strings.HasPrefix(got, "Acme: ") || !strings.Contains(got, "no more messages") {
		t.Errorf("stop text %q", got)
	}
	if got := (Policy{Contact: "acme.example/help"}).WithDefaults("Acme"); !strings.Contains(got.Text(got.HelpText), "acme.example/help") {
		t.Errorf("help text %q", got.Text(got.HelpText))
	}
	good, err := ParsePolicy([]byte(`{"stop_scope":"marketing","double_opt_in_ttl":"2h","frequency_cap":{"max":3,"window":"24h"},"keywords":{"opt_out":["basta ya"]}}`))
	if err != nil || good.StopScope != ScopeMarketing || good.FrequencyCap.Max != 3 || good.Keywords.OptOut[0] != "basta ya" {
		t.Fatalf("ParsePolicy = %+v, %v", good, err)
	}
	bad := []struct{ json, field string }{
		{`{"stop_scope":"some"}`, "scope"},
		{`{"double_opt_in_ttl":"1s"}`, "double_opt_in_ttl"},
		{`{"double_opt_in_ttl":"9000h"}`, "double_opt_in_ttl"},
		{`{"frequency_cap":{"max":3}}`, "frequency_cap"},
		{`{"frequency_cap":{"max":3,"window":"200h"}}`, "frequency_cap"},
		{`{"keywords":{"opt_in":["stop"]}}`, "keywords"},
		{`{"help_text":"` + strings.Repeat("x", 400) + `"}`, "help_text"},
		{`{"unknown":1}`, "unknown"},
	}
	for _, b := range bad {
		if _, err := ParsePolicy([]byte(b.json)); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), b.field) {
			t.Errorf("ParsePolicy(%s) = %v, want an error naming %s", b.json, err, b.field)
		}
	}
}
