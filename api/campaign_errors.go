package api

import (
	"errors"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/pipeline/campaigns"
	"github.com/ternsms/tern/pipeline/contacts"
	"github.com/ternsms/tern/pipeline/templates"
)

// campaignError maps the errors of the contact book, templates and
// campaigns, or returns nil for an error that is none of theirs. Texts
// name the field and quote no number.
func campaignError(err error) *connect.Error {
	var gap *contacts.GapError
	switch {
	case errors.Is(err, contacts.ErrInvalid), errors.Is(err, templates.ErrInvalid), errors.Is(err, campaigns.ErrInvalid),
		errors.Is(err, campaign.ErrTemplate):
		return connect.NewError(connect.CodeInvalidArgument, err)
	case errors.Is(err, contacts.ErrNotFound), errors.Is(err, templates.ErrNotFound), errors.Is(err, campaigns.ErrNotFound):
		return connect.NewError(connect.CodeNotFound, err)
	case errors.Is(err, contacts.ErrExists), errors.Is(err, templates.ErrExists):
		return connect.NewError(connect.CodeAlreadyExists, err)
	case errors.As(err, &gap), errors.Is(err, contacts.ErrImportDone), errors.Is(err, campaign.ErrTransition):
		return connect.NewError(connect.CodeFailedPrecondition, err)
	}
	return nil
}
