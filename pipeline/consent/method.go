package consent

import (
	"fmt"
	"strings"
)

// Method is how a consent event was given.
type Method uint8

const (
	MethodWebForm Method = iota + 1
	MethodCheckoutCheckbox
	MethodKeyword
	MethodDoubleOptIn
	MethodImport
	MethodAPI
	MethodAgent
)

var methodNames = [...]string{
	MethodWebForm: "web_form", MethodCheckoutCheckbox: "checkout_checkbox", MethodKeyword: "keyword",
	MethodDoubleOptIn: "double_opt_in", MethodImport: "import", MethodAPI: "api", MethodAgent: "agent",
}

// String returns "web_form", "checkout_checkbox", "keyword",
// "double_opt_in", "import", "api" or "agent".
func (m Method) String() string {
	if m > 0 && int(m) < len(methodNames) {
		return methodNames[m]
	}
	return fmt.Sprintf("method(%d)", uint8(m))
}

// ParseMethod reads a String form.
func ParseMethod(s string) (Method, error) {
	for i, n := range methodNames {
		if i > 0 && n == strings.ToLower(strings.TrimSpace(s)) {
			return Method(i), nil
		}
	}
	return 0, invalid("method", fmt.Sprintf("unknown method %q: want web_form, checkout_checkbox, keyword, double_opt_in, import, api or agent", s))
}

func (m Method) valid() bool { return m > 0 && int(m) < len(methodNames) }
