package pipeline

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// ErrUnknownReceipt is returned for a receipt whose carrier id matches no
// submitted message.
var ErrUnknownReceipt = errors.New("receipt for unknown carrier message id")

// Ref is what the receipt path must know about a submitted message to
// record its outcome.
type Ref struct {
	MessageID  string
	TenantID   string
	CampaignID string
	To         string
	Region     string
	Category   core.Category
	Encoding   gsm.Encoding
	Carrier    string
	// Parts is how many parts the carrier accepted, one receipt each.
	Parts int
}

// Outcome is a message's state after a receipt was applied.
type Outcome struct {
	Ref    Ref
	Status core.Status
	// Changed is true when this receipt moved the message to Status: the
	// last part's final receipt arrived. Repeated and intermediate receipts
	// leave it false.
	Changed bool
	// ErrorCode is the carrier's error for the first part that did not deliver.
	ErrorCode string
	Done      time.Time
}

// Joiner keeps the map from carrier message ids to tern's messages and
// rolls up the receipts of a multipart message into one outcome.
type Joiner interface {
	// Record remembers that carrier accepted ref's parts under ids.
	Record(ctx context.Context, ref Ref, ids []string) error
	// Apply applies one part's receipt. It returns ErrUnknownReceipt when
	// the id is not (yet) recorded.
	Apply(ctx context.Context, r carriers.Receipt) (Outcome, error)
}

// MemJoiner is a Joiner held in memory: it works for one instance and does
// not survive a restart. Entries are forgotten after their TTL. Safe for
// concurrent use.
type MemJoiner struct {
	ttl time.Duration

	mu    sync.Mutex
	byID  map[string]partRef
	swept time.Time
}

type partRef struct {
	m    *joined
	part int
}

type joined struct {
	ref     Ref
	parts   []core.Status
	errCode string
	done    bool
	at      time.Time
}

// NewMemJoiner returns a MemJoiner forgetting entries after ttl (default 72h).
func NewMemJoiner(ttl time.Duration) *MemJoiner {
	if ttl <= 0 {
		ttl = 72 * time.Hour
	}
	return &MemJoiner{ttl: ttl, byID: map[string]partRef{}}
}

func joinKey(carrier, id string) string { return carrier + "\x00" + id }

// Record implements Joiner.
func (j *MemJoiner) Record(_ context.Context, ref Ref, ids []string) error {
	now := time.Now()
	m := &joined{ref: ref, parts: make([]core.Status, len(ids)), at: now}
	m.ref.Parts = len(ids)
	j.mu.Lock()
	defer j.mu.Unlock()
	for i, id := range ids {
		j.byID[joinKey(ref.Carrier, id)] = partRef{m: m, part: i}
	}
	if now.Sub(j.swept) > j.ttl/10 {
		for k, p := range j.byID {
			if now.Sub(p.m.at) > j.ttl {
				delete(j.byID, k)
			}
		}
		j.swept = now
	}
	return nil
}

// Apply implements Joiner.
func (j *MemJoiner) Apply(_ context.Context, r carriers.Receipt) (Outcome, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	p, ok := j.byID[joinKey(r.Carrier, r.ID)]
	if !ok {
		return Outcome{}, ErrUnknownReceipt
	}
	m := p.m
	out := Outcome{Ref: m.ref, Status: core.StatusSubmitted, Done: r.Done}
	if m.done || !r.Status.Final() {
		out.Status = rollUp(m.parts)
		return out, nil
	}
	m.parts[p.part] = r.Status
	if r.Status != core.StatusDelivered && m.errCode == "" {
		m.errCode = r.Err
	}
	for _, s := range m.parts {
		if !s.Final() {
			return out, nil
		}
	}
	m.done = true
	out.Status, out.Changed, out.ErrorCode = rollUp(m.parts), true, m.errCode
	return out, nil
}

// rollUp combines part statuses into the message's: delivered only when
// every part was; otherwise the most telling failure among the parts.
func rollUp(parts []core.Status) core.Status {
	worst := core.StatusDelivered
	for _, s := range parts {
		if !s.Final() {
			return core.StatusSubmitted
		}
		if failureWeight(s) > failureWeight(worst) {
			worst = s
		}
	}
	return worst
}

func failureWeight(s core.Status) int {
	switch s {
	case core.StatusDelivered:
		return 0
	case core.StatusUnknown:
		return 1
	case core.StatusExpired:
		return 2
	case core.StatusUndelivered:
		return 3
	case core.StatusRejected:
		return 4
	}
	return 5
}
