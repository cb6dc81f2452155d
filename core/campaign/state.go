package campaign

import "fmt"

// State is where a campaign stands.
type State uint8

const (
	// Draft: created, not launched; it can still be estimated.
	Draft State = iota + 1
	// Scheduled: launched, waiting for its start time.
	Scheduled
	// Running: being expanded, recipient by recipient.
	Running
	// Paused: expansion stopped; queued messages wait.
	Paused
	// Completed: every recipient was expanded (sending goes on).
	Completed
	// Canceled: stopped for good; what no carrier had is withdrawn.
	Canceled
)

var stateNames = [...]string{Draft: "draft", Scheduled: "scheduled", Running: "running", Paused: "paused",
	Completed: "completed", Canceled: "canceled"}

// String returns "draft", "scheduled", "running", "paused", "completed"
// or "canceled".
func (s State) String() string {
	if s > 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("state(%d)", uint8(s))
}

// Final tells whether no action moves s any more.
func (s State) Final() bool { return s == Completed || s == Canceled }

// Expanding tells whether a campaign in s is expanded when due.
func (s State) Expanding() bool { return s == Scheduled || s == Running }

// Action moves a campaign from one state to another.
type Action uint8

const (
	Launch Action = iota + 1
	Pause
	Resume
	Cancel
	// Start is the runner's: a scheduled campaign's time came.
	Start
	// Complete is the runner's: the last recipient was expanded.
	Complete
)

var actionNames = [...]string{Launch: "launch", Pause: "pause", Resume: "resume", Cancel: "cancel", Start: "start", Complete: "complete"}

func (a Action) String() string {
	if a > 0 && int(a) < len(actionNames) {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// Next returns the state after a in from; due tells whether the
// campaign's start time has come (it decides between Scheduled and
// Running). Pausing a paused campaign, resuming a running one and
// canceling a canceled one change nothing and are allowed, so that
// retried calls succeed; anything else not listed is ErrTransition.
func Next(from State, a Action, due bool) (State, error) {
	go1 := func(s State) (State, error) { return s, nil }
	running := Scheduled
	if due {
		running = Running
	}
	switch {
	case a == Launch && from == Draft:
		return go1(running)
	case a == Pause && (from == Scheduled || from == Running || from == Paused):
		return go1(Paused)
	case a == Resume && from == Paused:
		return go1(running)
	case a == Resume && (from == Scheduled || from == Running):
		return go1(from)
	case a == Cancel && !from.Final() || a == Cancel && from == Canceled:
		return go1(Canceled)
	case a == Start && from == Scheduled:
		return go1(Running)
	case a == Complete && from == Running:
		return go1(Completed)
	}
	return from, fmt.Errorf("%s a %s campaign: %w", a, from, ErrTransition)
}
