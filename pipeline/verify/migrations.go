package verify

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the verification schema, with its own version table.
// Append only.
var migrations = []string{
	1: `
-- One row per verification. The code is not here: only its HMAC under
-- a server key with a random salt.
CREATE TABLE verifications (
	id          text        PRIMARY KEY,
	tenant_id   text        NOT NULL,
	recipient   text        NOT NULL,
	region      text        NOT NULL,
	prefix      text        NOT NULL,
	channel     text        NOT NULL,
	locale      text        NOT NULL,
	code_length smallint    NOT NULL,
	salt        bytea       NOT NULL,
	code_hash   bytea       NOT NULL,
	-- core/verify.Status
	status      smallint    NOT NULL,
	checks      smallint    NOT NULL DEFAULT 0,
	sends       smallint    NOT NULL DEFAULT 0,
	message_id  text        NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL,
	approved_at timestamptz
);
CREATE INDEX verifications_number ON verifications (tenant_id, recipient, created_at DESC);
CREATE INDEX verifications_created ON verifications (created_at);

-- Every code sent, for the per-number limits.
CREATE TABLE verify_sends (
	tenant_id       text        NOT NULL,
	recipient       text        NOT NULL,
	verification_id text        NOT NULL,
	sent_at         timestamptz NOT NULL,
	message_id      text        NOT NULL
);
CREATE INDEX verify_sends_number ON verify_sends (tenant_id, recipient, sent_at);

-- Starts and approvals per tenant, prefix and minute, for the pumping
-- guard. An approval counts in the minute its verification started.
CREATE TABLE verify_prefix_counts (
	tenant_id text        NOT NULL,
	prefix    text        NOT NULL,
	bucket    timestamptz NOT NULL,
	started   int         NOT NULL DEFAULT 0,
	approved  int         NOT NULL DEFAULT 0,
	PRIMARY KEY (tenant_id, prefix, bucket)
);

-- Prefixes blocked for a tenant until a time.
CREATE TABLE verify_blocks (
	tenant_id  text        NOT NULL,
	prefix     text        NOT NULL,
	verdict    text        NOT NULL,
	blocked_at timestamptz NOT NULL,
	until      timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, prefix)
);

-- core/verify.Policy as JSON, per tenant.
CREATE TABLE verify_policies (
	tenant_id  text        PRIMARY KEY,
	policy     jsonb       NOT NULL,
	updated_at timestamptz NOT NULL DEFAULT now()
);
`,
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Set{
		Name: "verify", Table: "verify_migrations", Steps: migrations,
	}, s.log)
}
