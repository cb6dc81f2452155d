package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		share  float64
		tenant string
		sender func(i int) string
		n      int
		want   time.Duration // the last one's wait
	}{
		// 26 senders at 10/s each would allow 260/s: the tenant's 100/s binds.
		{"tenant rate", 1, "shop", manySenders, 300, 2 * time.Second},
		{"half the partitions, half the rate", 0.5, "shop", manySenders, 300, 5 * time.Second},
		{"sender rate", 1, "shop", func(int) string { return "ONE" }, 60, 5 * time.Second},
		// An empty sender id has a limit of its own, not the tenant's.
		{"sender rate, no sender id", 1, "shop", func(int) string { return "" }, 60, 5 * time.Second},
		{"unlimited tenant", 1, "other", func(int) string { return "A" }, 1000, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				l := NewLimits(map[string]TenantLimit{"shop": {Rate: 100, SenderRate: 10}})
				l.SetShare(tt.share)
				var got time.Duration
				for i := range tt.n {
					got = l.Reserve(tt.tenant, tt.sender(i), core.CategoryTransactional, "").Wait
				}
				if got != tt.want {
					t.Fatalf("the last of %d messages waits %v, want %v", tt.n, got, tt.want)
				}
			})
		})
	}
	t.Run("canceled turns come back", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			l := NewLimits(map[string]TenantLimit{"shop": {Rate: 100}})
			for range 150 {
				l.Reserve("shop", "A", core.CategoryOTP, "")
			}
			for range 50 {
				r := l.Reserve("shop", "A", core.CategoryOTP, "")
				r.Cancel()
				r.Cancel() // a second call gives nothing more back
			}
			if got := l.Reserve("shop", "A", core.CategoryOTP, "").Wait; got != 510*time.Millisecond {
				t.Fatalf("after 150 turns kept and 50 given back the next waits %v, want 510ms", got)
			}
		})
	})
}

// Marketing over the limit waits in a line without turns, so the tenant's
// OTPs and order updates are never behind it; the line makes room for the
// turns they take, and a message of the line whose turn they took goes to
// its end again.
func TestLimitsMarketingWaitsInLine(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := NewLimits(map[string]TenantLimit{"shop": {Rate: 10}}) // a turn every 100ms, 10 at once
		l.horizon = 500 * time.Millisecond                         // five turns: room to see the line's arithmetic
		reserve := func(cat core.Category, mark string) Reservation {
			return l.Reserve("shop", "Shop", cat, mark)
		}
		var got []time.Duration
		for i := range 30 {
			r := reserve(core.CategoryMarketing, "")
			wantMark := l.id // within the horizon (500ms) it takes its turn
			if i >= 15 {
				wantMark = lineMark
			}
			if r.Mark != wantMark {
				t.Fatalf("marketing message %d: mark %q, want %q", i, r.Mark, wantMark)
			}
			got = append(got, r.Wait)
		}
		// 10 at once, 5 more within the horizon, then the line from 600ms
		// on, one place every 100ms.
		for i, w := range got {
			want := time.Duration(max(0, i-9)) * 100 * time.Millisecond
			if w != want {
				t.Fatalf("marketing message %d waits %v, want %v (all: %v)", i, w, want, got)
			}
		}
		otp := reserve(core.CategoryOTP, "")
		if otp.Wait != 600*time.Millisecond || otp.Mark != l.id {
			t.Fatalf("an OTP after the marketing waits %v with mark %q, want 600ms and its turn: the next free turn, not the end of the line (2.1s)", otp.Wait, otp.Mark)
		}
		for i := range 5 {
			if r := reserve(core.CategoryTransactional, ""); r.Wait != time.Duration(7+i)*100*time.Millisecond {
				t.Fatalf("order update %d waits %v, want %v", i, r.Wait, time.Duration(7+i)*100*time.Millisecond)
			}
		}
		// Each of those six turns moved the end of the line on.
		if r := reserve(core.CategoryMarketing, ""); r.Wait != 2700*time.Millisecond || r.Mark != lineMark {
			t.Fatalf("the next marketing message waits %v with mark %q, want 2.7s in line", r.Wait, r.Mark)
		}
		// The first in line comes back at its place (600ms): the turns up
		// to 1.1s went to the OTP and the order updates, and the next is
		// more than the horizon away, so it goes to the end of the line.
		time.Sleep(600 * time.Millisecond)
		if r := reserve(core.CategoryMarketing, lineMark); r.Wait != 2200*time.Millisecond || r.Mark != lineMark {
			t.Fatalf("a marketing message back from the line to taken turns waits %v with mark %q, want 2.2s in line again", r.Wait, r.Mark)
		}
		// It gave that turn back: an OTP takes it.
		if r := reserve(core.CategoryOTP, ""); r.Wait != 600*time.Millisecond || r.Mark != l.id {
			t.Fatalf("an OTP waits %v with mark %q, want 600ms with its turn", r.Wait, r.Mark)
		}
		// Back from the line to a free turn, it takes it.
		time.Sleep(700 * time.Millisecond)
		if r := reserve(core.CategoryMarketing, lineMark); r.Wait != 0 || r.Mark != l.id {
			t.Fatalf("a marketing message back from the line to a free turn waits %v with mark %q, want none with its turn", r.Wait, r.Mark)
		}
	})
}

