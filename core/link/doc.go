// Package link owns tracked links: finding the URLs in a message text and
// deriving each recipient's short code for them.
//
// A code is ten base62 characters (about 59 bits) of a keyed HMAC of the
// campaign, the contact, the link's index and an attempt number, so the
// same recipient always gets the same code (a retried expansion renders
// the same text) and nobody without the key can guess another's. The
// attempt number moves past the rare code that another recipient holds.
//
// The package is pure: no I/O. Storing codes and redirecting is
// pipeline/campaigns' and api's.
package link
