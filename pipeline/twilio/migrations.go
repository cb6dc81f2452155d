package twilio

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the Twilio surface's schema, with its own version
// table. Append only.
var migrations = []string{
	1: `
-- Accounts: only the SHA-256 of the auth token.
CREATE TABLE twilio_accounts (
	sid                   text        PRIMARY KEY,
	tenant_id             text        NOT NULL,
	token_hash            bytea       NOT NULL,
	verify_service_sid    text        NOT NULL UNIQUE,
	messaging_service_sid text        NOT NULL UNIQUE,
	sms_url               text        NOT NULL DEFAULT '',
	name                  text        NOT NULL DEFAULT '',
	created_at            timestamptz NOT NULL DEFAULT now(),
	revoked_at            timestamptz
);
CREATE INDEX twilio_accounts_tenant ON twilio_accounts (tenant_id);

-- Messages sent through the surface. Their status is tern's
-- (core.Status), as the events topic reports it.
CREATE TABLE twilio_messages (
	sid                   text        PRIMARY KEY,
	tenant_id             text        NOT NULL,
	account_sid           text        NOT NULL,
	message_id            text        NOT NULL UNIQUE,
	direction             text        NOT NULL,
	recipient             text        NOT NULL,
	sender                text        NOT NULL,
	body                  text        NOT NULL,
	num_segments          smallint    NOT NULL,
	price_micros          bigint      NOT NULL DEFAULT 0,
	price_unit            text        NOT NULL DEFAULT '',
	messaging_service_sid text        NOT NULL DEFAULT '',
	status_callback       text        NOT NULL DEFAULT '',
	send_at               timestamptz,
	tern_status           smallint    NOT NULL,
	tern_rank             smallint    NOT NULL,
	reason                text        NOT NULL DEFAULT '',
	date_created          timestamptz NOT NULL,
	date_updated          timestamptz NOT NULL,
	date_sent             timestamptz
);
CREATE INDEX twilio_messages_list ON twilio_messages (account_sid, sid DESC);

-- Status callbacks waiting to be posted, and their attempts.
CREATE TABLE twilio_callbacks (
	id          bigserial   PRIMARY KEY,
	dedupe      text        NOT NULL UNIQUE,
	tenant_id   text        NOT NULL,
	account_sid text        NOT NULL,
	url         text        NOT NULL,
	-- the form, URL-encoded
	params      text        NOT NULL,
	attempts    int         NOT NULL DEFAULT 0,
	next_at     timestamptz NOT NULL,
	created_at  timestamptz NOT NULL DEFAULT now(),
	done_at     timestamptz,
	-- "delivered" or "gave_up" once done
	outcome     text        NOT NULL DEFAULT '',
	last_error  text        NOT NULL DEFAULT ''
);
CREATE INDEX twilio_callbacks_due ON twilio_callbacks (next_at) WHERE done_at IS NULL;
`,
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Set{
		Name: "twilio", Table: "twilio_migrations", Steps: migrations,
	}, s.log)
}
