package twilio

import (
	"errors"
	"fmt"
	"strconv"
)

// Error is an error as the REST API answers it: Twilio's JSON shape and
// code, with its HTTP status. Its Message reaches clients: it names the
// parameter and never quotes a number, code or secret.
type Error struct {
	Code     int    `json:"code"`
	Message  string `json:"message"`
	MoreInfo string `json:"more_info"`
	Status   int    `json:"status"`
}

func (e *Error) Error() string { return fmt.Sprintf("twilio error %d: %s", e.Code, e.Message) }

// Codes the surface answers with, and their HTTP statuses.
const (
	CodeUnknownParameter   = 20001
	CodeAuthenticate       = 20003
	CodeMethodNotAllowed   = 20004
	CodeNotFound           = 20404
	CodeTooManyRequests    = 20429
	CodeInternal           = 20500
	CodeUnavailable        = 20503
	CodeInvalidTo          = 21211
	CodeInvalidFrom        = 21212
	CodeBodyRequired       = 21602
	CodeToRequired         = 21604
	CodeUnsubscribed       = 21610
	CodeBodyTooLong        = 21617
	CodeMediaRefused       = 21620
	CodeInvalidValidity    = 21624
	CodeInvalidCallback    = 21609
	CodeNotCancelable      = 30409
	CodeSendAtMissing      = 35111
	CodeSendAtOutOfRange   = 35115
	CodeScheduleType       = 35126
	CodeInvalidParameter   = 60200
	CodeMaxChecks          = 60202
	CodeMaxSends           = 60203
	CodeFraudGuard         = 60410
	CodeGeoPermission      = 60605
	moreInfo               = "https://www.twilio.com/docs/errors/"
	defaultErrorHTTPStatus = 400
)

var httpStatus = map[int]int{
	CodeAuthenticate: 401, CodeMethodNotAllowed: 405, CodeNotFound: 404, CodeTooManyRequests: 429, CodeInternal: 500, CodeUnavailable: 503,
	CodeMaxChecks: 429, CodeMaxSends: 429, CodeFraudGuard: 403, CodeGeoPermission: 403,
}

// NewError returns the error with code and message, and the HTTP status
// Twilio answers that code with (400 unless the table says otherwise).
func NewError(code int, message string) *Error {
	st, ok := httpStatus[code]
	if !ok {
		st = defaultErrorHTTPStatus
	}
	return &Error{Code: code, Message: message, MoreInfo: moreInfo + strconv.Itoa(code), Status: st}
}

// AsError returns err's *Error, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}
