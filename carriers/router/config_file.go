package router

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// LoadConfig reads and validates a YAML config file in the format the
// package documentation shows.
func LoadConfig(path string) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("carrier config: %w", err)
	}
	c, err := ParseConfig(b)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseConfig reads and validates a YAML config document.
func ParseConfig(data []byte) (Config, error) {
	var c Config
	if err := yaml.Unmarshal(data, &c); err != nil {
		if errors.Is(err, ErrInvalidConfig) {
			return Config{}, err
		}
		return Config{}, fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	return c, c.Validate()
}

// UnmarshalYAML reads the carriers, routes and breaker keys of a mapping,
// so that a larger config file can hold a Config under a key of its own.
// It rejects unknown keys and does not validate: call Validate.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	var out Config
	err := fields(n, "config", map[string]func(*yaml.Node) error{
		"carriers": func(v *yaml.Node) error {
			return items(v, "carriers", func(i int, it *yaml.Node) error {
				cc, err := decodeCarrier(it)
				if err != nil {
					return fmt.Errorf("carriers[%d] (line %d): %w", i, it.Line, err)
				}
				out.Carriers = append(out.Carriers, cc)
				return nil
			})
		},
		"routes": func(v *yaml.Node) error {
			return items(v, "routes", func(i int, it *yaml.Node) error {
				r, err := decodeRoute(it)
				if err != nil {
					return fmt.Errorf("routes[%d] (line %d): %w", i, it.Line, err)
				}
				out.Routes = append(out.Routes, r)
				return nil
			})
		},
		"breaker": func(v *yaml.Node) error {
			b, err := decodeBreaker(v)
			out.Breaker = b
			return err
		},
	})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidConfig, err)
	}
	*c = out
	return nil
}

// decodeCarrier reads a carrier entry: a spec string, or a mapping of
// url, addr, system_id, password and ParseCarrier's parameters.
func decodeCarrier(n *yaml.Node) (CarrierConfig, error) {
	if n.Kind == yaml.ScalarNode {
		c, err := parseCarrier(n.Value)
		if err != nil {
			return c, fmt.Errorf("spec %s: %w", redactSpec(n.Value), err)
		}
		return c, nil
	}
	var c CarrierConfig
	values := map[string]string{}
	lines := map[string]int{}
	err := eachField(n, "carrier", func(key string, k, v *yaml.Node) error {
		if _, ok := carrierParams[key]; !ok && !fileOnlyCarrierKeys[key] {
			return fmt.Errorf("line %d: unknown field %q", k.Line, key)
		}
		s, err := scalar(v, key)
		values[key], lines[key] = s, v.Line
		return err
	})
	if err != nil {
		return c, err
	}
	named := false
	if spec, ok := values["url"]; ok {
		if c, named, err = parseCarrierNamed(spec); err != nil {
			return c, fmt.Errorf("url %s: %w", redactSpec(spec), err)
		}
		if _, ok := values["addr"]; ok {
			return c, fmt.Errorf("line %d: addr and url both give the address", lines["addr"])
		}
	}
	if v, ok := values["name"]; ok {
		v = strings.TrimSpace(v)
		if named && v != c.Name {
			return c, fmt.Errorf("line %d: name %q differs from the url's %q", lines["name"], v, c.Name)
		}
		c.Name = v
	}
	if v, ok := values["addr"]; ok {
		c.SMPP.Addr = strings.TrimSpace(v)
		if !strings.Contains(c.SMPP.Addr, ":") && c.SMPP.Addr != "" {
			c.SMPP.Addr = net.JoinHostPort(c.SMPP.Addr, DefaultSMPPPort)
		}
	}
	if v, ok := values["system_id"]; ok {
		c.SMPP.SystemID = v
	}
	if v, ok := values["password"]; ok {
		c.SMPP.Password = v
	}
	for _, p := range carrierParamList {
		v, ok := values[p.key]
		if !ok || p.key == "name" {
			continue
		}
		if err := p.set(&c, v); err != nil {
			return c, fmt.Errorf("line %d: %w", lines[p.key], err)
		}
	}
	if c.Name == "" {
		// As in a spec, the host names the carrier.
		if host, _, err := net.SplitHostPort(c.SMPP.Addr); err == nil {
			c.Name = host
		}
	}
	c.SMPP.Name = c.Name
	return c, nil
}

// fileOnlyCarrierKeys are the carrier fields a file has beyond a spec's
// query parameters.
var fileOnlyCarrierKeys = map[string]bool{"url": true, "addr": true, "system_id": true, "password": true}

