package tenants

// usersSchema is migration step 2: dashboard users and their sessions.
// Neither table bumps the registry's change counter: users and sessions
// are read from PostgreSQL when used, not served from memory.
const usersSchema = `
-- Dashboard users: one row per tenant and email. password_hash is
-- argon2id in PHC form. failed_logins counts consecutive failures;
-- reaching the limit sets locked_until and starts the count again.
CREATE TABLE users (
	id            text        PRIMARY KEY,
	tenant_id     text        NOT NULL REFERENCES tenants (id),
	email         text        NOT NULL,
	role          text        NOT NULL CHECK (role IN ('owner', 'admin', 'marketer', 'viewer')),
	password_hash text        NOT NULL,
	failed_logins int         NOT NULL DEFAULT 0,
	locked_until  timestamptz,
	created_at    timestamptz NOT NULL DEFAULT now(),
	disabled_at   timestamptz,
	UNIQUE (tenant_id, email)
);
CREATE INDEX users_email ON users (email);

-- Sessions: only the SHA-256 of the token the browser holds. A session
-- ends at expires_at, or earlier when idle (last_seen_at) too long.
CREATE TABLE sessions (
	hash         bytea       PRIMARY KEY,
	id           text        NOT NULL UNIQUE,
	tenant_id    text        NOT NULL,
	user_id      text        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	created_at   timestamptz NOT NULL DEFAULT now(),
	last_seen_at timestamptz NOT NULL DEFAULT now(),
	expires_at   timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (tenant_id, user_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);
`
