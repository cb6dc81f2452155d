package gateway

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the gateway's schema, applied in order, each in its own
// transaction, under an advisory lock so that instances starting together
// do not race. They live beside the pipeline's tables in the same
// database, with their own version table. Append only.
var migrations = []string{
	1: `
-- Customers' SMPP access. Passwords are stored only as PBKDF2 hashes.
CREATE TABLE smpp_accounts (
	system_id     text             PRIMARY KEY,
	password_hash text             NOT NULL,
	tenant_id     text             NOT NULL,
	bind_limit    int              NOT NULL,
	allowed_ips   text[]           NOT NULL DEFAULT '{}',
	throughput    double precision NOT NULL DEFAULT 0,
	category      smallint         NOT NULL,
	dc0_latin1    boolean          NOT NULL DEFAULT false,
	max_queued    int              NOT NULL,
	disabled      boolean          NOT NULL DEFAULT false,
	created_at    timestamptz      NOT NULL DEFAULT now(),
	updated_at    timestamptz      NOT NULL DEFAULT now()
);

-- An account's numbers and short codes (digits, no '+'): replies to them
-- go to the account.
CREATE TABLE smpp_numbers (
	number    text PRIMARY KEY,
	system_id text NOT NULL REFERENCES smpp_accounts (system_id) ON DELETE CASCADE
);

-- Every bound session of every instance, for the per-account bind limit
-- and each instance's share of an account's throughput. seen_at is
-- refreshed by the owning instance; rows it stopped refreshing are gone.
CREATE TABLE smpp_binds (
	id        bigserial   PRIMARY KEY,
	system_id text        NOT NULL,
	instance  text        NOT NULL,
	remote    text        NOT NULL,
	bind_type smallint    NOT NULL,
	bound_at  timestamptz NOT NULL DEFAULT now(),
	seen_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smpp_binds_system_id ON smpp_binds (system_id);

-- The receipt join: one row per gateway message, filled from two sides in
-- either order. The intake side (after the Kafka ack) writes what the
-- customer sent; the events side writes the final status. A row with both
-- halves moves to smpp_outbox, if the customer asked for that receipt.
CREATE TABLE smpp_messages (
	message_id   text        PRIMARY KEY,
	system_id    text,
	receipt_id   text,
	registered   smallint,
	source_ton   smallint,
	source_npi   smallint,
	source       text,
	dest_ton     smallint,
	dest_npi     smallint,
	dest         text,
	text         text,
	submitted_at timestamptz,
	status       smallint,
	error_code   text,
	done_at      timestamptz,
	updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX smpp_messages_updated_at ON smpp_messages (updated_at);

-- What waits for a customer: receipts (kind 1) and replies (kind 2), sent
-- as deliver_sm on any bind of the account that can receive. A bind
-- claims rows until claimed_until and deletes them once acknowledged.
CREATE TABLE smpp_outbox (
	id            bigserial   PRIMARY KEY,
	system_id     text        NOT NULL,
	kind          smallint    NOT NULL,
	receipt_id    text        NOT NULL DEFAULT '',
	status        smallint    NOT NULL DEFAULT 0,
	error_code    text        NOT NULL DEFAULT '',
	source_ton    smallint    NOT NULL DEFAULT 0,
	source_npi    smallint    NOT NULL DEFAULT 0,
	source        text        NOT NULL DEFAULT '',
	dest_ton      smallint    NOT NULL DEFAULT 0,
	dest_npi      smallint    NOT NULL DEFAULT 0,
	dest          text        NOT NULL DEFAULT '',
	text          text        NOT NULL DEFAULT '',
	submitted_at  timestamptz,
	done_at       timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	claimed_until timestamptz NOT NULL DEFAULT '-infinity',
	attempts      int         NOT NULL DEFAULT 0
);
CREATE INDEX smpp_outbox_account ON smpp_outbox (system_id, id);
CREATE INDEX smpp_outbox_created_at ON smpp_outbox (created_at);
`,
	2: `
-- cancel_sm finds every message of a submit_multi by the one id its
-- response gave.
CREATE INDEX smpp_messages_receipt_id ON smpp_messages (receipt_id);
`,
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Set{
		Name: "smpp gateway", Table: "smpp_gateway_migrations", Steps: migrations, LockID: 0x736d7070, // "smpp"
	}, s.log)
}
