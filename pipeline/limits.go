package pipeline

import (
	"crypto/rand"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/ternsms/tern/core"
)

// TenantLimit caps a tenant's sending rate, in messages per second; zero
// fields are unlimited.
type TenantLimit struct {
	// Rate caps all of the tenant's messages.
	Rate float64
	// SenderRate caps each of the tenant's sender ids.
	SenderRate float64
}

// Limits holds the per-tenant and per-sender-id rate limiters one instance
// shares among its partition actors. The carrier's own TPS cap lives in
// the carrier connection, not here.
//
// With several instances, each applies limit × share, where share is the
// part of the submit topic's partitions it consumes (its partitions ÷ all
// partitions), so together they keep the configured limit while the
// traffic is spread evenly over partitions.
type Limits struct {
	cfg map[string]TenantLimit
	id  string // tells these limits' turns from other instances' and earlier runs'
	// submitID marks a message put aside holding its submit (Pace).
	submitID string

	// horizon: a marketing message whose turn is further off waits in
	// line instead of taking it.
	horizon time.Duration

	mu       sync.Mutex
	share    float64
	limiters map[limitKey]*scaled
	// The limiters are keyed by sender ids from requests: idle ones are
	// dropped (pruneIdle) when a new one would bring the map to pruneAt,
	// or pruneEvery after the last time.
	pruneAt int
	pruned  time.Time
}

// Idle limiters are dropped at least pruneEvery, and whenever the number
// of limiters doubles since the last prune, from minPruneAt on: the map
// holds at most about twice the limiters in use, and pruning costs a
// constant per limiter made.
const (
	pruneEvery = time.Minute
	minPruneAt = 1024
)

// limitKey names one limit: a tenant's, or one of its sender ids'.
type limitKey struct {
	tenant, sender string
	perSender      bool // a sender id's, which may be ""
}

type scaled struct {
	base float64
	// l gives turns: a message takes one when it is read, and may go at
	// it seconds later, after waiting in the scheduler or for a carrier.
	l *rate.Limiter
	// sent counts submits when they are made (Limits.Pace), so that turns
	// used late do not add to the turns of the present.
	sent *rate.Limiter
	// line is the next free place in this limit's marketing line: the
	// time after the last marketing message put aside to wait. Guarded by
	// Limits.mu.
	line time.Time
}

// interval is the time between two turns at the limit in force.
func (s *scaled) interval() time.Duration {
	return time.Duration(float64(time.Second) / float64(s.l.Limit()))
}

// lineMark marks a marketing message put aside in a line rather than
// with a turn (Submit.rate_turn): when it comes back it takes its turn
// ahead of the marketing messages that joined the line after it.
const lineMark = "line"

// marketingHorizon: a marketing message takes a turn at most this far
// off. Well inside scheduleSlack, so that the turns marketing takes keep
// an OTP or order update, which takes the next free turn after them,
// within the slack: it waits for its turn in place rather than going
// through the scheduler (TestLimitsKeepUrgentInPlace).
const marketingHorizon = scheduleSlack / 5

// NewLimits returns limits per tenant id.
func NewLimits(perTenant map[string]TenantLimit) *Limits {
	id := rand.Text()
	return &Limits{cfg: perTenant, id: id, submitID: id + "/submit", share: 1, horizon: marketingHorizon,
		limiters: map[limitKey]*scaled{}, pruneAt: minPruneAt, pruned: time.Now()}
}

// Holds tells whether turn, a message's Reservation.Mark from when it was
// put aside, was given by these limits: the message has had its turn and goes
// without another. Turns from another instance, or from before a restart,
// are not held here, and the message is charged again.
func (l *Limits) Holds(turn string) bool {
	return l != nil && turn != "" && (turn == l.id || turn == l.submitID)
}

// SetShare sets the part of the configured limits this instance takes.
func (l *Limits) SetShare(share float64) {
	if l == nil || share <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.share = share
	for _, s := range l.limiters {
		for _, r := range []*rate.Limiter{s.l, s.sent} {
			r.SetLimit(rate.Limit(s.base * share))
			r.SetBurst(burst(s.base * share))
		}
	}
}

// burst lets one second's worth through at once, at least one message.
func burst(r float64) int { return max(1, int(r)) }

func (l *Limits) limiter(key limitKey, base float64) *scaled {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.limiters[key]
	if s == nil {
		if now := time.Now(); len(l.limiters)+1 >= l.pruneAt || now.Sub(l.pruned) >= pruneEvery {
			l.pruneIdle(now)
		}
		r, b := rate.Limit(base*l.share), burst(base*l.share)
		s = &scaled{base: base, l: rate.NewLimiter(r, b), sent: rate.NewLimiter(r, b)}
		l.limiters[key] = s
	}
	return s
}

