package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core/commerce"
	"github.com/ternsms/tern/core/flow"
	"github.com/ternsms/tern/pipeline/flows"
	"github.com/ternsms/tern/pipeline/storeevents"
	"github.com/ternsms/tern/pipeline/webhooks"
)

// callTenant is the tenant a call is made as: the caller's (scopes
// interceptor), else the key's (requireKey); "" for an operator key or
// an unauthenticated context.
func callTenant(ctx context.Context) string {
	if c := callerFrom(ctx); c.Tenant != "" {
		return c.Tenant
	}
	return tenantFrom(ctx)
}

// targetTenant is the tenant a managing call is about: the caller's own
// (a request naming another is refused), or with an operator key the
// one the request names.
func targetTenant(ctx context.Context, requested string) (string, error) {
	own := callTenant(ctx)
	switch {
	case own != "" && requested != "" && requested != own:
		return "", errOtherTenant
	case own != "":
		return own, nil
	case ctx.Value(callerKey{}) == nil:
		return "", errPermission // no authenticated caller at all
	case requested == "":
		return "", errNoTenant
	}
	return requested, nil
}

// featureError maps the errors of the event, flow and webhook services,
// then falls back to consentError and connectError.
func featureError(log *slog.Logger, err error) *connect.Error {
	if ce := storeFlowError(err); ce != nil {
		return ce
	}
	return consentError(log, err)
}

// storeFlowError is the Connect error for an error of the store events,
// flows or webhooks packages, or nil for any other error. connectError
// consults it.
func storeFlowError(err error) *connect.Error {
	var ce *commerce.FieldError
	var se *storeevents.FieldError
	var fe *flow.FieldError
	var we *webhooks.FieldError
	switch {
	case errors.As(err, &fe):
		return connect.NewError(connect.CodeInvalidArgument, fe)
	case errors.Is(err, flow.ErrUnknownFlow):
		return connect.NewError(connect.CodeNotFound, errors.New("flow_id: no such flow"))
	case errors.Is(err, flows.ErrBadToken), errors.Is(err, webhooks.ErrBadToken):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.As(err, &we):
		return connect.NewError(connect.CodeInvalidArgument, we)
	case errors.Is(err, webhooks.ErrRefused):
		return connect.NewError(connect.CodeInvalidArgument, fmt.Errorf("url: %w", err))
	case errors.Is(err, webhooks.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.As(err, &ce):
		return connect.NewError(connect.CodeInvalidArgument, ce)
	case errors.As(err, &se):
		return connect.NewError(connect.CodeInvalidArgument, se)
	case errors.Is(err, storeevents.ErrUnavailable):
		return connect.NewError(connect.CodeUnavailable, errors.New("store events unavailable; nothing was recorded, retry"))
	}
	return nil
}