// A turn is held only by the limits that gave it: after a restart, or on
// another instance, a message that waited for its turn is charged again.
// TestLimitsLinePlacesGivenBack: a place in the marketing line that will
// not be used (its message expires or is canceled first) is given back,
// so marketing sent later does not wait behind it.
func TestLimitsLinePlacesGivenBack(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := NewLimits(map[string]TenantLimit{"shop": {Rate: 10}}) // a turn every 100ms, 10 at once
		l.horizon = 500 * time.Millisecond
		reserve := func() Reservation { return l.Reserve("shop", "Shop", core.CategoryMarketing, "") }
		var last Reservation
		for range 25 { // 15 turns, then the line from 600ms to 1.5s
			last = reserve()
		}
		if last.Wait != 1500*time.Millisecond || last.Mark != lineMark {
			t.Fatalf("the 25th marketing message waits %v with mark %q, want 1.5s in line", last.Wait, last.Mark)
		}
		last.Cancel()
		last.Cancel() // once however often
		if r := reserve(); r.Wait != 1500*time.Millisecond {
			t.Fatalf("after the last place was given back the next waits %v, want the same 1.5s", r.Wait)
		}
		for range 3 {
			l.Leave("shop", "Shop")
		}
		if r := reserve(); r.Wait != 1300*time.Millisecond {
			t.Fatalf("after three places left the line the next waits %v, want 1.3s", r.Wait)
		}
		l.Leave("other", "Other") // no limits: nothing to give back
		for range 50 {
			l.Leave("shop", "Shop")
		}
		// The line is empty and never ends before now: the next takes the
		// first free turn, 600ms on, as the 16th did.
		if r := reserve(); r.Wait != 600*time.Millisecond || r.Mark != lineMark {
			t.Fatalf("with the line given back the next waits %v with mark %q, want 600ms in line", r.Wait, r.Mark)
		}
		// A turn is given back as before.
		otp := l.Reserve("shop", "Shop", core.CategoryOTP, "")
		otp.Cancel()
		if r := l.Reserve("shop", "Shop", core.CategoryOTP, ""); r.Wait != otp.Wait {
			t.Fatalf("an OTP after a turn given back waits %v, want %v", r.Wait, otp.Wait)
		}
	})
}