// pruneIdle drops the limiters that are as a new one would be: every turn
// and submit given back by now (their buckets full) and no marketing line
// waiting. A message holding a reservation keeps its limiter's bucket from
// filling, so a limiter someone still counts on is never dropped. l.mu is
// held.
func (l *Limits) pruneIdle(now time.Time) {
	for k, s := range l.limiters {
		if s.idle(now) {
			delete(l.limiters, k)
		}
	}
	l.pruned = now
	l.pruneAt = max(minPruneAt, 2*len(l.limiters))
}

// idle reports whether s is as a new limiter would be at now.
func (s *scaled) idle(now time.Time) bool {
	return !s.line.After(now) &&
		s.l.TokensAt(now) >= float64(s.l.Burst()) && s.sent.TokensAt(now) >= float64(s.sent.Burst())
}

// Reservation is a message's turn under its tenant's limits.
type Reservation struct {
	// Wait is how long from now the message must wait.
	Wait time.Duration
	// Mark goes with a message put aside to wait (Submit.rate_turn): the
	// limits' id when the turn is taken, so the message goes at it
	// without taking another; lineMark for a marketing message waiting in
	// line without one; "" when the tenant has no limits.
	Mark   string
	cancel func()
}

// Cancel gives the turn, or the place in the marketing line, back, for a
// message that does not go after all; once however often it is called.
func (r Reservation) Cancel() {
	if r.cancel != nil {
		r.cancel()
	}
}

// Reserve takes one turn of tenant's limit and of its sender id's for a
// message of category cat; mark is the message's Submit.rate_turn.
//
// Marketing waits behind the tenant's other messages. A marketing message
// whose turn is further off than the horizon (marketingHorizon) does not
// take it: it gets a place in the marketing line, spaced at the limit,
// and takes its turn when it comes back. So an OTP or an order update
// waits for the turns of other OTPs and order updates and at most a
// horizon of marketing's, never behind a marketing backlog, and each
// turn one takes moves the end of the line on by one. While the
// line is not empty, new marketing messages join it at its end; one that
// comes back from the line (mark lineMark) takes its turn if it is within
// the horizon, and otherwise (another message took the turn it was placed
// for) goes to the end of the line again.
func (l *Limits) Reserve(tenant, sender string, cat core.Category, mark string) Reservation {
	var lims [2]*scaled
	ss := l.of(tenant, sender, &lims)
	if len(ss) == 0 {
		return Reservation{}
	}
	now := time.Now()
	marketing := cat == core.CategoryMarketing
	back := marketing && mark == lineMark
	if marketing && !back {
		if due, ok := l.joinLine(ss, now); ok {
			return l.inLine(ss, now, due)
		}
	}
	turns, wait := take(ss, turnsOf, now)
	if marketing && wait > l.horizon {
		turns.giveBack(now)
		return l.inLine(ss, now, l.place(ss, now.Add(wait)))
	}
	if !marketing {
		l.makeRoom(ss, now)
	}
	r := Reservation{Wait: wait, Mark: l.id}
	if wait > 0 {
		// A turn of now is used at once, and rate.Reservation.CancelAt
		// gives nothing back for one whose time has passed.
		r.cancel = once(turns.giveBack)
	}
	return r
}

// turnsOf picks the limiter that gives turns.
func turnsOf(s *scaled) *rate.Limiter { return s.l }

// taken is one reservation of each limiter of a message's limits.
type taken [2]*rate.Reservation

// take reserves one of the limiter pick gives of each of ss, and returns
// the reservations and the longest wait among them.
func take(ss []*scaled, pick func(*scaled) *rate.Limiter, now time.Time) (t taken, wait time.Duration) {
	for i, s := range ss {
		t[i] = pick(s).ReserveN(now, 1)
		// One never exceeds the burst, which is at least one.
		wait = max(wait, t[i].DelayFrom(now))
	}
	return t, wait
}

// giveBack cancels the reservations as of at.
func (t taken) giveBack(at time.Time) {
	for _, r := range t {
		if r != nil {
			r.CancelAt(at)
		}
	}
}

// once returns a function that calls f with the time of its first call,
// and does nothing after that.
func once(f func(at time.Time)) func() {
	done := false
	return func() {
		if !done {
			done = true
			f(time.Now())
		}
	}
}

// of returns the limiters of tenant's limits and of its sender id's, in
// lims: none for a tenant without limits.
func (l *Limits) of(tenant, sender string, lims *[2]*scaled) []*scaled {
	if l == nil {
		return nil
	}
	cfg := l.cfg[tenant]
	ss := lims[:0]
	if cfg.Rate > 0 {
		ss = append(ss, l.limiter(limitKey{tenant: tenant}, cfg.Rate))
	}
	if cfg.SenderRate > 0 {
		ss = append(ss, l.limiter(limitKey{tenant, sender, true}, cfg.SenderRate))
	}
	return ss
}

