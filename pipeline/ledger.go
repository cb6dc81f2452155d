package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/carriers"
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
	// refused: this attempt's Begin failed the message for its
	// recipient's consent (reason says why); it is never submitted.
	refused bool
	token   int64 // the row's intent token (beginConsentSQL)
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
//
// An answer is a carrier's word that exists nowhere else: one the ledger
// could not write is kept and written again, ahead of every later batch,
// until it is written or the ledger stops. So a database error never
// leaves a message in doubt; only the process ending does. A batch that
// fails for one item's values (dataError) is written again in halves,
// down to that item, which alone fails, with ErrUnstorable (splitting).
type Ledger struct {
	s       *Store
	w       *batcher[ledgerOp, prior]
	write   batchFunc[ledgerOp, prior]
	metrics *Metrics
}

// ledgerOp is one Begin (intent) or one Answer (answer set).
type ledgerOp struct {
	intent intent
	answer *answer
}

// intent is one Begin: the message, and the token of the attempt it
// starts. An attempt's Begins carry one token until it submits, so a
// Begin whose reply was lost and that is made again finds its own intent
// rather than one in doubt.
type intent struct {
	Ref
	token int64
	// consentKey, when set, is the recipient's key in the consent
	// ledger's state table: the intent is checked against it in the same
	// statement (beginConsentSQL).
	consentKey []byte
}

// ledgerBatch is the most rows one ledger statement writes.
const ledgerBatch = 1000

// answerRetry paces the writes of kept answers.
var answerRetry = Backoff{Base: 100 * time.Millisecond, Max: 2 * time.Second}

// NewLedger returns a ledger on s. Run must be running for Begin and
// Answer to complete.
func NewLedger(s *Store, m *Metrics) *Ledger {
	l := &Ledger{s: s, metrics: m}
	l.write = splitting(l.execOps)
	l.w = newBatcher(ledgerBatch, l.exec)
	return l
}

// Run serves ledger writes until ctx ends. One worker writes batch after
// batch, which is what keeps them in order; a batch fills while the one
// before it commits. A ledger runs once.
func (l *Ledger) Run(ctx context.Context) error {
	l.w.run(ctx)
	return nil
}

// Begin records the intent to submit ref's message and returns what the
// ledger held for it before. token names the attempt (newIntentToken):
// the same until the attempt submits, a new one after.
func (l *Ledger) Begin(ctx context.Context, ref Ref, token int64) (prior, error) {
	return l.begin(ctx, intent{Ref: ref, token: token})
}

// begin records in, checked against the consent ledger when it has a
// consent key.
func (l *Ledger) begin(ctx context.Context, in intent) (prior, error) {
	return l.w.do(ctx, ledgerOp{intent: in})
}

// Answer records a carrier's answer. queued, if not nil, is called once
// the answer has its place in the queue, before it commits: from then on
// any Begin commits with it or after it. Answer returns once the answer
// is written, or with an error when it was refused for good
// (ErrUnstorable), the ledger stopped, or ctx ended; in the last case the
// ledger still writes it.
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

// newIntentToken returns a token for a new attempt: random, never 0 (the
// token of rows written before tokens).
func newIntentToken() int64 {
	return int64(rand.Uint64() | 1)
}

// exec writes one batch and then, until they are written or ctx ends,
// the answers it could not write for a reason other than their values.
// Later batches wait meanwhile, so their intents still commit after these
// answers. Intents that failed are the callers' to make again.
func (l *Ledger) exec(ctx context.Context, ops []ledgerOp, out []batchReply[prior]) {
	l.write(ctx, ops, out)
	kept := keptAnswers(ops, out, nil)
	for attempt := 1; len(kept) > 0; attempt++ {
		l.s.log.Warn("ledger answers kept, writing them again", "answers", len(kept), "attempt", attempt, "err", out[kept[0]].err)
		if !sleepCtx(ctx, answerRetry.Delay(attempt)) {
			return // stopping: the kept answers' callers get the error
		}
		sub := make([]ledgerOp, len(kept))
		subOut := make([]batchReply[prior], len(kept))
		for j, i := range kept {
			sub[j] = ops[i]
		}
		l.write(ctx, sub, subOut)
		for j, i := range kept {
			out[i] = subOut[j]
		}
		kept = keptAnswers(ops, out, kept[:0])
	}
}

