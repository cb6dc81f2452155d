package price

import "errors"

var (
	// ErrFormat is returned for a price file that cannot be read.
	ErrFormat = errors.New("invalid price table")
	// ErrCurrency is returned for a missing, invalid or mixed currency.
	ErrCurrency = errors.New("invalid price currency")
	// ErrNoPrice is returned when the table has no price for a destination.
	ErrNoPrice = errors.New("no price for destination")
	// ErrAmount is returned for a price that is not a decimal with at most
	// six places, or is negative.
	ErrAmount = errors.New("invalid amount")
)
