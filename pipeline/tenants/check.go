package tenants

import (
	"errors"
	"strings"

	"github.com/ternsms/tern/core/sender"
)

// ErrNotOwned is the Kind of the *sender.Error for a sender id the tenant
// does not have.
var ErrNotOwned = errors.New("sender id not the tenant's")

// CheckSender is the sender check the intake and the SMPP gateway make
// for a message of tenant from from to a number in region: an empty from
// becomes the tenant's default sender; the id must be the tenant's
// (Owns) and allowed in region by the tenant's rules (core/sender). It
// returns the sender id to use, or a *sender.Error ("from: …") naming the
// rule; its Kind is ErrNotOwned, sender.ErrNotAllowed,
// sender.ErrNotRegistered or sender.ErrMalformed.
func (r *Registry) CheckSender(tenant, from, region string) (string, error) {
	v, ok := r.Tenant(tenant)
	if !ok {
		return "", &sender.Error{Reason: "no sender ids: unknown tenant", Kind: ErrNotOwned}
	}
	if strings.TrimSpace(from) == "" {
		from = v.DefaultSender
	}
	if !r.Owns(tenant, from) {
		return "", &sender.Error{Reason: "not one of this tenant's sender ids (AdminService.SetSenders)", Kind: ErrNotOwned}
	}
	if err := sender.Check(from, region, v.Rules); err != nil {
		return "", err
	}
	return from, nil
}
