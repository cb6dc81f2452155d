package api

import (
	"context"
	"errors"
	"log/slog"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline"
)

var (
	errMissingKey = errors.New("missing API key: send Authorization: Bearer KEY")
	errUnknownKey = errors.New("unknown API key")
	errNotFound   = errors.New("message not found")
)

// connectError is the one place errors become Connect errors. Its text
// reaches clients: field errors name the field, everything unexpected is
// logged here and reported without detail.
func connectError(log *slog.Logger, err error) *connect.Error {
	var ce *connect.Error
	var fe *pipeline.FieldError
	if ae := analyticsError(err); ae != nil {
		return ae
	}
	if ve := verifyError(err); ve != nil {
		return ve
	}
	if fce := storeFlowError(err); fce != nil {
		return fce
	}
	switch {
	case errors.As(err, &ce):
		return ce
	case campaignError(err) != nil:
		return campaignError(err)
	case errors.Is(err, pipeline.ErrKeyConflict):
		return connect.NewError(connect.CodeAlreadyExists, err)
	case errors.As(err, &fe):
		return connect.NewError(connect.CodeInvalidArgument, fe)
	case errors.Is(err, msgid.ErrForeign), errors.Is(err, analytics.ErrNotFound), errors.Is(err, errNotFound):
		return connect.NewError(connect.CodeNotFound, errNotFound)
	case errors.Is(err, pipeline.ErrNotCancelable):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, consent.ErrOptedOut), errors.Is(err, consent.ErrNoMarketingConsent), errors.Is(err, consent.ErrSuppressed):
		// "to: recipient opted out": no number in it.
		return connect.NewError(connect.CodeFailedPrecondition, err)
	case errors.Is(err, pipeline.ErrForeignMessage):
		return connect.NewError(connect.CodeNotFound, errNotFound)
	case errors.Is(err, context.Canceled):
		return connect.NewError(connect.CodeCanceled, err)
	case errors.Is(err, context.DeadlineExceeded):
		return connect.NewError(connect.CodeDeadlineExceeded, err)
	case errors.Is(err, pipeline.ErrClosed):
		return connect.NewError(connect.CodeUnavailable, errors.New("shutting down; retry on another instance"))
	case errors.Is(err, pipeline.ErrQueueUnavailable):
		return connect.NewError(connect.CodeUnavailable, errors.New("message queue unavailable; nothing was queued, retry"))
	case errors.Is(err, analytics.ErrReadLimited):
		return connect.NewError(connect.CodeResourceExhausted, err)
	case errors.Is(err, errReportsUnavailable):
		return connect.NewError(connect.CodeUnavailable, errReportsUnavailable)
	}
	log.Error("internal error", "err", err)
	return connect.NewError(connect.CodeInternal, errors.New("internal error"))
}

var errReportsUnavailable = errors.New("analytics store unavailable; retry")

// Limits on what a client may send (limits.go).
var (
	errReadTimeout          = errors.New("request not received within the server's read timeout")
	errDecompressedTooLarge = errors.New("request larger than the limit once decompressed")
)
