package tenants

import (
	"context"

	"github.com/ternsms/tern/pipeline/pgschema"
)

// migrations are the registry's schema, with their own version table.
// Append only.
var migrations = []string{
	1: `
CREATE TABLE tenants (
	id           text        PRIMARY KEY,
	name         text        NOT NULL,
	-- core/consent.Policy as JSON
	policy       jsonb       NOT NULL DEFAULT '{}',
	-- country -> core/sender.Rule overrides
	sender_rules jsonb       NOT NULL DEFAULT '{}',
	source       text        NOT NULL DEFAULT 'api',
	created_at   timestamptz NOT NULL DEFAULT now()
);

-- API keys: only the SHA-256 of the key. tenant_id NULL is an operator
-- key, which manages every tenant.
CREATE TABLE api_keys (
	id         text        PRIMARY KEY,
	tenant_id  text        REFERENCES tenants (id),
	hash       bytea       NOT NULL UNIQUE,
	scopes     text[]      NOT NULL,
	name       text        NOT NULL DEFAULT '',
	last4      text        NOT NULL DEFAULT '',
	source     text        NOT NULL DEFAULT 'api',
	created_at timestamptz NOT NULL DEFAULT now(),
	revoked_at timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- Sender ids. norm is the matching form (core/sender.Normalize); a
-- number belongs to one tenant, which replies to it go to.
CREATE TABLE senders (
	tenant_id  text     NOT NULL REFERENCES tenants (id),
	norm       text     NOT NULL,
	sender_id  text     NOT NULL,
	kind       smallint NOT NULL,
	countries  text[]   NOT NULL DEFAULT '{}',
	is_default boolean  NOT NULL DEFAULT false,
	PRIMARY KEY (tenant_id, norm)
);
CREATE UNIQUE INDEX senders_number ON senders (norm) WHERE kind <> 1;
CREATE UNIQUE INDEX senders_default ON senders (tenant_id) WHERE is_default;

-- The change counter every Registry polls; any write to the tables above
-- bumps it in the same transaction.
CREATE TABLE tenant_registry_version (
	one     boolean PRIMARY KEY DEFAULT true CHECK (one),
	version bigint  NOT NULL
);
INSERT INTO tenant_registry_version VALUES (true, 1);
CREATE FUNCTION tenant_registry_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE tenant_registry_version SET version = version + 1;
	RETURN NULL;
END $$;
CREATE TRIGGER tenants_bump AFTER INSERT OR UPDATE OR DELETE ON tenants
	FOR EACH STATEMENT EXECUTE FUNCTION tenant_registry_bump();
CREATE TRIGGER api_keys_bump AFTER INSERT OR UPDATE OR DELETE ON api_keys
	FOR EACH STATEMENT EXECUTE FUNCTION tenant_registry_bump();
CREATE TRIGGER senders_bump AFTER INSERT OR UPDATE OR DELETE ON senders
	FOR EACH STATEMENT EXECUTE FUNCTION tenant_registry_bump();
`,
	2: usersSchema,
}

func (s *Store) migrate(ctx context.Context) error {
	return pgschema.Migrate(ctx, s.pool, pgschema.Set{
		Name: "tenants", Table: "tenants_migrations", Steps: migrations, LockID: 0x74656e74, // "tent"
	}, s.log)
}
