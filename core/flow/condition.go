package flow

import (
	"slices"
	"strings"
)

// Op is how a condition tests its variable.
type Op uint8

const (
	// Present: the variable has a value.
	Present Op = iota + 1
	// Absent: it has none.
	Absent
	// OneOf: its value is one of Values.
	OneOf
)

// Condition tests one template variable of a run.
type Condition struct {
	Var    string
	Op     Op
	Values []string
}

// Holds tells whether c holds on vars. The zero Condition holds.
func (c Condition) Holds(vars map[string]string) bool {
	v := vars[c.Var]
	switch c.Op {
	case Present:
		return v != ""
	case Absent:
		return v == ""
	case OneOf:
		return slices.Contains(c.Values, v)
	}
	return true
}

// String says c in words: "tracking_url is set".
func (c Condition) String() string {
	switch c.Op {
	case Present:
		return c.Var + " is set"
	case Absent:
		return c.Var + " is not set"
	case OneOf:
		return c.Var + " is " + strings.Join(c.Values, " or ")
	}
	return "always"
}
