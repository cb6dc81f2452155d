package pipeline

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ledgerState is where a message stands in the delivery ledger.
type ledgerState int16

const (
	// stateRefused: not on the wire; a carrier refused it for now or no
	// carrier was reachable. Submitting again is safe.
	stateRefused ledgerState = 0
	// stateSubmitting: the intent to submit is recorded, the carrier's
	// answer is not. If it is found in this state later, the submit is in
	// doubt.
	stateSubmitting ledgerState = 1
	// stateAccepted: a carrier accepted it. It is never submitted again.
	stateAccepted ledgerState = 2
	// stateFailed: it failed for good.
	stateFailed ledgerState = 3
	// stateCanceled: Cancel withdrew it before any carrier had it. It is
	// never submitted.
	stateCanceled ledgerState = 4
)

// prior is what Begin found and did. state is stateSubmitting when the
// message is to be submitted now, or stateAccepted / stateFailed when an
// earlier attempt settled it and it must not be submitted again.
type prior struct {
	fresh bool // no row existed: first attempt
	// inDoubt: an earlier submit may have reached the carrier without its
	// answer being recorded.
	inDoubt bool
	// doubtCarrier is the carrier that had the message in doubt.
	doubtCarrier string
	state        ledgerState
	carrier      string
	carrierIDs   []string
	errorCode    string
	reason       string
}

// answer is a carrier's answer to record.
type answer struct {
	messageID string
	state     ledgerState // stateAccepted, stateRefused or stateFailed
	carrier   string
	ids       []string // accepted parts' carrier ids, in part order
	errorCode string
	reason    string
}

// Ledger is the durable record of what was handed to which carrier. Begin
// records the intent before a message goes on the wire and reports what an
// earlier attempt left; Answer records the outcome. Both are batched across
// all of an instance's actors, in one queue: a batch writes its answers
// and then its intents in one transaction, and batches commit in the order
// they were queued, so an intent queued after an answer never commits
// before it. A message the ledger holds as accepted is never submitted
// again, on any instance.
type Ledger struct {
	s       *Store
	w       *batcher[ledgerOp, prior]
	metrics *Metrics
}

// ledgerOp is one Begin (ref) or one Answer (answer set).
type ledgerOp struct {
	ref    Ref
	answer *answer
}

// ledgerBatch is the most rows one ledger statement writes.
const ledgerBatch = 1000

// NewLedger returns a ledger on s. Run must be running for Begin and
// Answer to complete.
func NewLedger(s *Store, m *Metrics) *Ledger {
	l := &Ledger{s: s, metrics: m}
	l.w = newBatcher(ledgerBatch, l.exec)
	return l
}

// Run serves ledger writes until ctx ends. One worker writes batch after
// batch, which is what keeps them in order; a batch fills while the one
// before it commits.
func (l *Ledger) Run(ctx context.Context) error {
	l.w.run(ctx)
	return nil
}

// Begin records the intent to submit ref's message and returns what the
// ledger held for it before.
func (l *Ledger) Begin(ctx context.Context, ref Ref) (prior, error) {
	return l.w.do(ctx, ledgerOp{ref: ref})
}

// Answer records a carrier's answer. queued, if not nil, is called once
// the answer has its place in the queue, before it commits: from then on
// any Begin commits with it or after it.
func (l *Ledger) Answer(ctx context.Context, a answer, queued func()) error {
	wait, err := l.w.enqueue(ctx, ledgerOp{answer: &a})
	if err != nil {
		return err
	}
	if queued != nil {
		queued()
	}
	_, err = wait(ctx)
	return err
}

