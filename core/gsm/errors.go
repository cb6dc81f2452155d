package gsm

import "errors"

var (
	// ErrUnsupportedCoding is returned for an SMPP data_coding the package cannot read.
	ErrUnsupportedCoding = errors.New("unsupported data coding")
	// ErrNotSeptet is returned for bytes that are not valid unpacked GSM 03.38 septets.
	ErrNotSeptet = errors.New("invalid gsm 03.38 septets")
)