// TestLimitsKeepUrgentInPlace: a store's order updates at about half its
// limit while it sends a flash sale over it, once a minute, on top of a
// steady trickle of marketing. No order update's turn is so far off that
// it goes through the scheduler, and each marketing message waits in the
// scheduler about once. With marketing taking turns up to the slack
// itself, one order update in five went through the scheduler.
func TestLimitsKeepUrgentInPlace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		const limit, urgentRate, promoRate, flash = 150, 80, 20, 1500
		l := NewLimits(map[string]TenantLimit{"shop": {Rate: limit}})
		// The line: when each waiting marketing message comes back, and
		// with what mark.
		type back struct {
			at   time.Time
			mark string
		}
		var waiting, due []back
		var urgent, urgentDeferred, promos, promoWaits, promosSent int
		var longest time.Duration
		reserve := func(cat core.Category, mark string) {
			r := l.Reserve("shop", "Shop", cat, mark)
			switch {
			case cat != core.CategoryMarketing:
				urgent++
				longest = max(longest, r.Wait)
				if r.Wait > scheduleSlack {
					urgentDeferred++
				}
			case r.Wait > scheduleSlack || r.Mark == lineMark:
				promoWaits++
				waiting = append(waiting, back{time.Now().Add(r.Wait), r.Mark})
			default:
				promosSent++
			}
		}
		const step = time.Millisecond
		var urgentDue, promoDue float64
		for at := time.Duration(0); at < 2*time.Minute; at += step {
			if at%time.Minute == 0 {
				for range flash {
					promos++
					reserve(core.CategoryMarketing, "")
				}
			}
			for urgentDue += urgentRate * step.Seconds(); urgentDue >= 1; urgentDue-- {
				reserve(core.CategoryTransactional, "")
			}
			for promoDue += promoRate * step.Seconds(); promoDue >= 1; promoDue-- {
				promos++
				reserve(core.CategoryMarketing, "")
			}
			// One pass: those due now leave the line for due (reserve
			// below may add to waiting again).
			now, due, kept := time.Now(), due[:0], waiting[:0]
			for _, b := range waiting {
				if b.at.After(now) {
					kept = append(kept, b)
				} else {
					due = append(due, b)
				}
			}
			waiting = kept
			for _, b := range due {
				if l.Holds(b.mark) {
					promosSent++
					continue
				}
				reserve(core.CategoryMarketing, b.mark)
			}
			time.Sleep(step)
		}
		if urgentDeferred > 0 {
			t.Errorf("%d of %d order updates had their turn more than %v off (the longest %v): they went through the scheduler behind marketing", urgentDeferred, urgent, scheduleSlack, longest)
		}
		if promosSent != promos {
			t.Errorf("%d of %d marketing messages sent after two minutes, %d still waiting", promosSent, promos, len(waiting))
		}
		if per := float64(promoWaits) / float64(promos); per > 1.25 {
			t.Errorf("marketing waited in the scheduler %.2f times a message, want at most 1.25", per)
		}
		t.Logf("order updates: %d, the longest wait for a turn %v; marketing: %d, %.2f waits in the scheduler a message", urgent, longest, promos, float64(promoWaits)/float64(promos))
	})
}

func TestLimitsHoldTheirOwnTurns(t *testing.T) {
	t.Parallel()
	cfg := map[string]TenantLimit{"shop": {Rate: 1}}
	a, b := NewLimits(cfg), NewLimits(cfg)
	var none *Limits
	switch {
	case !a.Holds(a.id):
		t.Fatal("limits do not hold their own turn")
	case a.Holds(b.id), b.Holds(a.id):
		t.Fatalf("a turn of other limits is held: %q, %q", a.id, b.id)
	case a.Holds(""), none.Holds(""), none.Holds(a.id):
		t.Fatal("an empty turn, or nil limits, hold a turn")
	}
}

// Pace makes no message that goes at its turn wait. Messages that all go
// late, together, go at the limit: a second's worth at once, then the
// rest in place or, further off, put aside holding submits spaced at the
// limit; marketing instead goes to the end of its line.
func TestLimitsPace(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := NewLimits(map[string]TenantLimit{"shop": {Rate: 10}}) // 10 at once, then one every 100ms
		const slack = 500 * time.Millisecond
		start := time.Now()
		var turns []time.Duration
		for range 30 {
			turns = append(turns, l.Reserve("shop", "Shop", core.CategoryTransactional, "").Wait)
		}
		for i, turn := range turns {
			time.Sleep(start.Add(turn).Sub(time.Now()))
			if r := l.Pace("shop", "Shop", core.CategoryTransactional, slack); r.Wait != 0 {
				t.Fatalf("message %d, at its turn %v, waits %v more", i, turn, r.Wait)
			}
		}
		// 30 more turns, all used late and at once, 10 s from now.
		for range 30 {
			l.Reserve("shop", "Shop", core.CategoryTransactional, "")
		}
		time.Sleep(10 * time.Second)
		var got []time.Duration
		for range 30 {
			r := l.Pace("shop", "Shop", core.CategoryTransactional, slack)
			if r.Wait > slack && !(l.Holds(r.Mark) && l.HoldsSubmit(r.Mark)) {
				t.Fatalf("put aside for %v without its turn and submit (mark %q)", r.Wait, r.Mark)
			}
			got = append(got, r.Wait)
		}
		want := make([]time.Duration, 30)
		for i := range want {
			if i >= 10 {
				want[i] = time.Duration(i-9) * 100 * time.Millisecond
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("late messages wait %v, want %v", got, want)
		}
		// Late marketing goes to the end of the line behind them, holding
		// no submit: no OTP or order update waits behind it.
		if r := l.Pace("shop", "Shop", core.CategoryMarketing, slack); r.Mark != lineMark || r.Wait != 2100*time.Millisecond {
			t.Fatalf("late marketing waits %v with mark %q, want 2.1s in line", r.Wait, r.Mark)
		}
		if r := l.Pace("shop", "Shop", core.CategoryOTP, slack); r.Wait != 2100*time.Millisecond {
			t.Fatalf("an OTP after late marketing waits %v, want 2.1s", r.Wait)
		}
		// A message late for its held submit goes all the same, and the
		// next waits for it.
		l.Charge("shop", "Shop")
		if r := l.Pace("shop", "Shop", core.CategoryOTP, slack); r.Wait != 2300*time.Millisecond {
			t.Fatalf("an OTP after one charged waits %v, want 2.3s", r.Wait)
		}
		if r := l.Pace("other", "Shop", core.CategoryTransactional, slack); r.Wait != 0 {
			t.Fatalf("a tenant without limits waits %v", r.Wait)
		}
	})
}

