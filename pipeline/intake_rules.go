package pipeline

import (
	"errors"

	"github.com/ternsms/tern/core/sender"
)

// allowed applies the tenant's rules to a valid request: its sender id
// (an empty one becomes the tenant's default) and its recipient's
// consent. Both read memory only.
func (in *Intake) allowed(c checked) (checked, error) {
	if in.senders != nil {
		from, err := in.senders.CheckSender(c.TenantID, c.From, c.to.Region)
		if err != nil {
			var se *sender.Error
			if errors.As(err, &se) {
				return c, &FieldError{Field: "from", Reason: se.Reason, Kind: se.Kind}
			}
			return c, err
		}
		c.From = from
	}
	if in.consent != nil {
		if err := in.consent.Check(c.TenantID, c.to.E164, c.Category, c.Origin); err != nil {
			return c, err
		}
	}
	return c, nil
}
