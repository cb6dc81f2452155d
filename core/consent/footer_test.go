package consent

import (
	"errors"
	"strings"
	"testing"
)

func TestWithFooter(t *testing.T) {
	t.Parallel()
	p := Policy{OptOutFooter: "{brand}: Reply STOP to opt out"}.WithDefaults("Acme")
	tests := []struct {
		name string
		p    Policy
		in   string
		want string
	}{
		{"added", p, "Sale today", "Sale today\nAcme: Reply STOP to opt out"},
		{"text names stop already", p, "Sale today. Txt stop to end", "Sale today. Txt stop to end"},
		{"no footer set", Policy{}.WithDefaults("Acme"), "Sale today", "Sale today"},
		{"empty text", p, "", "Acme: Reply STOP to opt out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.p.WithFooter(tt.in); got != tt.want {
				t.Fatalf("WithFooter = %q, want %q", got, tt.want)
			}
		})
	}
	long := `{"opt_out_footer":"` + strings.Repeat("x", MaxTextRunes+1) + `"}`
	if _, err := ParsePolicy([]byte(long)); !errors.Is(err, ErrPolicy) || !strings.Contains(err.Error(), "opt_out_footer") {
		t.Fatalf("ParsePolicy(long footer) = %v", err)
	}
	got, err := ParsePolicy([]byte(`{"opt_out_footer":"Reply STOP to opt out"}`))
	if err != nil || got.OptOutFooter != "Reply STOP to opt out" {
		t.Fatalf("ParsePolicy = %+v, %v", got, err)
	}
}
