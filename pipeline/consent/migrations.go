package consent

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the consent ledger's schema, with their own version
// table. Append only.
var migrations = []string{
	1: `
-- The consent ledger: append-only. key is the keyed hash of tenant and
-- number (Hasher). dedupe makes a retried write (an API idempotency key,
-- the MO record a keyword came in) record once.
CREATE TABLE consent_events (
	id          bigserial   PRIMARY KEY,
	tenant_id   text        NOT NULL,
	number      text        NOT NULL,
	key         bytea       NOT NULL,
	channel     text        NOT NULL DEFAULT 'sms',
	kind        smallint    NOT NULL,
	scope       smallint    NOT NULL,
	method      smallint    NOT NULL,
	source      text        NOT NULL DEFAULT '',
	disclosure  text        NOT NULL DEFAULT '',
	ip          inet,
	user_agent  text        NOT NULL DEFAULT '',
	detail      text        NOT NULL DEFAULT '',
	dedupe      text,
	occurred_at timestamptz NOT NULL,
	recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_events_key ON consent_events (key, id);
CREATE UNIQUE INDEX consent_events_dedupe ON consent_events (tenant_id, dedupe) WHERE dedupe IS NOT NULL;

-- Only Erase (which sets tern.consent_erase for its transaction) deletes;
-- nothing updates.
CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'DELETE' AND current_setting('tern.consent_erase', true) = 'on' THEN
		RETURN OLD;
	END IF;
	RAISE EXCEPTION 'consent_events is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER consent_events_append_only BEFORE UPDATE OR DELETE ON consent_events
	FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

-- The current state of every number with a record, derived from the
-- events in the same transaction. bits is core/consent.State.Bits;
-- version grows with each change; published is the last version put on
-- the suppressions topic. number is NULL once erased (a tombstone).
CREATE TABLE consent_state (
	key        bytea       PRIMARY KEY,
	tenant_id  text        NOT NULL,
	number     text,
	bits       smallint    NOT NULL DEFAULT 0,
	version    bigint      NOT NULL DEFAULT 0,
	published  bigint      NOT NULL DEFAULT 0,
	updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX consent_state_unpublished ON consent_state (updated_at) WHERE published < version;

-- Double opt-ins waiting for the number's confirming reply.
CREATE TABLE consent_pending (
	id           bigserial   PRIMARY KEY,
	tenant_id    text        NOT NULL,
	key          bytea       NOT NULL,
	number       text        NOT NULL,
	source       text        NOT NULL DEFAULT '',
	disclosure   text        NOT NULL DEFAULT '',
	ip           inet,
	user_agent   text        NOT NULL DEFAULT '',
	requested_at timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL,
	confirmed_at timestamptz
);
CREATE INDEX consent_pending_key ON consent_pending (key, id);
`,
	2: `
-- consent_refusal is core/consent.Decide in SQL, for a statement that
-- already writes per message (the delivery ledger's intent) to check the
-- committed state in the same round trip: NULL when a message of
-- category (core.Category) may go to the number under key, else the
-- reason it may not. A STOP committed before that statement wins.
CREATE FUNCTION consent_refusal(k bytea, category int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN s.bits & 8 <> 0 THEN 'opted out'
		WHEN s.bits & 1 <> 0 AND (s.bits & 2 = 0 OR category = 2) THEN 'opted out'
		WHEN s.bits >> 4 <> 0 THEN 'suppressed'
		WHEN category = 2 AND s.bits & 4 = 0 THEN 'no marketing consent'
	END
	FROM (SELECT coalesce((SELECT bits FROM consent_state WHERE key = k), 0)::int AS bits) s
$$;
`,
	3: `
-- consent_decision is core/consent.Decide over a state's bits: NULL when
-- a message of category (core.Category) may go, else the reason it may
-- not; a hygiene suppression refuses marketing only. A single
-- expression, so that the planner inlines it into a statement that joins
-- consent_state itself (the delivery ledger's Begin), with no function
-- call per row. consent_refusal reads the state
-- by key and decides with it: one rule.
CREATE FUNCTION consent_decision(bits int, category int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
	SELECT CASE
		WHEN bits & 8 <> 0 THEN 'opted out'
		WHEN bits & 1 <> 0 AND (bits & 2 = 0 OR category = 2) THEN 'opted out'
		WHEN bits >> 4 <> 0 AND category = 2 THEN 'suppressed'
		WHEN category = 2 AND bits & 4 = 0 THEN 'no marketing consent'
	END
$$;
CREATE OR REPLACE FUNCTION consent_refusal(k bytea, category int) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
	SELECT consent_decision(coalesce((SELECT bits FROM consent_state WHERE key = k), 0), category)
$$;
`,
	4: hygieneMigration,
}

func (l *Ledger) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, l.pool, schema(), l.log)
}
