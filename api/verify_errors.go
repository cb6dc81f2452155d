package api

import (
	"errors"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core/verify"
	verifysvc "github.com/ternsms/tern/pipeline/verify"
)

// verifyError maps the verification service's errors, or returns nil
// for errors that are not its. Texts name the field and quote no number
// or code.
func verifyError(err error) *connect.Error {
	var fe *verify.FieldError
	switch {
	case errors.As(err, &fe), errors.Is(err, verify.ErrPolicy):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, verify.ErrCountryNotEnabled), errors.Is(err, verify.ErrPrefixBlocked),
		errors.Is(err, verify.ErrApproved), errors.Is(err, verifysvc.ErrNotPending):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, verify.ErrMaxSends), errors.Is(err, verify.ErrCooldown):
		return connect.NewError(connect.CodeResourceExhausted, err)
	case errors.Is(err, verifysvc.ErrNotFound), errors.Is(err, verifysvc.ErrUnknownTenant):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, errNoTenant):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, errOtherTenant), errors.Is(err, errPermission):
		return connect.NewError(connect.CodePermissionDenied, err)
	}
	return nil
}