// exec writes one batch: its answers, then its intents, in one
// transaction and one round trip. A batch that names a message twice in
// one kind (a row may change once per statement) is written a row at a
// time instead, answers first.
func (l *Ledger) exec(ctx context.Context, ops []ledgerOp) ([]prior, error) {
	var refs []Ref
	var refAt []int // refs[j] is ops[refAt[j]]
	var as []answer
	for i, op := range ops {
		if op.answer != nil {
			as = append(as, *op.answer)
			continue
		}
		refs = append(refs, op.ref)
		refAt = append(refAt, i)
	}
	start := time.Now()
	var priors []prior
	var err error
	if hasDuplicateIDs(refs, func(r Ref) string { return r.MessageID }) || hasDuplicateIDs(as, func(a answer) string { return a.messageID }) {
		if _, err = oneByOne(ctx, as, l.execAnswer); err == nil {
			priors, err = oneByOne(ctx, refs, l.execBegin)
		}
	} else {
		priors, err = l.execBoth(ctx, as, refs)
	}
	d := time.Since(start)
	if len(as) > 0 {
		l.metrics.observeLedgerBatch("answer", len(as), d)
	}
	if len(refs) > 0 {
		l.metrics.observeLedgerBatch("begin", len(refs), d)
	}
	if err != nil {
		return nil, err
	}
	out := make([]prior, len(ops))
	for j, i := range refAt {
		out[i] = priors[j]
	}
	return out, nil
}

