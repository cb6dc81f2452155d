package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/quiet"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/tenants"
)

// fileConfig is the optional YAML file given with --config. Flags cover
// everything else.
//
//	tenants:
//	  - id: shop-1
//	    api_key_sha256: ["<output of tern keygen>"]
//	    shift_tables: "tr"
//	    senders:
//	      - {id: "+14155550100", default: true}
//	      - {id: "ACME", countries: [IN]}
//	admin_key_sha256: ["<output of tern keygen>"]
//	id_key_file: /etc/tern/id-key
//
// Tenants, their keys and senders bootstrap the tenant store in
// PostgreSQL at start (pipeline/tenants.Store.Bootstrap): what the API
// changed since stays.
type fileConfig struct {
	Tenants []tenantConfig `yaml:"tenants"`
	// AdminKeySHA256 are operator keys: AdminService for every tenant.
	AdminKeySHA256 []string `yaml:"admin_key_sha256"`
	// QuietHours overrides the built-in marketing window (08:00-21:00
	// local) for everyone.
	QuietHours quietConfig `yaml:"quiet_hours"`
	// IDKeyFile holds the hex key message ids are tagged with; every
	// instance serving the same tenants must use the same key.
	IDKeyFile string `yaml:"id_key_file"`
}

type tenantConfig struct {
	ID           string   `yaml:"id"`
	APIKeySHA256 []string `yaml:"api_key_sha256"`
	// ShiftTables are the national language tables the tenant's messages
	// may use when a request names none, e.g. "tr,es"; overrides
	// --shift-tables.
	ShiftTables *string `yaml:"shift_tables"`
	// Rate caps the tenant's messages per second; SenderRate each of its
	// sender ids. 0 is unlimited.
	Rate       float64 `yaml:"rate"`
	SenderRate float64 `yaml:"sender_rate"`
	// QuietHours overrides the marketing window for this tenant.
	QuietHours quietConfig `yaml:"quiet_hours"`
	// Name is the brand consent texts start with; default the id.
	Name string `yaml:"name"`
	// Senders are the tenant's sender ids, added where it lacks them; the
	// default one goes on messages naming none, and receives replies.
	Senders []senderConfig `yaml:"senders"`
}

// senderConfig is one sender id of a tenant: a number, short code or
// alphanumeric id, the countries it is registered for where a country
// requires registration, and whether it is the default.
type senderConfig struct {
	ID        string   `yaml:"id"`
	Countries []string `yaml:"countries"`
	Default   bool     `yaml:"default"`
}

// quietConfig is a marketing sending window: `default: "08:00-21:00"`,
// per-country windows and the zone deciding per country when a number's
// zones disagree.
type quietConfig struct {
	Default   string            `yaml:"default"`
	Countries map[string]string `yaml:"countries"`
	Zones     map[string]string `yaml:"zones"`
}

func (q quietConfig) parse() (quiet.Config, error) {
	var c quiet.Config
	var err error
	if q.Default != "" {
		if c.Default, err = quiet.ParseWindow(q.Default); err != nil {
			return c, fmt.Errorf("quiet_hours.default: %w", err)
		}
	}
	for country, w := range q.Countries {
		win, err := quiet.ParseWindow(w)
		if err != nil {
			return c, fmt.Errorf("quiet_hours.countries.%s: %w", country, err)
		}
		if c.Countries == nil {
			c.Countries = map[string]quiet.Window{}
		}
		c.Countries[country] = win
	}
	c.Zones = q.Zones
	return c, nil
}

func loadFileConfig(path string) (fileConfig, error) {
	var c fileConfig
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	return c, c.Validate()
}

// Validate reports the first problem with c.
func (c fileConfig) Validate() error {
	seen := map[string]bool{}
	for i, t := range c.Tenants {
		switch {
		case t.ID == "":
			return fmt.Errorf("config: tenants[%d]: id is required", i)
		case seen[t.ID]:
			return fmt.Errorf("config: tenants[%d]: duplicate id %s", i, t.ID)
		case len(t.APIKeySHA256) == 0:
			return fmt.Errorf("config: tenant %s: no api_key_sha256", t.ID)
		}
		if t.ShiftTables != nil {
			if _, err := gsm.ParseLanguages(*t.ShiftTables); err != nil {
				return fmt.Errorf("config: tenant %s: shift_tables: %w", t.ID, err)
			}
		}
		if t.Rate < 0 || t.SenderRate < 0 {
			return fmt.Errorf("config: tenant %s: negative rate", t.ID)
		}
		seen[t.ID] = true
	}
	if _, err := c.quietPolicies(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// shiftTables returns each tenant's national language tables, falling
// back to def.
func (c fileConfig) shiftTables(def gsm.Languages) func(tenant string) gsm.Languages {
	m := map[string]gsm.Languages{}
	for _, t := range c.Tenants {
		if t.ShiftTables != nil {
			m[t.ID], _ = gsm.ParseLanguages(*t.ShiftTables)
		}
	}
	return func(tenant string) gsm.Languages {
		if l, ok := m[tenant]; ok {
			return l
		}
		return def
	}
}

// limits returns the tenants' rate limits.
func (c fileConfig) limits() map[string]pipeline.TenantLimit {
	m := map[string]pipeline.TenantLimit{}
	for _, t := range c.Tenants {
		if t.Rate > 0 || t.SenderRate > 0 {
			m[t.ID] = pipeline.TenantLimit{Rate: t.Rate, SenderRate: t.SenderRate}
		}
	}
	return m
}

// quietPolicies returns each tenant's quiet-hours policy: the global one
// with the tenant's overrides.
func (c fileConfig) quietPolicies() (func(tenant string) *quiet.Policy, error) {
	gc, err := c.QuietHours.parse()
	if err != nil {
		return nil, err
	}
	global, err := quiet.New(gc)
	if err != nil {
		return nil, fmt.Errorf("quiet_hours: %w", err)
	}
	per := map[string]*quiet.Policy{}
	for _, t := range c.Tenants {
		tc, err := t.QuietHours.parse()
		if err != nil {
			return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
		}
		if tc.Default == (quiet.Window{}) && len(tc.Countries) == 0 && len(tc.Zones) == 0 {
			continue
		}
		p, err := global.WithTenant(tc)
		if err != nil {
			return nil, fmt.Errorf("tenant %s: quiet_hours: %w", t.ID, err)
		}
		per[t.ID] = p
	}
	return func(tenant string) *quiet.Policy {
		if p, ok := per[tenant]; ok {
			return p
		}
		return global
	}, nil
}

// bootstrap is what c says about tenants, keys and senders, for the
// tenant store.
func (c fileConfig) bootstrap() tenants.Bootstrap {
	b := tenants.Bootstrap{AdminKeyHashes: c.AdminKeySHA256}
	for _, t := range c.Tenants {
		bt := tenants.BootTenant{ID: t.ID, Name: t.Name, KeyHashes: t.APIKeySHA256}
		for _, sn := range t.Senders {
			bt.Senders = append(bt.Senders, tenants.Sender{ID: sn.ID, Countries: sn.Countries, Default: sn.Default})
		}
		b.Tenants = append(b.Tenants, bt)
	}
	return b
}

var errNoTenants = errors.New("no tenants: give --config with tenants or admin_key_sha256, or --dev")
