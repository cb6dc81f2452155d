package main

import (
	"encoding/json"
	"os/exec"
	"testing"
)

// TestOfflineCommands runs the offline commands as a user would.
func TestOfflineCommands(t *testing.T) {
	bin := ternBinary(t)
	tests := []struct {
		name   string
		args   []string
		fails  bool
		checks map[string]any
	}{
		{"estimate gsm", []string{"estimate", "Your order #4582 has shipped"}, false, map[string]any{"encoding": "GSM7", "units": 28.0, "segments": 1.0}},
		{"estimate euro counts two", []string{"estimate", "Price: 10€"}, false, map[string]any{"encoding": "GSM7", "units": 11.0}},
		{"estimate smart", []string{"estimate", "--smart", "It\u2019s here"}, false, map[string]any{"encoding": "GSM7", "replaced": 1.0}},
		{"estimate emoji", []string{"estimate", "Shipped 📦"}, false, map[string]any{"encoding": "UCS2", "units": 10.0}},
		{"keyword stop", []string{"keyword", "STOP"}, false, map[string]any{"intent": "opt_out"}},
		{"keyword reply", []string{"keyword", "Where is my order?"}, false, map[string]any{"intent": "none"}},
		{"keyword spanish", []string{"keyword", "baja"}, false, map[string]any{"intent": "opt_out", "language": "es"}},
		{"phone", []string{"phone", "+442079460958"}, false, map[string]any{"e164": "+442079460958", "valid": true, "region": "GB", "type": "fixed_line"}},
		{"phone national", []string{"phone", "--region", "US", "(415) 555-2671"}, false, map[string]any{"e164": "+14155552671", "valid": true}},
		{"phone invalid", []string{"phone", "+1415555"}, true, map[string]any{"valid": false}},
		{"quiet hours night", []string{"quiet-hours", "--to", "+14155552671", "--at", "2026-11-26T05:00:00Z", "--category", "marketing"}, false,
			map[string]any{"allowed": false, "next_allowed": "2026-11-26T16:00:00Z"}},
		{"quiet hours otp", []string{"quiet-hours", "--to", "+14155552671", "--at", "2026-11-26T05:00:00Z", "--category", "otp"}, false, map[string]any{"allowed": true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := exec.Command(bin, tt.args...).Output()
			if (err != nil) != tt.fails {
				t.Fatalf("exit error %v, want failure %v; output %s", err, tt.fails, out)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("not one JSON object: %q: %v", out, err)
			}
			for k, want := range tt.checks {
				if got[k] != want {
					t.Fatalf("%s = %v, want %v (all: %s)", k, got[k], want, out)
				}
			}
		})
	}
}