func manySenders(i int) string { return string(rune('A' + i%26)) }

// TestThrottledTenantLeavesPartitionsFree: a tenant over its rate limit
// waits in the scheduler, not in the partitions. Another tenant's
// messages, sent after the backlog, go out while most of it still waits,
// and each throttled message waits once: its turn, once taken, is kept.
func TestThrottledTenantLeavesPartitionsFree(t *testing.T) {
	t.Parallel()
	const limit, slowN, fastN = 2, 60, 20
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 3, ReceiptDelay: 10 * time.Millisecond},
		WithWindow(4), WithLimits(NewLimits(map[string]TenantLimit{"slow": {Rate: limit}})))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(tenant, prefix string, n int) []string {
		return p.sendAll(ctx, t, n, func(i int) Request {
			return Request{TenantID: tenant, To: fmt.Sprintf("%s%04d", prefix, i), Body: "Your order has shipped"}
		})
	}
	slow := send("slow", "+1415556", slowN)
	fast := send("fast", "+1415557", fastN)

	count := func(evs []*recordv1.Event, s core.Status) (n int) {
		for _, ev := range evs {
			if core.Status(ev.Status) == s {
				n++
			}
		}
		return n
	}
	// Read until the fast tenant's messages are final and then ten of the
	// slow tenant's that waited for their turn, or until either check
	// below has failed.
	fastDone, slowSent := false, 0 // slowSent: submitted while fast ones were not all final
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		sent, waited := 0, 0
		for _, id := range slow {
			sent += count(m[id], core.StatusSubmitted)
			switch q := count(m[id], core.StatusQueued); {
			case q > 1:
				return true
			case q == 1 && finalOf(m[id]) != nil:
				waited++
			}
		}
		if !fastDone {
			slowSent = sent
			fastDone = !slices.ContainsFunc(fast, func(id string) bool { return finalOf(m[id]) == nil })
			if !fastDone {
				return sent >= slowN/2
			}
		}
		return waited >= 10
	})
	if !fastDone {
		t.Fatalf("%d of the throttled tenant's %d messages went out before the other tenant's %d: they waited behind it", slowSent, slowN, fastN)
	}
	for _, id := range slow {
		if queued := rateLimitWaits(t, id, evs[id]); queued > 1 {
			t.Fatalf("%s waited %d times for its turn: %v", id, queued, evs[id])
		}
	}
	t.Logf("%d of %d throttled messages submitted when the other tenant's %d were final", slowSent, slowN, fastN)
}