// decodeRoute reads {match, carriers}; each carrier a name or {name,
// priority, cost, currency}.
func decodeRoute(n *yaml.Node) (Route, error) {
	var r Route
	err := fields(n, "route", map[string]func(*yaml.Node) error{
		"match": func(v *yaml.Node) error {
			s, err := scalar(v, "match")
			r.Match = s
			return err
		},
		"carriers": func(v *yaml.Node) error {
			return items(v, "carriers", func(i int, it *yaml.Node) error {
				rc, err := decodeRouteCarrier(it)
				if err != nil {
					return fmt.Errorf("carriers[%d] (line %d): %w", i, it.Line, err)
				}
				r.Carriers = append(r.Carriers, rc)
				return nil
			})
		},
	})
	if err == nil && r.Match == "" {
		err = errors.New("match: required")
	}
	if r.Match != "" && err != nil {
		err = fmt.Errorf("match %q: %w", r.Match, err)
	}
	return r, err
}

func decodeRouteCarrier(n *yaml.Node) (RouteCarrier, error) {
	var rc RouteCarrier
	if n.Kind == yaml.ScalarNode {
		rc.Name = strings.TrimSpace(n.Value)
		return rc, nil
	}
	var cost Cost
	var hasCost, hasCurrency bool
	err := fields(n, "route carrier", map[string]func(*yaml.Node) error{
		"name": func(v *yaml.Node) error {
			s, err := scalar(v, "name")
			rc.Name = strings.TrimSpace(s)
			return err
		},
		"priority": func(v *yaml.Node) error {
			s, err := scalar(v, "priority")
			if err != nil {
				return err
			}
			p, err := strconv.Atoi(s)
			if err != nil || p < 1 {
				return fmt.Errorf("line %d: priority %q: want a whole number from 1", v.Line, s)
			}
			rc.Priority = p
			return nil
		},
		"cost": func(v *yaml.Node) error {
			s, err := scalar(v, "cost")
			if err == nil {
				cost.PerSegment, err = parseCost(s)
			}
			hasCost = true
			return err
		},
		"currency": func(v *yaml.Node) error {
			s, err := scalar(v, "currency")
			if err == nil {
				cost.Currency, err = parseCurrency(s)
			}
			hasCurrency = true
			return err
		},
	})
	if err != nil {
		return rc, err
	}
	if rc.Name == "" {
		return rc, errors.New("name: required")
	}
	if hasCurrency && !hasCost {
		return rc, fmt.Errorf("carrier %s: currency without cost", rc.Name)
	}
	if hasCost {
		rc.Cost = &cost
	}
	return rc, nil
}

func decodeBreaker(n *yaml.Node) (BreakerConfig, error) {
	var b BreakerConfig
	count := func(name string, dst *int) func(*yaml.Node) error {
		return func(v *yaml.Node) error {
			s, err := scalar(v, name)
			if err != nil {
				return err
			}
			if *dst, err = strconv.Atoi(s); err != nil {
				return fmt.Errorf("line %d: breaker %s %q: want a whole number", v.Line, name, s)
			}
			return nil
		}
	}
	err := fields(n, "breaker", map[string]func(*yaml.Node) error{
		"failures": count("failures", &b.Failures),
		"probes":   count("probes", &b.Probes),
		"open_timeout": func(v *yaml.Node) error {
			s, err := scalar(v, "open_timeout")
			if err != nil {
				return err
			}
			if b.OpenTimeout, err = time.ParseDuration(s); err != nil {
				return fmt.Errorf("line %d: breaker open_timeout %q: want a duration such as 10s", v.Line, s)
			}
			return nil
		},
	})
	return b, err
}

// fields walks a mapping node, calling known[key] for each key; unknown
// and repeated keys are errors.
func fields(n *yaml.Node, what string, known map[string]func(*yaml.Node) error) error {
	return eachField(n, what, func(key string, k, v *yaml.Node) error {
		f, ok := known[key]
		if !ok {
			return fmt.Errorf("line %d: %s: unknown field %q", k.Line, what, key)
		}
		return f(v)
	})
}

// eachField walks a mapping node, calling f for each key; repeated keys
// are errors. An empty node is an empty mapping.
func eachField(n *yaml.Node, what string, f func(key string, k, v *yaml.Node) error) error {
	if n.Kind == yaml.DocumentNode && len(n.Content) == 1 {
		n = n.Content[0]
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: %s: want a mapping", n.Line, what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return fmt.Errorf("line %d: %s: %q given twice", k.Line, what, k.Value)
		}
		seen[k.Value] = true
		if err := f(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

// items walks a sequence node.
func items(n *yaml.Node, what string, f func(int, *yaml.Node) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		return fmt.Errorf("line %d: %s: want a list", n.Line, what)
	}
	for i, it := range n.Content {
		if err := f(i, it); err != nil {
			return err
		}
	}
	return nil
}

// scalar returns a scalar node's text.
func scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("line %d: %s: want a single value", n.Line, what)
	}
	if n.Tag == "!!null" {
		return "", nil
	}
	return n.Value, nil
}
