package pipeline

import (
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

var (
	// ErrInvalid is wrapped by every *FieldError.
	ErrInvalid = errors.New("invalid request")
	// ErrClosed is returned by an Intake after Close.
	ErrClosed = errors.New("intake closed")
	// ErrKeyConflict is wrapped by the *FieldError of a request whose
	// idempotency key was first used for a different message.
	ErrKeyConflict = errors.New("idempotency key conflict")
	// ErrQueueUnavailable wraps produce failures: Kafka did not take the
	// message, so nothing was queued and the caller may retry.
	ErrQueueUnavailable = errors.New("message queue unavailable")
	// ErrUnstorable wraps the error of an item PostgreSQL refused for its
	// own values (see dataError): writing it again can never succeed, so
	// it is not retried. A message whose ledger or schedule write is
	// refused so goes to the dead-letter topic with the reason.
	ErrUnstorable = errors.New("refused by the database")
	// ErrNotCancelable is returned by Canceler.Cancel for a message that
	// cannot be withdrawn any more; the error says why.
	ErrNotCancelable = errors.New("cannot be canceled")
	// ErrForeignMessage is returned by Canceler.Cancel when the ledger
	// holds the message for another tenant. Ids are issued per tenant, so
	// only a forged id gets there.
	ErrForeignMessage = errors.New("message of another tenant")
	// ErrNothingToReplay is returned by ReplayDeadLetters when no dead
	// letter matched.
	ErrNothingToReplay = errors.New("no dead letter matched")
)

// dataError reports whether err is PostgreSQL refusing a value the
// statement carried: SQLSTATE class 22 (data exception: a NUL or a byte
// sequence that is not UTF-8 in text, a value out of range), class 23
// (integrity constraint violation) or 54000 (a value past a limit, such
// as an index row's size). The same values fail again whatever the retry,
// and in a batch of items it is one item's fault. Every other error —
// connection lost or refused, the server shutting down (57P01), a
// serialization failure (40xxx), resources exhausted (53xxx) — concerns
// the whole batch and passes.
func dataError(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || len(pe.Code) != 5 {
		return false
	}
	switch pe.Code[:2] {
	case "22", "23":
		return true
	}
	return pe.Code == "54000"
}

// unstorable marks an item's data error as for good.
func unstorable(err error) error {
	if err == nil || !dataError(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnstorable, err)
}

// FieldError says which request field is wrong and why. Its text reaches
// clients: it never quotes the field's value. It wraps Kind, or ErrInvalid
// when Kind is nil.
type FieldError struct {
	Field  string
	Reason string
	Kind   error
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s: %s", e.Field, e.Reason) }

func (e *FieldError) Unwrap() error {
	if e.Kind != nil {
		return e.Kind
	}
	return ErrInvalid
}
