package api

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"connectrpc.com/connect"

	"github.com/ternsms/tern/pipeline/tenants"
)

// loginRateError refuses a login attempt over the client address's
// limit.
type loginRateError struct{ wait time.Duration }

func (e loginRateError) Error() string {
	return fmt.Sprintf("too many login attempts from this address; try again in %s", e.wait.Round(time.Second))
}

// sessionError maps the errors of SessionService and of resolving a
// session cookie, then falls back to connectError. Texts say which
// field is wrong, never whether an email exists.
func sessionError(log *slog.Logger, err error) *connect.Error {
	var fe *tenants.FieldError
	var le *tenants.LockedError
	var re loginRateError
	switch {
	case errors.Is(err, tenants.ErrNoSession):
		return connect.NewError(connect.CodeUnauthenticated, tenants.ErrNoSession)
	case errors.Is(err, tenants.ErrBadLogin):
		return connect.NewError(connect.CodeUnauthenticated, tenants.ErrBadLogin)
	case errors.As(err, &le):
		return connect.NewError(connect.CodeResourceExhausted, le)
	case errors.As(err, &re):
		return connect.NewError(connect.CodeResourceExhausted, re)
	case errors.As(err, &fe):
		return connect.NewError(connect.CodeInvalidArgument, fe)
	}
	return connectError(log, err)
}