// TestMarketingBacklogLeavesOTPsFree: a store's marketing over its rate
// limit waits in line, and the store's OTPs sent after it go out at once
// instead of behind it. Every marketing message still goes out.
func TestMarketingBacklogLeavesOTPsFree(t *testing.T) {
	t.Parallel()
	const limit, promoN, otpN = 4, 24, 3
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 5, ReceiptDelay: 10 * time.Millisecond},
		WithWindow(4), WithLimits(NewLimits(map[string]TenantLimit{"shop": {Rate: limit}})))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(cat core.Category, prefix string, n int) []string {
		return p.sendAll(ctx, t, n, func(i int) Request {
			return Request{TenantID: "shop", To: fmt.Sprintf("%s%04d", prefix, i), Body: "Weekend offer: 20% off", Category: cat}
		})
	}
	promos := send(core.CategoryMarketing, "+1415558", promoN)
	otps := send(core.CategoryOTP, "+1415559", otpN)

	otpsDone, promosSent := false, 0 // promosSent: submitted when the OTPs were final
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool {
		if !otpsDone {
			promosSent = submitted(m, promos)
			if otpsDone = allFinalEvents(m, otps); !otpsDone {
				return promosSent == promoN
			}
		}
		return allFinalEvents(m, promos)
	})
	if !otpsDone {
		t.Fatalf("all %d marketing messages went out before the %d OTPs sent after them were final: the OTPs waited behind them", promoN, otpN)
	}
	if promosSent > promoN/2 {
		t.Fatalf("%d of %d marketing messages went out before the OTPs were final, want at most %d", promosSent, promoN, promoN/2)
	}
	waited := 0
	for _, id := range promos {
		if s := core.Status(finalOf(evs[id]).GetStatus()); s != core.StatusDelivered && s != core.StatusUndelivered {
			t.Fatalf("marketing message %s ended %v: %v", id, s, evs[id])
		}
		if rateLimitWaits(t, id, evs[id]) > 0 {
			waited++
		}
	}
	if waited < promoN/2 {
		t.Fatalf("only %d of %d marketing messages waited for the limit of %d/s", waited, promoN, limit)
	}
	t.Logf("%d of %d marketing messages submitted when the %d OTPs were final; %d waited", promosSent, promoN, otpN, waited)
}

// TestLinePlacesOfExpiredAndCanceledGoBack: marketing that expires before
// its place in the line comes, or is canceled while it waits there, does
// not hold back the marketing sent after it.
func TestLinePlacesOfExpiredAndCanceledGoBack(t *testing.T) {
	t.Parallel()
	p := startPipeline(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 7, ReceiptDelay: 10 * time.Millisecond},
		WithLimits(NewLimits(map[string]TenantLimit{"shop": {Rate: 1}}))) // a turn a second
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	send := func(prefix string, n int, validity time.Duration) []string {
		return p.sendAll(ctx, t, n, func(i int) Request {
			return Request{TenantID: "shop", To: fmt.Sprintf("%s%04d", prefix, i), Body: "Flash sale", Category: core.CategoryMarketing, Validity: validity}
		})
	}
	// A flash sale valid for 3 s: the first goes, two wait in line, the
	// other thirteen would go too late and expire.
	flash := send("+1415557", 16, 3*time.Second)
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return queuedOrFinal(m, flash) })
	expired := 0
	for _, id := range flash {
		if f := finalOf(evs[id]); f != nil && core.Status(f.Status) == core.StatusExpired {
			expired++
		}
	}
	if expired == 0 {
		t.Fatalf("no flash sale message expired: %v", evs)
	}
	// A campaign after it: its first place is right behind the flash
	// sale's last, not behind the places of those that expired.
	campaign := send("+1415558", 20, 0)
	evs = p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return queuedOrFinal(m, campaign) })
	flashEnd := time.Time{}
	for _, id := range flash {
		if due, ok := lineDue(t, evs[id]); ok && due.After(flashEnd) {
			flashEnd = due
		}
	}
	// The campaign's messages in the order of their places; its
	// partitions place them in any order.
	type place struct {
		id  string
		due time.Time
	}
	var line []place
	for _, id := range campaign {
		if due, ok := lineDue(t, evs[id]); ok {
			line = append(line, place{id, due})
		}
	}
	slices.SortFunc(line, func(a, b place) int { return a.due.Compare(b.due) })
	if len(line) < 16 || flashEnd.IsZero() {
		t.Fatalf("%d of %d campaign messages in line, want at least 16; flash sale's last place %v", len(line), len(campaign), flashEnd)
	}
	if gap := line[0].due.Sub(flashEnd); gap > 6*time.Second {
		t.Fatalf("the campaign's first place is %v after the flash sale's last, want at most 6s: the %d expired messages kept theirs", gap, expired)
	}

	// The campaign is called off but for its first four places.
	c := NewCanceler(p.store, time.Hour)
	issuer := testIssuer(t)
	var off []string
	for _, pl := range line[4:] {
		at, err := issuer.Check("shop", pl.id)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Cancel(ctx, "shop", pl.id, at); err != nil {
			t.Fatalf("cancel %s: %v", pl.id, err)
		}
		off = append(off, pl.id)
	}
	p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, off) })
	late := send("+1415559", 1, 0)[0]
	evs = p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return queuedOrFinal(m, []string{late}) })
	if due, ok := lineDue(t, evs[late]); ok && !due.Before(line[10].due) {
		t.Fatalf("marketing sent after the campaign was called off waits until %v, behind the 11th place (%v), which was canceled", due, line[10].due)
	}
}

