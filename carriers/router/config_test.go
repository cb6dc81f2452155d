package router

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// carrier returns a valid carrier config named name.
func carrier(name string, cost ...string) CarrierConfig {
	c := CarrierConfig{Name: name, SMPP: smpp.ClientConfig{Addr: name + ".example:2775", SystemID: "tern"}}
	if len(cost) == 2 {
		a, err := parseCost(cost[0])
		if err != nil {
			panic(err)
		}
		c.Cost = Cost{PerSegment: a, Currency: cost[1]}
	}
	return c
}

func route(spec string) Route {
	r, err := ParseRoute(spec)
	if err != nil {
		panic(err)
	}
	return r
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want []string // each in the error; none: valid
	}{
		{"one carrier, no routes", Config{Carriers: []CarrierConfig{carrier("a")}}, nil},
		{"routes", Config{Carriers: []CarrierConfig{carrier("a"), carrier("b")},
			Routes: []Route{route("US=a,b"), route("*=b")}}, nil},
		{"no carriers", Config{}, []string{"no carriers"}},
		{"several carriers, no routes", Config{Carriers: []CarrierConfig{carrier("a"), carrier("b")}},
			[]string{"2 carriers and no routes"}},
		{"duplicate carrier", Config{Carriers: []CarrierConfig{carrier("a"), carrier("a")}},
			[]string{`carrier "a": duplicate name`}},
		{"unnamed carrier", Config{Carriers: []CarrierConfig{{SMPP: smpp.ClientConfig{Addr: "h:1"}}}},
			[]string{"carriers[0]: name: required"}},
		{"bad smpp config names its carrier", Config{Carriers: []CarrierConfig{{Name: "x", SMPP: smpp.ClientConfig{Addr: "nohost", Window: 20000}}}},
			[]string{`carrier "x": `, `addr "nohost"`, "window: 20000"}},
		{"unknown carrier in a route", Config{Carriers: []CarrierConfig{carrier("primary")},
			Routes: []Route{route("US=primary,bakup")}}, []string{`route "US": unknown carrier "bakup"`}},
		{"carrier twice in a route", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{route("US=a,a")}}, []string{`route "US": carrier "a" listed twice`}},
		{"duplicate route after normalizing", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{route("US=a"), {Match: "us", Carriers: []RouteCarrier{{Name: "a"}}}}},
			[]string{`route "us": duplicate of routes[0]`}},
		{"bad prefix", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{{Match: "+44 79", Carriers: []RouteCarrier{{Name: "a"}}}}}, []string{`routes[0]: prefix "+44 79"`}},
		{"route without carriers", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{{Match: "*"}}}, []string{`route "*": no carriers`}},
		{"negative priority", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{{Match: "*", Carriers: []RouteCarrier{{Name: "a", Priority: -1}}}}}, []string{"priority -1"}},
		{"route cost without any currency", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{route("*=a@0.01")}}, []string{`carrier "a": cost 0.01: no currency, and the carrier has none`}},
		{"mixed currencies in a route", Config{Carriers: []CarrierConfig{carrier("a", "0.01", "USD"), carrier("b", "0.01", "EUR")},
			Routes: []Route{route("*=a,b")}}, []string{`carrier "b" costs EUR, others USD`}},
		{"breaker", Config{Carriers: []CarrierConfig{carrier("a")}, Breaker: BreakerConfig{Failures: -1, OpenTimeout: -time.Second, Probes: 5000}},
			[]string{"breaker failures: -1", "breaker open_timeout: -1s", "breaker probes: 5000"}},
		{"country route under a prefix route", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{route("+1=a"), route("CA=a"), route("+4479=a"), route("GB=a")}},
			[]string{`route "CA": never used: prefix route "+1" takes every +1 number`}},
		{"longer prefixes leave the country", Config{Carriers: []CarrierConfig{carrier("a")},
			Routes: []Route{route("+1268=a"), route("US=a"), route("+447=a"), route("GB=a")}}, nil},
		{"every problem at once", Config{Carriers: []CarrierConfig{carrier("a"), carrier("a")},
			Routes: []Route{route("US=b"), route("*=a")}}, []string{"duplicate name", `unknown carrier "b"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("Validate succeeded")
			}
			if !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("error %v does not wrap ErrInvalidConfig", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to mention %q", err, w)
				}
			}
		})
	}
}

func TestFromSpecs(t *testing.T) {
	t.Parallel()
	cfg, err := FromSpecs(
		[]string{"primary=smpp://tern:pw@a.example:2775?tps=100", "backup=smpp://tern:pw@b.example:2775"},
		[]string{"US=primary,backup", "*=backup"})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Carriers) != 2 || len(cfg.Routes) != 2 || cfg.Carriers[0].SMPP.TPS != 100 {
		t.Errorf("FromSpecs = %+v", cfg)
	}
	if _, err := FromSpecs([]string{"a=smpp://h:1", "b=smpp://h:2"}, nil); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("two carriers and no routes: %v", err)
	}
	if _, err := FromSpecs([]string{"a=smpp://h:1"}, []string{"US=a", "UK=a"}); err == nil || !strings.Contains(err.Error(), `"UK"`) {
		t.Errorf("bad route spec: %v", err)
	}
}
