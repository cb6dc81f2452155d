package twilio

import (
	"strconv"
	"time"
)

// APIVersion is the REST API version the surface speaks.
const APIVersion = "2010-04-01"

// Date writes t as the REST API does: RFC 2822 in UTC, e.g.
// "Thu, 30 Jul 2015 20:12:31 +0000".
func Date(t time.Time) string { return t.UTC().Format(time.RFC1123Z) }

// Price writes what a message cost as Twilio does: negative, with five
// decimals, e.g. "-0.00750" for 7500 millionths.
func Price(micros int64) string {
	neg := micros > 0
	if micros < 0 {
		micros = -micros
	}
	s := strconv.FormatInt(micros/1_000_000, 10) + "." + pad(micros%1_000_000/10, 5)
	if neg {
		return "-" + s
	}
	return s
}

func pad(n int64, width int) string {
	s := strconv.FormatInt(n, 10)
	for len(s) < width {
		s = "0" + s
	}
	return s
}