// queuedOrFinal reports whether every message of ids has waited or ended.
func queuedOrFinal(m map[string][]*recordv1.Event, ids []string) bool {
	return !slices.ContainsFunc(ids, func(id string) bool {
		return !slices.ContainsFunc(m[id], func(ev *recordv1.Event) bool {
			return core.Status(ev.Status) == core.StatusQueued || core.Status(ev.Status).Final()
		})
	})
}

// lineDue is the time the first rate-limit wait of a message's events
// ran to.
func lineDue(t *testing.T, evs []*recordv1.Event) (time.Time, bool) {
	t.Helper()
	for _, ev := range evs {
		if core.Status(ev.Status) != core.StatusQueued || !strings.HasSuffix(ev.Reason, "(rate_limit)") {
			continue
		}
		var at string
		if _, err := fmt.Sscanf(ev.Reason, "waiting until %s (rate_limit)", &at); err != nil {
			t.Fatalf("reason %q: %v", ev.Reason, err)
		}
		due, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatalf("reason %q: %v", ev.Reason, err)
		}
		return due, true
	}
	return time.Time{}, false
}

// sendAll sends the n requests req makes through the intake and returns
// their ids.
func (p *testPipeline) sendAll(ctx context.Context, t *testing.T, n int, req func(i int) Request) []string {
	t.Helper()
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = req(i)
	}
	out := make([]Result, n)
	if err := p.intake.Send(ctx, reqs, out); err != nil {
		t.Fatal(err)
	}
	ids := make([]string, n)
	for i, r := range out {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		ids[i] = r.ID
	}
	return ids
}

// rateLimitWaits counts the times message id waited (its QUEUED events),
// and fails t when one of them was not for the rate limit.
func rateLimitWaits(t *testing.T, id string, evs []*recordv1.Event) (n int) {
	t.Helper()
	for _, ev := range evs {
		if core.Status(ev.Status) == core.StatusQueued {
			n++
			if !strings.HasSuffix(ev.Reason, "(rate_limit)") {
				t.Fatalf("%s queued with reason %q", id, ev.Reason)
			}
		}
	}
	return n
}

// hang holds every submit back from the carrier until open is closed, as
// a carrier whose connection is down holds the submits of its window,
// and records when each one went on to it. A submit whose context ends
// first did not reach the carrier.
type hang struct {
	carriers.Carrier
	open chan struct{}
	mu   sync.Mutex
	at   []time.Time
}

func (h *hang) Submit(ctx context.Context, s *carriers.Submission) (carriers.Accepted, error) {
	select {
	case <-h.open:
	case <-ctx.Done():
		return carriers.Accepted{}, fmt.Errorf("carrier hangs: %w", carriers.ErrUnavailable)
	}
	h.mu.Lock()
	h.at = append(h.at, time.Now())
	h.mu.Unlock()
	return h.Carrier.Submit(ctx, s)
}

// busiest is the most of the sorted times at that fall within any d.
func busiest(at []time.Time, d time.Duration) (most int) {
	first := 0
	for i, t := range at {
		for t.Sub(at[first]) >= d {
			first++
		}
		most = max(most, i-first+1)
	}
	return most
}