// execBoth sends the answer and intent statements together; without an
// explicit transaction the server runs them as one.
func (l *Ledger) execBoth(ctx context.Context, as []answer, refs []Ref) ([]prior, error) {
	b := &pgx.Batch{}
	if len(as) > 0 {
		b.Queue(answerSQL, answerArgs(as)...)
	}
	if len(refs) > 0 {
		b.Queue(beginSQL, beginArgs(refs)...)
	}
	br := l.s.pool.SendBatch(ctx, b)
	defer br.Close()
	if len(as) > 0 {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("ledger answer: %w", err)
		}
	}
	if len(refs) == 0 {
		return nil, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	priors, err := scanPriors(rows, refs)
	if err != nil {
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return priors, nil
}

const beginSQL = `
INSERT INTO deliveries AS d (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin, state)
SELECT m, t, c, r, g, cat, enc, car, o, 1
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[], $8::text[], $9::text[])
	AS x(m, t, c, r, g, cat, enc, car, o)
ON CONFLICT (message_id) DO UPDATE SET
	attempts       = d.attempts + 1,
	in_doubt       = d.in_doubt + (d.state = 1)::int,
	begin_in_doubt = (d.state = 1),
	doubt_carrier  = CASE WHEN d.state = 1 THEN d.carrier ELSE '' END,
	state          = CASE WHEN d.state = 0 THEN 1 ELSE d.state END,
	carrier   = CASE WHEN d.state IN (0, 1) THEN excluded.carrier ELSE d.carrier END,
	intent_at = CASE WHEN d.state IN (0, 1) THEN now() ELSE d.intent_at END
RETURNING message_id, (xmax = 0), begin_in_doubt, doubt_carrier, state, carrier, carrier_ids, error_code, reason`

// execBegin upserts intents. A row found in state 0 (refused) becomes 1;
// one found in state 1 is counted in doubt and stays 1; accepted and
// failed rows are left as they are.
func (l *Ledger) execBegin(ctx context.Context, refs []Ref) ([]prior, error) {
	if hasDuplicateIDs(refs, func(r Ref) string { return r.MessageID }) {
		return oneByOne(ctx, refs, l.execBegin)
	}
	rows, err := l.s.pool.Query(ctx, beginSQL, beginArgs(refs)...)
	if err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	return scanPriors(rows, refs)
}

func beginArgs(refs []Ref) []any {
	cols := make([][]string, 7)
	cats := make([]int16, len(refs))
	encs := make([]int16, len(refs))
	for i, r := range refs {
		for j, v := range []string{r.MessageID, r.TenantID, r.CampaignID, r.To, r.Region, r.Carrier, r.Origin} {
			if cols[j] == nil {
				cols[j] = make([]string, len(refs))
			}
			cols[j][i] = v
		}
		cats[i], encs[i] = int16(r.Category), int16(r.Encoding)
	}
	return []any{cols[0], cols[1], cols[2], cols[3], cols[4], cats, encs, cols[5], cols[6]}
}

// scanPriors reads beginSQL's rows, one per ref, and closes them.
func scanPriors(rows pgx.Rows, refs []Ref) ([]prior, error) {
	defer rows.Close()
	byID := make(map[string]prior, len(refs))
	for rows.Next() {
		var id string
		var p prior
		var state int16
		if err := rows.Scan(&id, &p.fresh, &p.inDoubt, &p.doubtCarrier, &state, &p.carrier, &p.carrierIDs, &p.errorCode, &p.reason); err != nil {
			return nil, fmt.Errorf("ledger begin: %w", err)
		}
		p.state = ledgerState(state)
		byID[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	out := make([]prior, len(refs))
	for i, r := range refs {
		p, ok := byID[r.MessageID]
		if !ok {
			return nil, fmt.Errorf("ledger begin: no row returned for %s", r.MessageID)
		}
		out[i] = p
	}
	return out, nil
}

// idSep joins a message's carrier ids into one array element; carrier ids
// are printable C-octet strings and never contain it.
const idSep = "\x1f"

const answerSQL = `
WITH x AS (
	SELECT * FROM unnest($1::text[], $2::int2[], $3::text[], $4::text[], $5::text[], $10::text[]) AS x(m, st, car, ids, err, reason)
), u AS (
	UPDATE deliveries d SET
		state       = x.st,
		carrier     = x.car,
		carrier_ids = string_to_array(x.ids, E'\x1f'),
		part_status = array_fill(0::int2, ARRAY[coalesce(cardinality(string_to_array(x.ids, E'\x1f')), 0)]),
		error_code  = x.err,
		reason      = x.reason,
		done        = (x.st = 3),
		answered_at = now()
	FROM x
	WHERE d.message_id = x.m AND d.state IN (0, 1)
	RETURNING d.message_id
), j AS (
	INSERT INTO carrier_message_ids (carrier, carrier_message_id, message_id, part)
	SELECT * FROM unnest($6::text[], $7::text[], $8::text[], $9::int2[])
	ON CONFLICT (carrier, carrier_message_id) DO UPDATE SET message_id = excluded.message_id, part = excluded.part
)
SELECT count(*) FROM u`

// execAnswer records answers and, for accepted parts, the carrier-id map
// the receipt join reads, in one statement. An answer never overwrites an
// accepted or failed row.
func (l *Ledger) execAnswer(ctx context.Context, as []answer) ([]struct{}, error) {
	if hasDuplicateIDs(as, func(a answer) string { return a.messageID }) {
		return oneByOne(ctx, as, l.execAnswer)
	}
	if _, err := l.s.pool.Exec(ctx, answerSQL, answerArgs(as)...); err != nil {
		return nil, fmt.Errorf("ledger answer: %w", err)
	}
	return make([]struct{}, len(as)), nil
}

func answerArgs(as []answer) []any {
	ms := make([]string, len(as))
	sts := make([]int16, len(as))
	cars := make([]string, len(as))
	ids := make([]string, len(as))
	errs := make([]string, len(as))
	reasons := make([]string, len(as))
	var jc, jid, jm []string
	var jp []int16
	for i, a := range as {
		ms[i], sts[i], cars[i], errs[i], reasons[i] = a.messageID, int16(a.state), a.carrier, a.errorCode, a.reason
		ids[i] = strings.Join(a.ids, idSep)
		for part, id := range a.ids {
			if id == "" {
				continue
			}
			jc, jid, jm, jp = append(jc, a.carrier), append(jid, id), append(jm, a.messageID), append(jp, int16(part))
		}
	}
	return []any{ms, sts, cars, ids, errs, jc, jid, jm, jp, reasons}
}

// InDoubt returns the ids of messages whose submit was ever in doubt.
func (l *Ledger) InDoubt(ctx context.Context) (map[string]int, error) {
	rows, err := l.s.pool.Query(ctx, "SELECT message_id, in_doubt FROM deliveries WHERE in_doubt > 0")
	if err != nil {
		return nil, fmt.Errorf("ledger in doubt: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

func hasDuplicateIDs[T any](items []T, id func(T) string) bool {
	if len(items) < 2 {
		return false
	}
	seen := make(map[string]struct{}, len(items))
	for _, it := range items {
		k := id(it)
		if _, ok := seen[k]; ok {
			return true
		}
		seen[k] = struct{}{}
	}
	return false
}

// oneByOne runs a batch statement once per item, for batches it cannot
// take whole (a row may change once per statement).
func oneByOne[T, R any](ctx context.Context, items []T, exec func(context.Context, []T) ([]R, error)) ([]R, error) {
	out := make([]R, len(items))
	for i := range items {
		r, err := exec(ctx, items[i:i+1])
		if err != nil {
			return nil, err
		}
		out[i] = r[0]
	}
	return out, nil
}
