package keyword

import "strconv"

// Intent is what an inbound text asks for.
type Intent uint8

const (
	None Intent = iota
	OptOut
	OptIn
	Help
)

var intentNames = [...]string{None: "none", OptOut: "opt_out", OptIn: "opt_in", Help: "help"}

// String returns "none", "opt_out", "opt_in" or "help".
func (i Intent) String() string {
	if int(i) < len(intentNames) {
		return intentNames[i]
	}
	return "intent(" + strconv.Itoa(int(i)) + ")"
}

// MarshalText writes the String form, for JSON.
func (i Intent) MarshalText() ([]byte, error) { return []byte(i.String()), nil }
