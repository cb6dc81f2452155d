package webhooks

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the webhooks' schema, with their own version table.
// Append only.
var migrations = []string{
	1: `
-- A tenant's endpoints. previous_secret still signs until
-- previous_expires_at. failing_since is the first failure since the last
-- success.
CREATE TABLE webhook_endpoints (
	id                  text        PRIMARY KEY,
	tenant_id           text        NOT NULL,
	url                 text        NOT NULL,
	events              text[]      NOT NULL,
	description         text        NOT NULL DEFAULT '',
	secret              text        NOT NULL,
	previous_secret     text        NOT NULL DEFAULT '',
	previous_expires_at timestamptz,
	enabled             boolean     NOT NULL DEFAULT true,
	disabled_reason     text        NOT NULL DEFAULT '',
	failing_since       timestamptz,
	created_at          timestamptz NOT NULL DEFAULT now(),
	updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

-- The outbox: one row per event and target (an endpoint, or for an
-- ad-hoc post its URL, endpoint_id NULL). state 1 pending, 2 delivered,
-- 3 failed. The body is fixed when the event is emitted. lease_until
-- is the claim of the instance posting it.
CREATE TABLE webhook_outbox (
	id              bigserial   PRIMARY KEY,
	tenant_id       text        NOT NULL,
	endpoint_id     text,
	url             text        NOT NULL DEFAULT '',
	signer          text        NOT NULL DEFAULT '',
	target          text        NOT NULL,
	event_id        text        NOT NULL,
	event_type      text        NOT NULL,
	ordering_key    text        NOT NULL DEFAULT '',
	body            bytea       NOT NULL,
	content_type    text        NOT NULL DEFAULT 'application/json',
	state           smallint    NOT NULL DEFAULT 1,
	attempts        int         NOT NULL DEFAULT 0,
	next_attempt_at timestamptz NOT NULL,
	lease_until     timestamptz,
	created_at      timestamptz NOT NULL,
	delivered_at    timestamptz,
	UNIQUE (target, event_id)
);
CREATE INDEX webhook_outbox_due ON webhook_outbox (endpoint_id, next_attempt_at) WHERE state = 1;
CREATE INDEX webhook_outbox_adhoc ON webhook_outbox (next_attempt_at) WHERE state = 1 AND endpoint_id IS NULL;
CREATE INDEX webhook_outbox_order ON webhook_outbox (target, ordering_key, id) WHERE state = 1 AND ordering_key <> '';
CREATE INDEX webhook_outbox_log ON webhook_outbox (endpoint_id, id);
CREATE INDEX webhook_outbox_done ON webhook_outbox (created_at) WHERE state <> 1;

-- Every post made: the delivery log.
CREATE TABLE webhook_attempts (
	id          bigserial   PRIMARY KEY,
	outbox_id   bigint      NOT NULL REFERENCES webhook_outbox (id) ON DELETE CASCADE,
	at          timestamptz NOT NULL,
	status_code int         NOT NULL DEFAULT 0,
	error       text        NOT NULL DEFAULT '',
	latency_us  bigint      NOT NULL DEFAULT 0
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts (outbox_id, id);
`,
}

func (o *Outbox) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, o.pool, pgschema.Set{
		Name: "webhooks", Table: "webhooks_migrations", Steps: migrations, LockID: 0x77686f6b, // "whok"
	}, o.log)
}
