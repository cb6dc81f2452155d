package templates

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/tmpl"
	"github.com/ternsms/tern/pipeline/pgschema"
)

var migrations = []string{
	1: `
CREATE TABLE templates (
	tenant_id  text        NOT NULL,
	id         text        NOT NULL,
	name       text        NOT NULL,
	latest     int         NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, id),
	UNIQUE (tenant_id, name)
);
-- Versions are never changed once written.
CREATE TABLE template_versions (
	tenant_id   text        NOT NULL,
	template_id text        NOT NULL,
	version     int         NOT NULL,
	category    smallint    NOT NULL,
	body        text        NOT NULL,
	variants    jsonb       NOT NULL DEFAULT '{}',
	variables   jsonb       NOT NULL DEFAULT '[]',
	created_at  timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (tenant_id, template_id, version),
	FOREIGN KEY (tenant_id, template_id) REFERENCES templates ON DELETE CASCADE
);
`,
}

// Store keeps templates. Every instance shares its tables. Safe for
// concurrent use.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to PostgreSQL at url and applies the migrations.
func Open(ctx context.Context, url string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	err = pgschema.Migrate(ctx, pool, pgschema.Set{Name: "templates", Table: "templates_migrations", Steps: migrations, LockID: 0x746d706c}, log) // "tmpl"
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// vars is how variables are kept as JSON.
type vars struct {
	Name    string `json:"name"`
	MaxLen  int    `json:"max_length,omitempty"`
	Unicode bool   `json:"unicode,omitempty"`
}

func toJSON(vs []tmpl.Var) []vars {
	out := make([]vars, len(vs))
	for i, v := range vs {
		out[i] = vars{v.Name, v.MaxLen, v.Unicode}
	}
	return out
}

// Create stores version 1 of a new template of the tenant.
func (s *Store) Create(ctx context.Context, t Template) (Template, error) {
	t, err := check(t)
	if err != nil {
		return t, err
	}
	t.ID, t.Version = newID(), 1
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO templates (tenant_id, id, name, latest) VALUES ($1, $2, $3, 1) RETURNING created_at`,
			t.Tenant, t.ID, t.Name).Scan(&t.Created); err != nil {
			return err
		}
		return insertVersion(ctx, tx, &t)
	})
	if isUnique(err) {
		return t, fmt.Errorf("template %q: %w", t.Name, ErrExists)
	}
	if err != nil {
		return t, fmt.Errorf("create template: %w", err)
	}
	return t, nil
}

func insertVersion(ctx context.Context, tx pgx.Tx, t *Template) error {
	variants := t.Variants
	if variants == nil {
		variants = map[string]string{}
	}
	return tx.QueryRow(ctx, `INSERT INTO template_versions (tenant_id, template_id, version, category, body, variants, variables)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING created_at`, t.Tenant, t.ID, t.Version, int16(t.Category), t.Body, variants, toJSON(t.Vars)).
		Scan(&t.VersionCreated)
}

// Update stores a new version of the tenant's template t.ID; an empty
// name keeps the template's.
func (s *Store) Update(ctx context.Context, t Template) (Template, error) {
	cur, err := s.Get(ctx, t.Tenant, t.ID, 0)
	if err != nil {
		return t, err
	}
	if t.Name == "" {
		t.Name = cur.Name
	}
	if t, err = check(t); err != nil {
		return t, err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `UPDATE templates SET latest = latest + 1, name = $3 WHERE tenant_id = $1 AND id = $2 RETURNING latest, created_at`,
			t.Tenant, t.ID, t.Name).Scan(&t.Version, &t.Created)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("template %s: %w", t.ID, ErrNotFound)
		}
		if err != nil {
			return err
		}
		return insertVersion(ctx, tx, &t)
	})
	if isUnique(err) {
		return t, fmt.Errorf("template %q: %w", t.Name, ErrExists)
	}
	if err != nil && !errors.Is(err, ErrNotFound) {
		return t, fmt.Errorf("update template: %w", err)
	}
	return t, err
}

const selectVersion = `SELECT t.id, t.tenant_id, t.name, v.version, v.category, v.body, v.variants, v.variables, t.created_at, v.created_at
	FROM templates t JOIN template_versions v ON v.tenant_id = t.tenant_id AND v.template_id = t.id `

func scan(r pgx.Row) (Template, error) {
	var t Template
	var cat int16
	var vs []vars
	err := r.Scan(&t.ID, &t.Tenant, &t.Name, &t.Version, &cat, &t.Body, &t.Variants, &vs, &t.Created, &t.VersionCreated)
	t.Category = core.Category(cat)
	for _, v := range vs {
		t.Vars = append(t.Vars, tmpl.Var{Name: v.Name, MaxLen: v.MaxLen, Unicode: v.Unicode})
	}
	return t, err
}

// Get returns a version of the tenant's template; version 0 is the
// latest.
func (s *Store) Get(ctx context.Context, tenant, id string, version int) (Template, error) {
	t, err := scan(s.pool.QueryRow(ctx, selectVersion+`WHERE t.tenant_id = $1 AND t.id = $2 AND v.version = CASE WHEN $3 = 0 THEN t.latest ELSE $3 END`,
		tenant, id, version))
	if errors.Is(err, pgx.ErrNoRows) {
		return t, fmt.Errorf("template %s version %d: %w", id, version, ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("get template: %w", err)
	}
	return t, nil
}

// List returns the latest version of each of the tenant's templates, by
// name.
func (s *Store) List(ctx context.Context, tenant string) ([]Template, error) {
	rows, err := s.pool.Query(ctx, selectVersion+`WHERE t.tenant_id = $1 AND v.version = t.latest ORDER BY t.name`, tenant)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (Template, error) { return scan(r) })
}

// Delete deletes the tenant's template and its versions.
func (s *Store) Delete(ctx context.Context, tenant, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM templates WHERE tenant_id = $1 AND id = $2`, tenant, id)
	if err != nil {
		return fmt.Errorf("delete template: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("template %s: %w", id, ErrNotFound)
	}
	return nil
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}
