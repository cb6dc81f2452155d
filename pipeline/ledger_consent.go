package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// anyChecked tells whether any of ins is checked against the consent
// ledger (intent.consentKey): the batch then takes beginConsentSQL, which
// needs the consent ledger's schema.
func anyChecked(ins []intent) bool {
	for _, in := range ins {
		if in.consentKey != nil {
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
	for i, in := range ins {
		keys[i] = in.consentKey
	}
	return beginConsentSQL, append(args, keys)
}

// beginConsentSQL is beginSQL that checks each intent with a key against
// the recipient's committed consent state, in the statement recording
// the intent, so that a STOP committed before it wins, on any instance,
// whatever the in-memory sets have seen yet: consent_decision
// (pipeline/consent's schema) reads the state row found by key. A refused
// message's row ends failed with the reason ("opted out", "no marketing
// consent", "suppressed"), answered, and is never submitted; a row
// settled before is left as it is. It returns the row's intent token, so
// that the caller tells a refusal of this intent (its own token) from a
// failure of an earlier attempt.
const beginConsentSQL = `
INSERT INTO deliveries AS d (message_id, tenant_id, campaign_id, recipient, region, category, encoding, carrier, origin, state, intent,
	reason, done, answered_at)
SELECT m, t, c, r, g, cat, enc, CASE WHEN why IS NULL THEN car ELSE '' END, o, CASE WHEN why IS NULL THEN 1 ELSE 3 END, tok,
	coalesce(why, ''), why IS NOT NULL, CASE WHEN why IS NOT NULL THEN now() END
FROM (
	SELECT x.*, CASE WHEN x.k IS NOT NULL THEN consent_decision(coalesce(s.bits, 0), x.cat) END AS why
	FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int2[], $7::int2[], $8::text[], $9::text[], $10::int8[], $11::bytea[])
		AS x(m, t, c, r, g, cat, enc, car, o, tok, k)
	LEFT JOIN consent_state s ON s.key = x.k
) v
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
RETURNING message_id, (xmax = 0), begin_in_doubt, doubt_carrier, state, carrier, carrier_ids, error_code, reason, intent`

// capUntil returns when rec's recipient's frequency cap, at most max of
// its tenant's marketing messages within window, lets the next one go:
// the max-th latest marketing intent to the recipient (on the carrier or
// accepted) plus window, or the zero time when fewer than max are in the
// ledger. It reads deliveries_marketing, an index of marketing rows only.
func (l *Ledger) capUntil(ctx context.Context, rec *recordv1.Submit, max int, window time.Duration) (time.Time, error) {
	var at time.Time
	err := l.s.pool.QueryRow(ctx, `SELECT intent_at FROM deliveries
		WHERE recipient = $1 AND tenant_id = $2 AND category = 2 AND state IN (1, 2) AND message_id <> $3
		ORDER BY intent_at DESC OFFSET $4 LIMIT 1`, rec.To, rec.TenantId, rec.Id, max-1).Scan(&at)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("frequency cap: %w", err)
	}
	return at.Add(window), nil
}
