package pipeline

import "time"

// sendCheck is what a message's Begin checks in the database, in the
// statement that records its intent, so that what was committed before
// that statement decides: a STOP recorded before the intent wins over the
// submit, on any instance, whatever the in-memory sets have seen yet.
type sendCheck struct {
	// key is the recipient's key in the consent ledger's state table
	// (pipeline/consent's Hasher); nil checks nothing (tern's own consent
	// messages, or no consent ledger).
	key []byte
	// capMax marketing messages to the recipient within capWindow, counted
	// from the delivery ledger's intents (accepted or on the wire); zero
	// is no cap. Over it the message fails, or with capDefer is reported
	// (prior.capUntil) for the caller to hold it.
	capMax    int
	capWindow time.Duration
	capDefer  bool
}

// anyChecked tells whether any of ins is to be checked: the batch then takes
// beginConsentSQL, which needs the consent ledger's schema.
func anyChecked(ins []intent) bool {
	for _, in := range ins {
		if in.check.key != nil {
			return true
		}
	}
	return false
}

// beginStatement is the statement recording ins, and its arguments.
func beginStatement(ins []intent) (string, []any) {
	args := beginArgs(ins)
	if !anyChecked(ins) {
		return beginSQL, args
	}
	keys := make([][]byte, len(ins))
	caps := make([]int32, len(ins))
	wins := make([]int64, len(ins))
	defers := make([]bool, len(ins))
	for i, in := range ins {
		keys[i], caps[i], wins[i], defers[i] = in.check.key, int32(in.check.capMax), in.check.capWindow.Microseconds(), in.check.capDefer
	}
	return beginConsentSQL, append(args, keys, caps, wins, defers)
}

// beginConsentSQL is beginSQL that also checks each intent with a key:
// consent_refusal (pipeline/consent's schema) reads the recipient's
// committed consent state, and with a cap the capMax-th latest marketing
// intent to the recipient within the window (deliveries_marketing) tells
// whether the cap is reached and until when. A refused message's row
// ends failed with the reason ("opted out", "no marketing consent",
// "suppressed", "frequency cap"), answered, never submitted; a row
// settled before is left as it is.
const beginConsentSQL = `
WITH x AS (
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[], $8::text[], $9::text[], $10::int8[],
		$11::bytea[], $12::int4[], $13::int8[], $14::bool[])
		AS x(m, t, c, r, g, cat, enc, car, o, tok, k, cap, win, dfr)
), v AS (
	SELECT x.*, CASE WHEN x.k IS NOT NULL THEN consent_refusal(x.k, x.cat) END AS refusal,
		CASE WHEN x.k IS NOT NULL AND x.cap > 0 THEN (
			SELECT p.intent_at + x.win * interval '1 microsecond' FROM deliveries p
			WHERE p.recipient = x.r AND p.tenant_id = x.t AND p.category = 2 AND p.state IN (1, 2) AND p.message_id <> x.m
			ORDER BY p.intent_at DESC OFFSET x.cap - 1 LIMIT 1) END AS cap_at
	FROM x
), w AS (
	SELECT v.*, CASE WHEN v.cap_at > now() THEN v.cap_at END AS cap_until,
		coalesce(v.refusal, CASE WHEN v.cap_at > now() AND NOT v.dfr THEN 'frequency cap' END) AS why
	FROM v
), ins AS (
	INSERT INTO deliveries AS d (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin, state, intent,
		reason, done, answered_at)
	SELECT m, t, c, r, g, cat, enc, CASE WHEN why IS NULL THEN car ELSE '' END, o, CASE WHEN why IS NULL THEN 1 ELSE 3 END, tok,
		coalesce(why, ''), why IS NOT NULL, CASE WHEN why IS NOT NULL THEN now() END
	FROM w
	ON CONFLICT (message_id) DO UPDATE SET
		attempts       = d.attempts + 1,
		in_doubt       = d.in_doubt + (d.state = 1 AND d.intent <> excluded.intent)::int,
		begin_in_doubt = CASE WHEN d.state = 1 AND d.intent = excluded.intent THEN d.begin_in_doubt ELSE d.state = 1 END,
		doubt_carrier  = CASE WHEN d.state = 1 AND d.intent = excluded.intent THEN d.doubt_carrier
			WHEN d.state = 1 THEN d.carrier ELSE '' END,
		state       = CASE WHEN d.state NOT IN (0, 1) THEN d.state WHEN excluded.state = 3 THEN 3 ELSE 1 END,
		carrier     = CASE WHEN d.state IN (0, 1) THEN excluded.carrier ELSE d.carrier END,
		intent      = CASE WHEN d.state IN (0, 1) THEN excluded.intent ELSE d.intent END,
		intent_at   = CASE WHEN d.state IN (0, 1) THEN now() ELSE d.intent_at END,
		reason      = CASE WHEN d.state IN (0, 1) AND excluded.state = 3 THEN excluded.reason ELSE d.reason END,
		done        = CASE WHEN d.state IN (0, 1) AND excluded.state = 3 THEN true ELSE d.done END,
		answered_at = CASE WHEN d.state IN (0, 1) AND excluded.state = 3 THEN now() ELSE d.answered_at END
	RETURNING message_id, (xmax = 0) AS fresh, begin_in_doubt, doubt_carrier, state, carrier, carrier_ids, error_code, reason
)
SELECT ins.*, w.why IS NOT NULL AND ins.state = 3 AND ins.reason = w.why, w.cap_until FROM ins JOIN w ON w.m = ins.message_id`
