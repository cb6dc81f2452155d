package smscsim_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  smscsim.Config
		ok   bool
	}{
		{"zero", smscsim.Config{}, true},
		{"ratios sum to one", smscsim.Config{DeliveredRatio: 0.7, UndeliveredRatio: 0.1, ExpiredRatio: 0.1, RejectedRatio: 0.1}, true},
		{"ratios over one", smscsim.Config{DeliveredRatio: 0.9, UndeliveredRatio: 0.2}, false},
		{"negative ratio", smscsim.Config{UndeliveredRatio: -0.1}, false},
		{"negative delay", smscsim.Config{ReceiptDelay: -time.Second}, false},
		{"negative max pending", smscsim.Config{MaxPending: -1}, false},
		{"long system id", smscsim.Config{SystemID: "sixteen-chars-xx"}, false},
		{"faults", smscsim.Config{ThrottleRate: 100, ErrorRatio: 0.3, LatencyP99: time.Second, DropEvery: time.Minute, IDFormat: "decimal", ReceiptIDFormat: "hex"}, true},
		{"bad id format", smscsim.Config{IDFormat: "octal"}, false},
		{"error ratio over one", smscsim.Config{ErrorRatio: 1.5}, false},
		{"negative throttle", smscsim.Config{ThrottleRate: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := tt.cfg.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestOutcome(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  smscsim.Config
		want map[string]float64
	}{
		{"default delivers all", smscsim.Config{}, map[string]float64{"DELIVRD": 1}},
		{"mix", smscsim.Config{Seed: 9, DeliveredRatio: 0.6, UndeliveredRatio: 0.2, ExpiredRatio: 0.1, RejectedRatio: 0.1},
			map[string]float64{"DELIVRD": 0.6, "UNDELIV": 0.2, "EXPIRED": 0.1, "REJECTD": 0.1}},
		{"leftover is delivered", smscsim.Config{Seed: 1, UndeliveredRatio: 0.5}, map[string]float64{"DELIVRD": 0.5, "UNDELIV": 0.5}},
		{"all rejected", smscsim.Config{RejectedRatio: 1}, map[string]float64{"REJECTD": 1}},
	}
	const n = 20000
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			counts := map[string]int{}
			for i := range n {
				counts[tt.cfg.Outcome(fmt.Sprintf("+4915%08d", i%97), fmt.Sprintf("text %d", i))]++
			}
			for stat, share := range tt.want {
				if got := float64(counts[stat]) / n; math.Abs(got-share) > 0.02 {
					t.Errorf("%s: share %.3f, want %.3f (%v)", stat, got, share, counts)
				}
				delete(counts, stat)
			}
			if len(counts) > 0 {
				t.Errorf("unexpected outcomes %v", counts)
			}
		})
	}
}

func TestOutcomeIsStable(t *testing.T) {
	t.Parallel()
	cfg := smscsim.Config{Seed: 42, DeliveredRatio: 0.5, UndeliveredRatio: 0.5}
	other := cfg
	other.Seed = 43
	differs := false
	for i := range 100 {
		to, text := fmt.Sprintf("+4477%08d", i), fmt.Sprintf("code %06d", i)
		if cfg.Outcome(to, text) != cfg.Outcome(to[1:], text) {
			t.Fatalf("outcome depends on the '+' of %s", to)
		}
		if cfg.Outcome(to, text) != cfg.Outcome(to, text) {
			t.Fatal("outcome not deterministic")
		}
		differs = differs || cfg.Outcome(to, text) != other.Outcome(to, text)
	}
	if !differs {
		t.Error("seed does not change outcomes")
	}
}