// keptAnswers appends to dst the indexes of the answers in ops whose
// write failed other than for good.
func keptAnswers(ops []ledgerOp, out []batchReply[prior], dst []int) []int {
	for i, op := range ops {
		if op.answer != nil && out[i].err != nil && !errors.Is(out[i].err, ErrUnstorable) {
			dst = append(dst, i)
		}
	}
	return dst
}

// execOps writes one batch: its answers, then its intents, in one
// transaction and one round trip. A batch that names a message twice in
// one kind (a row may change once per statement) is written a row at a
// time instead, answers first; written again, such rows come out the
// same (answers change only rows not yet answered, and an intent finds
// its own token).
func (l *Ledger) execOps(ctx context.Context, ops []ledgerOp) ([]prior, error) {
	var ins []intent
	var inAt []int // ins[j] is ops[inAt[j]]
	var as []answer
	for i, op := range ops {
		if op.answer != nil {
			as = append(as, *op.answer)
			continue
		}
		ins = append(ins, op.intent)
		inAt = append(inAt, i)
	}
	start := time.Now()
	var priors []prior
	var err error
	if hasDuplicateIDs(ins, func(in intent) string { return in.MessageID }) || hasDuplicateIDs(as, func(a answer) string { return a.messageID }) {
		if _, err = oneByOne(ctx, as, l.execAnswer); err == nil {
			priors, err = oneByOne(ctx, ins, l.execBegin)
		}
	} else {
		priors, err = l.execBoth(ctx, as, ins)
	}
	d := time.Since(start)
	if len(as) > 0 {
		l.metrics.observeLedgerBatch("answer", len(as), d)
	}
	if len(ins) > 0 {
		l.metrics.observeLedgerBatch("begin", len(ins), d)
	}
	if err != nil {
		return nil, err
	}
	out := make([]prior, len(ops))
	for j, i := range inAt {
		out[i] = priors[j]
	}
	return out, nil
}

// execBoth sends the answer and intent statements together; without an
// explicit transaction the server runs them as one.
func (l *Ledger) execBoth(ctx context.Context, as []answer, ins []intent) ([]prior, error) {
	b := &pgx.Batch{}
	if len(as) > 0 {
		b.Queue(answerSQL, answerArgs(as)...)
	}
	if len(ins) > 0 {
		sql, args := beginStatement(ins)
		b.Queue(sql, args...)
	}
	br := l.s.pool.SendBatch(ctx, b)
	defer br.Close()
	if len(as) > 0 {
		if _, err := br.Exec(); err != nil {
			return nil, fmt.Errorf("ledger answer: %w", err)
		}
	}
	if len(ins) == 0 {
		return nil, br.Close()
	}
	rows, err := br.Query()
	if err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	priors, err := scanPriors(rows, ins, anyChecked(ins))
	if err != nil {
		return nil, err
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("ledger: %w", err)
	}
	return priors, nil
}

// beginSQL upserts intents. A row found submitting under another token is
// in doubt: an attempt that may have submitted left it. Found under the
// intent's own token, it is the row of this attempt's Begin whose reply
// was lost, and keeps what that Begin found.
const beginSQL = `
INSERT INTO deliveries AS d (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin, state, intent)
SELECT m, t, c, r, g, cat, enc, car, o, 1, tok
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[], $8::text[], $9::text[], $10::int8[])
	AS x(m, t, c, r, g, cat, enc, car, o, tok)
ON CONFLICT (message_id) DO UPDATE SET
	attempts       = d.attempts + 1,
	in_doubt       = d.in_doubt + (d.state = 1 AND d.intent <> excluded.intent)::int,
	begin_in_doubt = CASE WHEN d.state = 1 AND d.intent = excluded.intent THEN d.begin_in_doubt ELSE d.state = 1 END,
	doubt_carrier  = CASE WHEN d.state = 1 AND d.intent = excluded.intent THEN d.doubt_carrier
		WHEN d.state = 1 THEN d.carrier ELSE '' END,
	state          = CASE WHEN d.state = 0 THEN 1 ELSE d.state END,
	carrier   = CASE WHEN d.state IN (0, 1) THEN excluded.carrier ELSE d.carrier END,
	intent    = CASE WHEN d.state IN (0, 1) THEN excluded.intent ELSE d.intent END,
	intent_at = CASE WHEN d.state IN (0, 1) THEN now() ELSE d.intent_at END
RETURNING message_id, (xmax = 0), begin_in_doubt, doubt_carrier, state, carrier, carrier_ids, error_code, reason`