// inLine is the reservation of a place at due in the marketing lines of
// ss; canceling it gives the place back.
func (l *Limits) inLine(ss []*scaled, now, due time.Time) Reservation {
	lims := [2]*scaled{}
	copy(lims[:], ss)
	n := len(ss)
	return Reservation{Wait: due.Sub(now), Mark: lineMark, cancel: once(func(at time.Time) {
		l.leaveLine(lims[:n], at)
	})}
}

// Leave gives back the place in tenant's (and its sender id's) marketing
// line of a message that waited there (mark lineMark) and does not come
// back for it: it was canceled while it waited. Without this, marketing
// sent later would wait behind the places of messages that never go.
func (l *Limits) Leave(tenant, sender string) {
	var lims [2]*scaled
	if ss := l.of(tenant, sender, &lims); len(ss) > 0 {
		l.leaveLine(ss, time.Now())
	}
}

// leaveLine moves the end of each waiting marketing line of ss back by
// one turn, never before now: a place that will not be used. Messages
// placed after it keep their places; the next to join takes the freed
// time, and if two come back to one turn, the second goes to the end of
// the line again.
func (l *Limits) leaveLine(ss []*scaled, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range ss {
		if !s.line.After(now) {
			continue
		}
		s.line = s.line.Add(-s.interval())
		if s.line.Before(now) {
			s.line = now
		}
	}
}

// joinLine places a marketing message at the end of the marketing line
// of ss when that line still has messages waiting; ok is false when it
// has none.
func (l *Limits) joinLine(ss []*scaled, now time.Time) (due time.Time, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range ss {
		ok = ok || s.line.After(now)
	}
	if !ok {
		return time.Time{}, false
	}
	return l.placeLocked(ss, now), true
}

// makeRoom moves the end of each waiting marketing line of ss on by one
// turn, the one another message has just taken.
func (l *Limits) makeRoom(ss []*scaled, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range ss {
		if s.line.After(now) {
			s.line = s.line.Add(s.interval())
		}
	}
}

// place gives a marketing message the first place in the lines of ss
// from earliest on, and returns its time.
func (l *Limits) place(ss []*scaled, earliest time.Time) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.placeLocked(ss, earliest)
}

func (l *Limits) placeLocked(ss []*scaled, earliest time.Time) time.Time {
	due := earliest
	for _, s := range ss {
		if s.line.After(due) {
			due = s.line
		}
	}
	for _, s := range ss {
		s.line = due.Add(s.interval())
	}
	return due
}

// Pace takes one submit of the tenant's limits and of its sender id's
// for a message of category cat that has its turn and is about to go to
// the carrier. A message goes at its turn or later: later when it waited
// in the scheduler behind a backlog, or for a carrier that hung. Turns
// used late would go on top of the turns of the present, so the submits
// themselves are counted too, at the same limit, and Wait is how long
// the message must still wait. Up to slack it waits in place, holding
// its submit, which Cancel gives back.
//
// Further off, an OTP or order update waits in the scheduler holding
// its submit (Mark, see HoldsSubmit), so that the messages that went late
// go first, one after the other at the limit, and those after them wait
// behind them. A marketing message gives its submit back and gets a place
// in the marketing line instead (Mark lineMark), so that no urgent message
// waits behind marketing that went late.
//
// Pace makes a message wait only when others went late: while every
// message goes at its turn, the submits made are no more than the turns
// taken.
func (l *Limits) Pace(tenant, sender string, cat core.Category, slack time.Duration) Reservation {
	var lims [2]*scaled
	ss := l.of(tenant, sender, &lims)
	if len(ss) == 0 {
		return Reservation{}
	}
	now := time.Now()
	submits, wait := take(ss, submitsOf, now)
	if wait > slack && cat == core.CategoryMarketing {
		submits.giveBack(now)
		return l.inLine(ss, now, l.place(ss, now.Add(wait)))
	}
	r := Reservation{Wait: wait}
	if wait > 0 {
		// A submit of now is made at once, and rate.Reservation.CancelAt
		// gives nothing back for one whose time has passed.
		r.cancel = once(submits.giveBack)
	}
	if wait > slack {
		r.Mark = l.submitID
	}
	return r
}

// submitsOf picks the limiter that counts submits.
func submitsOf(s *scaled) *rate.Limiter { return s.sent }

// Charge counts a submit of the tenant's limits and of its sender id's
// that goes now whatever they allow: the messages after it wait for it.
func (l *Limits) Charge(tenant, sender string) {
	var lims [2]*scaled
	take(l.of(tenant, sender, &lims), submitsOf, time.Now())
}

// HoldsSubmit tells whether turn, a message's Reservation.Mark from Pace,
// holds its submit under these limits: the message goes at it without
// taking another. Like a turn, it is held by these limits only.
func (l *Limits) HoldsSubmit(turn string) bool {
	return l != nil && turn != "" && turn == l.submitID
}
