package gsm

import "errors"

var (
	// ErrUnsupportedCoding is returned for an SMPP data_coding the package cannot read.
	ErrUnsupportedCoding = errors.New("unsupported data coding")
	// ErrNotSeptet is returned for bytes that are not valid unpacked GSM 03.38 septets.
	ErrNotSeptet = errors.New("invalid gsm 03.38 septets")
	// ErrNotUCS2 is returned for a UCS-2 payload of odd length.
	ErrNotUCS2 = errors.New("invalid ucs-2 payload")
	// ErrUDH is returned for a malformed user data header.
	ErrUDH = errors.New("invalid user data header")
	// ErrLanguage is returned for a national language the package has no
	// shift table for, in a header or a list of shift tables.
	ErrLanguage = errors.New("unsupported national language")
	// ErrParts is returned when parts do not reassemble into one message:
	// missing, repeated or from different messages.
	ErrParts = errors.New("parts do not form one message")
)
