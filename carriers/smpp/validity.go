package smpp

import (
	"fmt"
	"time"
)

// RelativeTime formats d in the relative time format of section 7.1.1,
// "YYMMDDhhmmss000R", for validity_period and schedule_delivery_time.
// Years count 365 days and months 30; durations under a second round up
// to one second; the longest expressible period is 99 years.
func RelativeTime(d time.Duration) string {
	if d < time.Second {
		d = time.Second
	}
	s := int64((d + time.Second - 1) / time.Second)
	const day = 24 * 3600
	days := s / day
	s %= day
	years := min(days/365, 99)
	days -= years * 365
	months := min(days/30, 99)
	days %= 30
	return fmt.Sprintf("%02d%02d%02d%02d%02d%02d000R", years, months, days, s/3600, s/60%60, s%60)
}
