package analytics

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when no event of the asked message exists.
	ErrNotFound = errors.New("not found")
	// ErrInvalidConfig is returned by Validate for an unusable config.
	ErrInvalidConfig = errors.New("invalid config")
	// ErrInvalidRow is returned for a row that lacks an id or has a status
	// outside the known ones; the writer skips records that convert to one.
	ErrInvalidRow = errors.New("invalid row")
	// ErrReadLimited is returned by a report query of a tenant over its
	// share (Config.TenantReads, Config.TenantReadRate): nothing ran, and
	// the query may be tried again later.
	ErrReadLimited = errors.New("too many report queries for this tenant")
	// ErrUndecodable is returned for a Kafka record whose value is not the
	// protobuf record its topic carries.
	ErrUndecodable = errors.New("undecodable record")
	// ErrInvalidRequest is wrapped by every *RequestError.
	ErrInvalidRequest = errors.New("invalid report request")
)

// RequestError is a report asked for something it cannot answer: its
// text names the request's field and says why, and quotes no number.
type RequestError struct {
	Field  string
	Reason string
}

func (e *RequestError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *RequestError) Unwrap() error { return ErrInvalidRequest }

func badRequest(field, format string, args ...any) error {
	return &RequestError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