// TestLimitHoldsAfterCarrierHang: the carrier hangs while a store's
// order updates take their turns, so every turn passes with its message
// still waiting for the carrier. When the carrier comes back, the
// messages go at the store's limit, not all at once: a turn taken but
// not used on time is not used late on top of the turns of the present.
func TestLimitHoldsAfterCarrierHang(t *testing.T) {
	t.Parallel()
	const limit, n, slots = 10, 60, 4
	h := &hang{open: make(chan struct{})}
	var once sync.Once
	reopen := func() { once.Do(func() { close(h.open) }) }
	defer reopen()
	p := startPipelineWith(t, smscsim.Config{Addr: "127.0.0.1:0", Seed: 9, ReceiptDelay: 10 * time.Millisecond},
		pipelineSetup{wrap: func(c carriers.Carrier) carriers.Carrier { h.Carrier = c; return h }},
		WithLimits(NewLimits(map[string]TenantLimit{"shop": {Rate: limit}})), WithCarrierWindow(slots))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ids := p.sendAll(ctx, t, n, func(i int) Request {
		return Request{TenantID: "shop", To: fmt.Sprintf("+1415556%04d", i), Body: "Your order has shipped"}
	})
	// The last of the turns, ten at once and then ten a second, is 5 s
	// off: hang until all have passed.
	select {
	case <-time.After(time.Duration(n-limit)*time.Second/limit + 2*time.Second):
	case <-ctx.Done():
		t.Fatal(ctx.Err())
	}
	reopen()
	evs := p.events(ctx, t, func(m map[string][]*recordv1.Event) bool { return allFinalEvents(m, ids) })
	waits, most := 0, 0
	for _, id := range ids {
		if s := core.Status(finalOf(evs[id]).GetStatus()); s != core.StatusDelivered && s != core.StatusUndelivered {
			t.Fatalf("%s ended %v: %v", id, s, evs[id])
		}
		n := rateLimitWaits(t, id, evs[id])
		waits, most = waits+n, max(most, n)
	}
	// Once for its turn, once for its submit, which it holds.
	if most > 2 {
		t.Fatalf("a message waited %d times in the scheduler, want at most 2", most)
	}
	t.Logf("%d waits in the scheduler, at most %d for one message", waits, most)
	h.mu.Lock()
	at := slices.Clone(h.at)
	h.mu.Unlock()
	slices.SortFunc(at, time.Time.Compare)
	// In any second: the window's submits the hang held, the burst (a
	// second's worth) and a second's turns.
	most = busiest(at, time.Second)
	if want := slots + 2*limit + 1; most > want {
		t.Fatalf("%d submits within a second after the carrier came back, want at most %d at a limit of %d/s", most, want, limit)
	}
	t.Logf("%d submits, at most %d within a second; the last %v after the carrier came back", len(at), most, at[len(at)-1].Sub(at[0]).Round(time.Millisecond))
}

// BenchmarkLimitsReservePace is what the limits cost a message of a tenant
// with a tenant and a sender id limit: its turn and its submit.
func BenchmarkLimitsReservePace(b *testing.B) {
	l := NewLimits(map[string]TenantLimit{"shop": {Rate: 1e9, SenderRate: 1e9}})
	b.ReportAllocs()
	for b.Loop() {
		l.Reserve("shop", "ShopName", core.CategoryTransactional, "")
		l.Pace("shop", "ShopName", core.CategoryTransactional, scheduleSlack)
	}
}

// Limiters are kept per sender id, and sender ids come from requests: a
// tenant sending from ever new ones must not grow memory without end.
// Limiters of senders gone idle are dropped; one whose sender still waits
// for its turns is kept, with its turns.
func TestLimitsForgetIdleSenders(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		l := NewLimits(map[string]TenantLimit{"shop": {SenderRate: 10}})
		for range 10_000 { // 1,000 s of turns at 10/s
			l.Reserve("shop", "BUSY", core.CategoryTransactional, "")
		}
		const senders = 100_000
		for i := range senders {
			l.Reserve("shop", fmt.Sprintf("S%06d", i), core.CategoryTransactional, "")
			if i%1000 == 999 {
				time.Sleep(time.Second) // a second on, those senders are idle
			}
		}
		l.mu.Lock()
		n := len(l.limiters)
		l.mu.Unlock()
		if n > 4*1024 {
			t.Fatalf("%d limiters after %d senders that each sent once", n, senders)
		}
		if w := l.Reserve("shop", "BUSY", core.CategoryTransactional, "").Wait; w < 800*time.Second {
			t.Fatalf("BUSY's next turn in %v: its limiter was dropped while it waited", w)
		}
	})
}
