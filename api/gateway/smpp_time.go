package gateway

import (
	"errors"
	"strconv"
	"time"
)

var errSMPPTime = errors.New("not an SMPP time")

// parseTime reads schedule_delivery_time or validity_period (SMPP 3.4
// section 7.1.1): "" is no time; "YYMMDDhhmmsstnnp" is absolute, nn
// quarter hours ahead of (p '+') or behind ('-') UTC; "YYMMDDhhmmss000R"
// is relative to now, counting years of 365 days and months of 30.
func parseTime(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if len(s) != 16 {
		return time.Time{}, errSMPPTime
	}
	num := func(i, n int) (int, bool) {
		v, err := strconv.Atoi(s[i : i+n])
		return v, err == nil && s[i] != '+' && s[i] != '-'
	}
	var f [7]int
	for i, w := range []struct{ at, n int }{{0, 2}, {2, 2}, {4, 2}, {6, 2}, {8, 2}, {10, 2}, {12, 1}} {
		v, ok := num(w.at, w.n)
		if !ok {
			return time.Time{}, errSMPPTime
		}
		f[i] = v
	}
	yy, mo, dd, hh, mi, ss, tenths := f[0], f[1], f[2], f[3], f[4], f[5], f[6]
	switch s[15] {
	case 'R':
		if s[12:15] != "000" {
			return time.Time{}, errSMPPTime
		}
		d := time.Duration(yy)*365*24*time.Hour + time.Duration(mo)*30*24*time.Hour + time.Duration(dd)*24*time.Hour +
			time.Duration(hh)*time.Hour + time.Duration(mi)*time.Minute + time.Duration(ss)*time.Second
		return now.Add(d), nil
	case '+', '-':
		q, ok := num(13, 2)
		if !ok || q > 48 || mo < 1 || mo > 12 || dd < 1 || dd > 31 || hh > 23 || mi > 59 || ss > 59 {
			return time.Time{}, errSMPPTime
		}
		off := q * 15 * 60
		if s[15] == '-' {
			off = -off
		}
		t := time.Date(2000+yy, time.Month(mo), dd, hh, mi, ss, tenths*int(100*time.Millisecond), time.FixedZone("", off))
		if t.Day() != dd {
			return time.Time{}, errSMPPTime // 31 February and the like
		}
		return t, nil
	}
	return time.Time{}, errSMPPTime
}

// formatTime writes t as an absolute SMPP time (section 7.1.1) in UTC:
// "YYMMDDhhmmsst00+".
func formatTime(t time.Time) string {
	t = t.UTC()
	return t.Format("060102150405") + strconv.Itoa(t.Nanosecond()/1e8) + "00+"
}
