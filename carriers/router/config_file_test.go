package router

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestLoadConfigExample(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("testdata/routes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Carriers) != 3 || len(cfg.Routes) != 4 {
		t.Fatalf("%d carriers and %d routes, want 3 and 4", len(cfg.Carriers), len(cfg.Routes))
	}
	eu, us, global := cfg.Carriers[0], cfg.Carriers[1], cfg.Carriers[2]
	if eu.Name != "eu-mobile" || eu.SMPP.Binds != 2 || eu.SMPP.Window != 200 || eu.SMPP.TPS != 300 || eu.Cost.String() != "0.031 USD" {
		t.Errorf("spec carrier: %+v", eu)
	}
	if us.Name != "us-direct" || us.SMPP.Addr != "smsc.us.example.com:2775" || us.SMPP.Password != "pa@ss" ||
		us.SMPP.Binds != 4 || us.InDoubt != InDoubtFail || us.Cost.String() != "0.0042 USD" {
		t.Errorf("url carrier: %+v", us)
	}
	if global.SMPP.Addr != "smpp.global.example.org:2776" || global.SMPP.SystemID != "tern" || global.SMPP.RequestTimeout != 10*time.Second ||
		global.SMPP.InboundPending != 1024 || global.SMPP.Mode != smpp.BindTransceivers || global.InDoubt != InDoubtResubmit {
		t.Errorf("field carrier: %+v", global)
	}
	us1 := cfg.Routes[1]
	if us1.Match != "US" || len(us1.Carriers) != 3 || us1.Carriers[1].Cost == nil || us1.Carriers[1].Cost.PerSegment != 4500 || us1.Carriers[1].Priority != 1 {
		t.Errorf("US route: %+v", us1)
	}
	if cfg.Breaker != (BreakerConfig{Failures: 5, OpenTimeout: 10 * time.Second, Probes: 1}) {
		t.Errorf("breaker: %+v", cfg.Breaker)
	}
}

// TestConfigEmbeds checks that a larger file can hold a Config under a
// key of its own.
func TestConfigEmbeds(t *testing.T) {
	t.Parallel()
	var outer struct {
		Routing Config `yaml:"routing"`
		Other   string `yaml:"other"`
	}
	doc := "other: x\nrouting:\n  carriers: ['smpp://h:1']\n  breaker: {failures: 3}\n"
	if err := yaml.Unmarshal([]byte(doc), &outer); err != nil {
		t.Fatal(err)
	}
	if len(outer.Routing.Carriers) != 1 || outer.Routing.Breaker.Failures != 3 || outer.Routing.Validate() != nil {
		t.Errorf("embedded config: %+v", outer.Routing)
	}
}

func TestParseConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, doc, want string
	}{
		{"unknown top-level key", "carriers: ['smpp://h:1']\nroutez: []\n", `line 2: config: unknown field "routez"`},
		{"unknown carrier field", "carriers:\n  - name: a\n    addr: h:1\n    windw: 3\n", `carriers[0] (line 2): line 4: unknown field "windw"`},
		{"bad carrier value", "carriers:\n  - name: a\n    addr: h:1\n    window: many\n", `line 4: window "many"`},
		{"url and addr", "carriers:\n  - url: smpp://h:1\n    addr: h:2\n", "addr and url both"},
		{"names differ", "carriers:\n  - url: a=smpp://h:1\n    name: b\n", `name "b" differs from the url's "a"`},
		{"bad spec hides password", "carriers: ['smpp://u:secret@h:1?x=1']\n", "unknown parameters x"},
		{"field list, not a value", "carriers:\n  - name: [a]\n", "name: want a single value"},
		{"route needs a match", "carriers: ['smpp://h:1']\nroutes:\n  - carriers: [h]\n", "routes[0] (line 3): match: required"},
		{"unknown route field", "carriers: ['smpp://h:1']\nroutes:\n  - match: US\n    carrier: [h]\n", `match "US": line 4: route: unknown field "carrier"`},
		{"route names an unknown carrier", "carriers: ['smpp://h:1']\nroutes:\n  - match: US\n    carriers: [g]\n", `route "US": unknown carrier "g"`},
		{"route carrier priority", "carriers: ['smpp://h:1']\nroutes:\n  - match: US\n    carriers: [{name: h, priority: zero}]\n", `priority "zero"`},
		{"currency without cost", "carriers: ['smpp://h:1']\nroutes:\n  - match: US\n    carriers: [{name: h, currency: USD}]\n", "currency without cost"},
		{"breaker duration", "carriers: ['smpp://h:1']\nbreaker: {open_timeout: 10}\n", `open_timeout "10"`},
		{"repeated key", "carriers: ['smpp://h:1']\nbreaker: {probes: 1, probes: 2}\n", "probes"},
		{"not yaml", "carriers: [", "yaml"},
		{"two carriers, no routes", "carriers: ['smpp://a:1', 'smpp://b:1']\n", "2 carriers and no routes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tt.doc))
			if err == nil {
				t.Fatal("ParseConfig succeeded")
			}
			if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q, want ErrInvalidConfig mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q repeats a password", err)
			}
		})
	}
}

func TestLoadConfigNamesFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "routes.yaml")
	if err := os.WriteFile(path, []byte("carriers: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "no carriers") {
		t.Errorf("LoadConfig error %v, want it to name the file and the problem", err)
	}
	if _, err := LoadConfig(path + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
