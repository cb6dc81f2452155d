package router

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseRoute(t *testing.T) {
	t.Parallel()
	cost := func(s string) *Cost {
		a, err := parseCost(s)
		if err != nil {
			t.Fatal(err)
		}
		return &Cost{PerSegment: a}
	}
	tests := []struct {
		name string
		spec string
		want Route
	}{
		{"failover order", "US=primary,backup", Route{Match: "US", Carriers: []RouteCarrier{{Name: "primary"}, {Name: "backup"}}}},
		{"country upper-cased", " gb = a ", Route{Match: "GB", Carriers: []RouteCarrier{{Name: "a"}}}},
		{"prefix", "+4479=uk", Route{Match: "+4479", Carriers: []RouteCarrier{{Name: "uk"}}}},
		{"default", "*=a,b", Route{Match: "*", Carriers: []RouteCarrier{{Name: "a"}, {Name: "b"}}}},
		{"priority and cost", "DE=a:1@0.031,b:1@0.02,c:2",
			Route{Match: "DE", Carriers: []RouteCarrier{{Name: "a", Priority: 1, Cost: cost("0.031")}, {Name: "b", Priority: 1, Cost: cost("0.02")}, {Name: "c", Priority: 2}}}},
		{"cost before priority", "DE=a@0.5:3", Route{Match: "DE", Carriers: []RouteCarrier{{Name: "a", Priority: 3, Cost: cost("0.5")}}}},
		{"empty items skipped", "FR=a,,b,", Route{Match: "FR", Carriers: []RouteCarrier{{Name: "a"}, {Name: "b"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseRoute(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseRoute(%q) = %+v, want %+v", tt.spec, got, tt.want)
			}
		})
	}
}

func TestParseRouteErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, spec, want string
	}{
		{"no equals", "US", "want MATCH=CARRIER"},
		{"no carriers", "US=", "no carriers"},
		{"unknown country", "UK=a", `country "UK"`},
		{"prefix with letters", "+44a=a", `prefix "+44a"`},
		{"prefix from 0", "+044=a", `prefix "+044"`},
		{"prefix too long", "+1234567890123456=a", "prefix"},
		{"prefix without plus", "4479=a", `match "4479"`},
		{"bad priority", "US=a:first", `priority "first"`},
		{"zero priority", "US=a:0", `priority "0"`},
		{"bad cost", "US=a@cheap", "cost"},
		{"priority twice", "US=a:1:2", `":" given twice`},
		{"nameless carrier", "US=:1", "without a name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseRoute(tt.spec)
			if err == nil {
				t.Fatalf("ParseRoute(%q) succeeded", tt.spec)
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
		})
	}
}
