package flow

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // zones must not depend on the host

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
	"github.com/ternsms/tern/core/phone"
)

// OutcomeKind is what running a step did.
type OutcomeKind uint8

const (
	// Waiting: the run waits until Until, then goes on at Next.
	Waiting OutcomeKind = iota + 1
	// Sending: Text is to be sent as Category, then the run goes on at
	// Next.
	Sending
	// Skipped: the step could not run (Detail says why); the run goes on
	// at Next.
	Skipped
	// Branched: the run goes on at Next (Detail says which way).
	Branched
	// Completed: no step is left.
	Completed
)

// Outcome is what running one step decided.
type Outcome struct {
	Kind OutcomeKind
	// Step is the name of the step run; "" when Completed.
	Step     string
	Next     int
	Until    time.Time
	Text     string
	Category core.Category
	Detail   string
}

// Run runs step i of f for a run whose variables are vars and whose
// recipient is phone (E.164), at now.
func (f Flow) Run(i int, vars map[string]string, phone string, now time.Time) Outcome {
	if i < 0 || i >= len(f.Steps) {
		return Outcome{Kind: Completed, Next: len(f.Steps)}
	}
	st := f.Steps[i]
	out := Outcome{Step: st.Name, Next: f.index(st.Next, i)}
	switch st.Kind {
	case Wait:
		out.Kind, out.Until = Waiting, now.Add(st.Delay).UTC()
	case WaitUntil:
		loc := Zone(phone)
		out.Kind, out.Until = Waiting, NextClock(now, int(st.At)/60, int(st.At)%60, loc)
		out.Detail = fmt.Sprintf("until %s in %s", st.At, loc)
	case Send:
		out.Category = st.Category
		t, err := Compile(st.Template)
		if err != nil {
			out.Kind, out.Detail = Skipped, "template: "+err.Error()
			break
		}
		r, err := t.Render(vars, gsm.Options{})
		if err != nil {
			out.Kind, out.Detail = Skipped, "template: "+err.Error()
			break
		}
		out.Kind, out.Text = Sending, strings.Join(strings.Fields(r.Text), " ")
	case Branch:
		holds := st.If.Holds(vars)
		out.Kind, out.Detail = Branched, fmt.Sprintf("%s: %v", st.If, holds)
		if !holds {
			out.Next = f.index(st.Else, i)
		}
	default:
		out.Kind, out.Detail = Skipped, fmt.Sprintf("unknown step kind %d", st.Kind)
	}
	if out.Kind == Waiting && out.Detail == "" {
		out.Detail = "until " + out.Until.Format(time.RFC3339)
	}
	return out
}

// MaxSteps bounds how many steps a run may take without waiting: more
// means its branches loop (ErrLoop).
func (f Flow) MaxSteps() int { return len(f.Steps) + 1 }

// Zone is the time zone of number (E.164): the first of its zones, UTC
// when it has none or does not parse.
func Zone(number string) *time.Location {
	n, err := phone.Parse(number, "")
	if err != nil {
		return time.UTC
	}
	for _, z := range n.TimeZones {
		if l, err := time.LoadLocation(z); err == nil && z != "" && z != "Local" {
			return l
		}
	}
	return time.UTC
}

// NextClock is the first instant at or after now when the clock in loc
// reads h:m, in UTC. On a day whose clocks skip h:m (a DST change), it
// is the instant the clock jumps past it.
func NextClock(now time.Time, h, m int, loc *time.Location) time.Time {
	lt := now.In(loc)
	t := time.Date(lt.Year(), lt.Month(), lt.Day(), h, m, 0, 0, loc)
	if t.Before(now) {
		t = time.Date(lt.Year(), lt.Month(), lt.Day()+1, h, m, 0, 0, loc)
	}
	if l := t.In(loc); l.Hour() != h || l.Minute() != m {
		// h:m was skipped: the day's clocks jumped over it.
		start, end := l.ZoneBounds()
		if t.Sub(start) < 3*time.Hour {
			t = start
		} else if !end.IsZero() {
			t = end
		}
	}
	return t.UTC()
}
