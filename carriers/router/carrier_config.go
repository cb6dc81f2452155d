package router

import (
	"errors"
	"fmt"

	"github.com/ternsms/tern/carriers/smpp"
)

// In-doubt policies: what happens to a message whose submit went on the
// wire and was never answered.
const (
	// InDoubtResubmit sends it again, possibly a second time to the
	// handset. The default.
	InDoubtResubmit = "resubmit"
	// InDoubtFail fails it with "outcome unknown".
	InDoubtFail = "fail"
)

// CarrierConfig describes one carrier: its SMPP connection and what tern
// knows about it beyond the protocol. ParseCarrier reads it from a spec;
// a config file lists them under carriers.
type CarrierConfig struct {
	// Name identifies the carrier in routes, the delivery ledger,
	// receipts and metrics: 1 to 64 letters, digits, '.', '_' or '-',
	// starting with a letter or digit. Required. SMPP.Name follows it.
	Name string
	// SMPP is the connection to the carrier's SMSC. Its zero fields take
	// smpp.ClientConfig's defaults.
	SMPP smpp.ClientConfig
	// InDoubt is InDoubtResubmit (the default, "") or InDoubtFail.
	InDoubt string
	// Cost is what the carrier charges per segment; unknown when zero.
	// Routes order carriers of equal priority by it.
	Cost Cost
}

// String names the carrier and its SMSC, without the password.
func (c CarrierConfig) String() string {
	return fmt.Sprintf("%s=smpp://%s@%s", c.Name, c.SMPP.SystemID, c.SMPP.Addr)
}

// withDefaults fills the in-doubt policy and the SMPP name.
func (c CarrierConfig) withDefaults() CarrierConfig {
	if c.InDoubt == "" {
		c.InDoubt = InDoubtResubmit
	}
	if c.SMPP.Name == "" {
		c.SMPP.Name = c.Name
	}
	return c
}

// Validate reports every problem with c.
func (c CarrierConfig) Validate() error {
	var errs []error
	if err := validName(c.Name); err != nil {
		errs = append(errs, err)
	}
	if c.SMPP.Name != "" && c.SMPP.Name != c.Name {
		errs = append(errs, fmt.Errorf("smpp name %q differs from the carrier's", c.SMPP.Name))
	}
	smppCfg := c.SMPP
	smppCfg.Name = c.Name
	if smppCfg.Name == "" {
		smppCfg.Name = "-" // reported above
	}
	if err := smppCfg.Validate(); err != nil {
		errs = append(errs, err)
	}
	switch c.InDoubt {
	case "", InDoubtResubmit, InDoubtFail:
	default:
		errs = append(errs, fmt.Errorf("in_doubt %q: want %s or %s", c.InDoubt, InDoubtResubmit, InDoubtFail))
	}
	if err := c.Cost.validate(true); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// validName checks a carrier name.
func validName(name string) error {
	if name == "" {
		return errors.New("name: required")
	}
	if len(name) > 64 {
		return fmt.Errorf("name %q: longer than 64", name)
	}
	for i := range len(name) {
		switch b := name[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case (b == '.' || b == '_' || b == '-') && i > 0:
		default:
			return fmt.Errorf("name %q: use letters, digits, '.', '_' and '-'", name)
		}
	}
	return nil
}
