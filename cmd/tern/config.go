package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/ternsms/tern/core/gsm"
)

// fileConfig is the optional YAML file given with --config. Flags cover
// everything else.
//
//	tenants:
//	  - id: shop-1
//	    api_key_sha256: ["<output of tern keygen>"]
//	    shift_tables: "tr"
//	id_key_file: /etc/tern/id-key
type fileConfig struct {
	Tenants []tenantConfig `yaml:"tenants"`
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
		seen[t.ID] = true
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

func (c fileConfig) keyHashes() map[string][]string {
	m := map[string][]string{}
	for _, t := range c.Tenants {
		m[t.ID] = append(m[t.ID], t.APIKeySHA256...)
	}
	return m
}

var errNoTenants = errors.New("no tenants: give --config with tenants, or --dev")
