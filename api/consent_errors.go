package api

import (
	"errors"
	"log/slog"

	"connectrpc.com/connect"

	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/inbound"
	"github.com/ternsms/tern/pipeline/tenants"
)

var (
	errPermission    = errors.New("permission denied")
	errNoTenant      = errors.New("tenant_id: required with an operator key")
	errOtherTenant   = errors.New("tenant_id: another tenant's; this key manages its own only")
	errNoReplyNumber = errors.New("number: the tenant has no default sender number to receive the confirming reply; set one with SetSenders")
)

// consentError maps the errors of the admin and contact services, then
// falls back to connectError. Texts name the field and quote no number.
func consentError(log *slog.Logger, err error) *connect.Error {
	var fe *tenants.FieldError
	var ce *consentlog.FieldError
	switch {
	case errors.As(err, &fe):
		return connect.NewError(connect.CodeInvalidArgument, fe)
	case errors.As(err, &ce):
		return connect.NewError(connect.CodeInvalidArgument, ce)
	case errors.Is(err, errNoTenant), errors.Is(err, inbound.ErrBadToken):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, errOtherTenant), errors.Is(err, errPermission):
		return connect.NewError(connect.CodePermissionDenied, err)
	case errors.Is(err, tenants.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, tenants.ErrExists), errors.Is(err, tenants.ErrNumberTaken):
		return connect.NewError(connect.CodeAlreadyExists, err)
	case errors.Is(err, consentlog.ErrNoPending), errors.Is(err, consentlog.ErrExpired), errors.Is(err, errNoReplyNumber):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	}
	return connectError(log, err)
}
