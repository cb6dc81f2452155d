// Package quiet decides when a message may reach a recipient: marketing
// only inside the recipient's local sending window, transactional and OTP
// messages at any time.
//
// The built-in window is the same for every country: 08:00 (inclusive)
// to 21:00 (exclusive) local time. Countries and tenants override it by
// configuration only; there are no other built-in overrides. Local time
// comes from the time zones of the recipient's number (core/phone). A
// number that may be in several zones (a mobile range spanning a
// country, a toll-free number) gets the most restrictive window: the
// intersection of the windows of all its zones, in absolute time. Where
// those windows do not overlap at all, one configured zone per country
// decides (by default America/New_York for +1 numbers); a country
// without one uses the first zone of the number. A number whose zones
// are unknown uses the same fallback zone, else UTC.
//
// Answers are exact across daylight-saving changes: the next allowed
// instant is found among the window starts and zone transitions of every
// zone involved, never by adding fixed hours.
//
// The package is pure; it embeds the IANA time zone database
// (time/tzdata) so that answers do not depend on the host.
package quiet
