// Package phone parses and checks phone numbers on
// github.com/nyaruka/phonenumbers (libphonenumber's metadata): E.164 form,
// validity, number type, region and the time zones a number may be in.
// Parsing is on every message's path, so Cache keeps recent results.
//
// The package is pure and safe for concurrent use; it holds no state of
// its own outside a Cache its user creates.
package phone
