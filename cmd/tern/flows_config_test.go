package main

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestFeatureFlags(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string // an error containing it; "" none
	}{
		{"defaults", nil, ""},
		{"abandoned cart wait", []string{"--flow-abandoned-cart-wait", "30s"}, ""},
		{"negative wait", []string{"--flow-abandoned-cart-wait", "-1s"}, "--flow-abandoned-cart-wait -1s: want 0 or more"},
		{"flow delay", []string{"--flow-delay", "review_request.send_time=5s"}, ""},
		{"flow delay of no flow", []string{"--flow-delay", "birthday.wait=5s"}, `"birthday": no such flow`},
		{"flow delay of a send step", []string{"--flow-delay", "review_request.review=5s"}, `"review": flow review_request has no wait step`},
		{"flow delay without a duration", []string{"--flow-delay", "review_request.wait"}, "want FLOW.STEP=DURATION"},
		{"flow delay of zero", []string{"--flow-delay", "review_request.wait=0s"}, "want a duration above 0"},
		{"allow private", []string{"--webhook-allow-private", "10.1.0.0/16, 192.168.7.0/24"}, ""},
		{"allow private not a CIDR", []string{"--webhook-allow-private", "10.1.0.0"}, `"10.1.0.0": want a CIDR`},
		{"resolver", []string{"--webhook-resolver", "10.0.0.53:53"}, ""},
		{"resolver without port", []string{"--webhook-resolver", "10.0.0.53"}, `--webhook-resolver "10.0.0.53": want HOST:PORT`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := parseServeFlags(tc.args...)
			if err == nil {
				err = c.features.validate()
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("%q: %v", tc.args, err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("%q: %v, want an error containing %q", tc.args, err, tc.want)
			}
		})
	}
}

func TestFeatureFlagValues(t *testing.T) {
	t.Parallel()
	c, err := parseServeFlags("--flow-abandoned-cart-wait", "30s", "--flow-delay", "review_request.wait=2s",
		"--webhook-allow-private", "10.1.2.3/16")
	if err != nil {
		t.Fatal(err)
	}
	f := c.features
	if f.abandonedCartWait != 30*time.Second || len(f.delays) != 1 || f.delays[0] != (flowDelay{"review_request", "wait", 2 * time.Second}) {
		t.Errorf("flows: %+v", f)
	}
	if len(f.allowPrivate) != 1 || f.allowPrivate[0] != netip.MustParsePrefix("10.1.0.0/16") {
		t.Errorf("allowed: %v, want [10.1.0.0/16]", f.allowPrivate)
	}
	if tp := c.kafka.Topics; tp.StoreEvents != "tern.store-events" || tp.FlowRuns != "tern.flow-runs" || tp.Attributions != "tern.attributions" {
		t.Errorf("topics: %+v", tp)
	}
}
