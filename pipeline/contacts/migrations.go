package contacts

// migrations are the contact book's schema, with its own version table.
// Append only.
var migrations = []string{
	1: `
-- Contacts: one row per number per tenant. consent_key is the consent
-- ledger's key of the number (pipeline/consent.Hasher), to read its state.
-- import_id and import_row name the last import row that wrote the
-- contact: a later row of the same import with the same number is a
-- duplicate.
CREATE TABLE contacts (
	id                bigserial   PRIMARY KEY,
	tenant_id         text        NOT NULL,
	phone             text        NOT NULL,
	consent_key       bytea       NOT NULL,
	region            text        NOT NULL DEFAULT '',
	first_name        text        NOT NULL DEFAULT '',
	last_name         text        NOT NULL DEFAULT '',
	email             text        NOT NULL DEFAULT '',
	language          text        NOT NULL DEFAULT '',
	time_zone         text        NOT NULL DEFAULT '',
	attributes        jsonb       NOT NULL DEFAULT '{}',
	tags              text[]      NOT NULL DEFAULT '{}',
	last_delivered_at timestamptz,
	last_clicked_at   timestamptz,
	import_id         text,
	import_row        bigint,
	created_at        timestamptz NOT NULL DEFAULT now(),
	updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX contacts_phone ON contacts (tenant_id, phone);
CREATE INDEX contacts_tenant ON contacts (tenant_id, id);
CREATE INDEX contacts_tags ON contacts USING gin (tags);

CREATE TABLE contact_lists (
	id         bigserial   PRIMARY KEY,
	tenant_id  text        NOT NULL,
	name       text        NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name)
);
-- Memberships carry no foreign keys, which would cost two lookups a row
-- on an import: deleting a contact or a list deletes its memberships in
-- the same transaction.
CREATE TABLE contact_list_members (
	list_id    bigint      NOT NULL,
	contact_id bigint      NOT NULL,
	tenant_id  text        NOT NULL,
	added_at   timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (list_id, contact_id)
);
CREATE INDEX contact_list_members_contact ON contact_list_members (contact_id);

-- Segments: filter is a tern.v1.SegmentFilter in protobuf JSON.
CREATE TABLE segments (
	id         bigserial   PRIMARY KEY,
	tenant_id  text        NOT NULL,
	name       text        NOT NULL,
	filter     jsonb       NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	updated_at timestamptz NOT NULL DEFAULT now(),
	UNIQUE (tenant_id, name)
);

-- Imports: progress through the file, committed with each chunk's rows.
-- tail is the start of a record the last chunk did not finish; skipping
-- discards bytes up to the next line end (after a row over the limit);
-- next_row is the file row the tail starts on (the header is row 1).
CREATE TABLE contact_imports (
	tenant_id        text        NOT NULL,
	id               text        NOT NULL,
	options          jsonb       NOT NULL,
	list_id          bigint,
	header           text[],
	bytes_received   bigint      NOT NULL DEFAULT 0,
	tail             bytea       NOT NULL DEFAULT '',
	skipping         boolean     NOT NULL DEFAULT false,
	next_row         bigint      NOT NULL DEFAULT 1,
	rows_read        bigint      NOT NULL DEFAULT 0,
	imported         bigint      NOT NULL DEFAULT 0,
	rejected         bigint      NOT NULL DEFAULT 0,
	consent_recorded bigint      NOT NULL DEFAULT 0,
	done             boolean     NOT NULL DEFAULT false,
	created_at       timestamptz NOT NULL DEFAULT now(),
	updated_at       timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id)
);
-- Rejected rows, by row number; the reason names the column, never the
-- row's content.
CREATE TABLE contact_import_errors (
	tenant_id text   NOT NULL,
	import_id text   NOT NULL,
	row       bigint NOT NULL,
	error     text   NOT NULL,
	PRIMARY KEY (tenant_id, import_id, row)
);
`,
}