// execBegin upserts intents. A row found in state 0 (refused) becomes 1;
// one found in state 1 is counted in doubt (unless it is the intent's
// own) and stays 1; accepted and failed rows are left as they are.
func (l *Ledger) execBegin(ctx context.Context, ins []intent) ([]prior, error) {
	if hasDuplicateIDs(ins, func(in intent) string { return in.MessageID }) {
		return oneByOne(ctx, ins, l.execBegin)
	}
	sql, args := beginStatement(ins)
	rows, err := l.s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	return scanPriors(rows, ins, anyChecked(ins))
}

func beginArgs(ins []intent) []any {
	cols := make([][]string, 7)
	cats := make([]int16, len(ins))
	encs := make([]int16, len(ins))
	toks := make([]int64, len(ins))
	for i, r := range ins {
		for j, v := range []string{r.MessageID, r.TenantID, r.CampaignID, r.To, r.Region, r.Carrier, r.Origin} {
			if cols[j] == nil {
				cols[j] = make([]string, len(ins))
			}
			cols[j][i] = v
		}
		cats[i], encs[i], toks[i] = int16(r.Category), int16(r.Encoding), r.token
	}
	return []any{cols[0], cols[1], cols[2], cols[3], cols[4], cats, encs, cols[5], cols[6], toks}
}

// scanPriors reads the rows of beginSQL, or with consent of
// beginConsentSQL, one per ref, and closes them.
func scanPriors(rows pgx.Rows, ins []intent, consent bool) ([]prior, error) {
	defer rows.Close()
	byID := make(map[string]prior, len(ins))
	for rows.Next() {
		var id string
		var p prior
		var state int16
		dst := []any{&id, &p.fresh, &p.inDoubt, &p.doubtCarrier, &state, &p.carrier, &p.carrierIDs, &p.errorCode, &p.reason}
		if consent {
			dst = append(dst, &p.token)
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, fmt.Errorf("ledger begin: %w", err)
		}
		p.state = ledgerState(state)
		byID[id] = p
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger begin: %w", err)
	}
	out := make([]prior, len(ins))
	for i, r := range ins {
		p, ok := byID[r.MessageID]
		if !ok {
			return nil, fmt.Errorf("ledger begin: no row returned for %s", r.MessageID)
		}
		// Failed under this attempt's own token: its Begin refused it.
		p.refused = consent && p.state == stateFailed && p.token == r.token
		out[i] = p
	}
	return out, nil
}

// idSep joins a message's carrier ids into one array element; carrier ids
// are written printable (carriers.PrintableID) and never contain it.
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
		// A carrier's words are stored as printable text: a byte that is
		// not (a NUL, a sequence that is not UTF-8, the separator) would
		// have the database refuse the answer.
		ms[i], sts[i], cars[i] = a.messageID, int16(a.state), a.carrier
		errs[i], reasons[i] = carriers.PrintableID(a.errorCode), carriers.PrintableID(a.reason)
		ids[i] = joinIDs(a.ids)
		for part, id := range a.ids {
			if id == "" {
				continue
			}
			id = carriers.PrintableID(id)
			jc, jid, jm, jp = append(jc, a.carrier), append(jid, id), append(jm, a.messageID), append(jp, int16(part))
		}
	}
	return []any{ms, sts, cars, ids, errs, jc, jid, jm, jp, reasons}
}

// joinIDs joins carrier ids, written printable, with idSep.
func joinIDs(ids []string) string {
	switch len(ids) {
	case 0:
		return ""
	case 1:
		return carriers.PrintableID(ids[0])
	}
	p := make([]string, len(ids))
	for i, id := range ids {
		p[i] = carriers.PrintableID(id)
	}
	return strings.Join(p, idSep)
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
