package analytics

import "errors"

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
)
