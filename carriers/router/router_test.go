package router

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ternsms/tern/carriers"
)

func TestLookup(t *testing.T) {
	t.Parallel()
	cfg := Config{
		Carriers: []CarrierConfig{
			carrier("a", "0.01", "USD"), carrier("b", "0.005", "USD"), carrier("c", "0.001", "USD"),
			carrier("d"), carrier("uk"), carrier("gb"), carrier("antigua"), carrier("world"),
		},
		Routes: []Route{
			route("+447=uk,world"),
			route("GB=gb"),
			route("US=a:1,b:1,c:2,d:1"),
			route("+1268=antigua"),
			route("FR=a,b"), // positions: a before the cheaper b
			route("DE=c:1@0.02,b:1"),
			route("*=world"),
		},
	}
	r, err := New(cfg, fakes{}.dial)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, to, match string
		want            []string
	}{
		{"longest prefix wins over country", "+447911123456", "+447", []string{"uk", "world"}},
		{"country when no prefix matches", "+442071838750", "GB", []string{"gb"}},
		{"priority, then cost, unknown cost last", "+14155550100", "US", []string{"b", "a", "d", "c"}},
		{"prefix wins over the country default", "+12684601234", "+1268", []string{"antigua"}},
		{"list order is the default priority", "+33612345678", "FR", []string{"a", "b"}},
		{"route cost overrides the carrier's", "+4915112345678", "DE", []string{"b", "c"}},
		{"another country takes the default", "+16135550123", "*", []string{"world"}},
		{"without the plus", "447911123456", "+447", []string{"uk", "world"}},
		{"unparsable number takes the default", "+999", "*", []string{"world"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rt, err := r.Lookup(tt.to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, rc := range rt.Carriers {
				got = append(got, rc.Name)
			}
			if rt.Match != tt.match || strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("Lookup(%s) = %s %v, want %s %v", tt.to, rt.Match, got, tt.match, tt.want)
			}
			c, err := r.Pick(tt.to)
			if err != nil || c.Name() != tt.want[0] {
				t.Errorf("Pick(%s) = %v, %v, want %s", tt.to, c, err, tt.want[0])
			}
		})
	}
	if got := r.Cost("c", "+4915112345678"); got.String() != "0.02 USD" {
		t.Errorf("Cost on a route that overrides it = %v", got)
	}
	if got := r.Cost("c", "+14155550100"); got.String() != "0.001 USD" {
		t.Errorf("Cost on a route that does not = %v", got)
	}
	if got := r.Cost("a", "+4479"); got.String() != "0.01 USD" {
		t.Errorf("Cost of a carrier outside the route = %v", got)
	}
	if got := r.Cost("nobody", "+1"); got.Known() {
		t.Errorf("Cost of an unknown carrier = %v", got)
	}
}

func TestSingleCarrierServesEverything(t *testing.T) {
	t.Parallel()
	r, err := New(Config{Carriers: []CarrierConfig{carrier("only")}}, fakes{}.dial)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{"+14155550100", "+447911123456", "+999", "12"} {
		if c, err := r.Pick(to); err != nil || c.Name() != "only" {
			t.Errorf("Pick(%s) = %v, %v", to, c, err)
		}
	}
}

func TestNoRoute(t *testing.T) {
	t.Parallel()
	r, err := New(Config{Carriers: []CarrierConfig{carrier("a")}, Routes: []Route{route("US=a")}}, fakes{}.dial)
	if err != nil {
		t.Fatal(err)
	}
	_, err = r.Pick("+33612345678")
	if !errors.Is(err, ErrNoRoute) || carriers.IsRetriable(err) {
		t.Fatalf("Pick without a route: %v, want ErrNoRoute, not retriable", err)
	}
	if !strings.Contains(err.Error(), "FR") || strings.Contains(err.Error(), "612345678") {
		t.Errorf("error %q should name the region, not the number", err)
	}
	if _, err := r.Lookup("+33612345678"); !errors.Is(err, ErrNoRoute) {
		t.Errorf("Lookup: %v", err)
	}
}

func TestNewChecks(t *testing.T) {
	t.Parallel()
	if _, err := New(Config{}, fakes{}.dial); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("empty config: %v", err)
	}
	cfg := Config{Carriers: []CarrierConfig{carrier("a")}}
	wrongName := func(CarrierConfig) (carriers.Carrier, error) { return &fakeCarrier{name: "b"}, nil }
	if _, err := New(cfg, wrongName); err == nil || !strings.Contains(err.Error(), `named "b"`) {
		t.Errorf("dial returning another name: %v", err)
	}
	failing := func(CarrierConfig) (carriers.Carrier, error) { return nil, fmt.Errorf("no such host") }
	if _, err := New(cfg, failing); err == nil || !strings.Contains(err.Error(), "carrier a: no such host") {
		t.Errorf("dial error: %v", err)
	}
}

func TestCarriersAndPolicies(t *testing.T) {
	t.Parallel()
	b := carrier("b")
	b.InDoubt = InDoubtFail
	fs := fakes{}
	r, err := New(Config{Carriers: []CarrierConfig{carrier("a"), b}, Routes: []Route{route("*=a,b")}}, fs.dial)
	if err != nil {
		t.Fatal(err)
	}
	raw := r.Carriers()
	if len(raw) != 2 || raw[0] != carriers.Carrier(fs["a"]) || raw[1] != carriers.Carrier(fs["b"]) {
		t.Errorf("Carriers() = %v, want the dialed carriers in config order", raw)
	}
	for name, want := range map[string]string{"a": InDoubtResubmit, "b": InDoubtFail, "c": ""} {
		if got := r.InDoubtPolicy(name); got != want {
			t.Errorf("InDoubtPolicy(%s) = %q, want %q", name, got, want)
		}
	}
	picked, _ := r.Pick("+1")
	if u, ok := picked.(interface{ Unwrap() carriers.Carrier }); !ok || u.Unwrap() != carriers.Carrier(fs["a"]) {
		t.Errorf("picked carrier does not unwrap to the raw one")
	}
}

func BenchmarkPick(b *testing.B) {
	cfg := Config{
		Carriers: []CarrierConfig{carrier("a"), carrier("b")},
		Routes:   []Route{route("+4479=a"), route("US=b,a"), route("*=b")},
	}
	r, err := New(cfg, fakes{}.dial)
	if err != nil {
		b.Fatal(err)
	}
	for _, to := range []string{"+447911123456", "+14155550100", "+4915112345678"} {
		b.Run(to, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Pick(to); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
