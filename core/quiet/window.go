package quiet

import (
	"fmt"
	"strconv"
	"strings"
)

// Clock is a local time of day in minutes after midnight, 0 to 1440.
type Clock int

// ClockOf returns the clock of h:m.
func ClockOf(h, m int) Clock { return Clock(h*60 + m) }

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", c/60, c%60) }

// Window is a daily local sending window [Start, End). Start after End
// crosses midnight (22:00-06:00); 00:00-24:00 is the whole day. The zero
// Window means "not set".
type Window struct {
	Start, End Clock
}

// DefaultWindow is the built-in marketing window: 08:00 to 21:00.
var DefaultWindow = Window{Start: ClockOf(8, 0), End: ClockOf(21, 0)}

// IsZero reports whether w is unset.
func (w Window) IsZero() bool { return w == Window{} }

// Validate checks that w is a non-empty window within the day.
func (w Window) Validate() error {
	if w.Start < 0 || w.Start >= 1440 || w.End <= 0 || w.End > 1440 || w.Start == w.End {
		return fmt.Errorf("%v-%v: %w", w.Start, w.End, ErrWindow)
	}
	return nil
}

// Contains reports whether local clock c is inside w.
func (w Window) Contains(c Clock) bool {
	if w.Start < w.End {
		return c >= w.Start && c < w.End
	}
	return c >= w.Start || c < w.End
}

func (w Window) String() string { return w.Start.String() + "-" + w.End.String() }

// ParseWindow reads "HH:MM-HH:MM", e.g. "08:00-21:00" or "22:00-06:00";
// "24:00" is allowed as an end.
func ParseWindow(s string) (Window, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "-")
	if !ok {
		return Window{}, fmt.Errorf("%q: %w", s, ErrWindow)
	}
	start, err1 := parseClock(a)
	end, err2 := parseClock(b)
	if err1 != nil || err2 != nil {
		return Window{}, fmt.Errorf("%q: %w", s, ErrWindow)
	}
	w := Window{start, end}
	if err := w.Validate(); err != nil {
		return Window{}, fmt.Errorf("%q: %w", s, ErrWindow)
	}
	return w, nil
}

func parseClock(s string) (Clock, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) == 0 || len(h) > 2 || len(m) != 2 {
		return 0, ErrWindow
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, ErrWindow
	}
	return ClockOf(hh, mm), nil
}
