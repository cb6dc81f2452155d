package contacts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	consentlog "github.com/ternsms/tern/pipeline/consent"
)

// Limits on imports.
const (
	MaxImportID = 128
	// MaxChunk is the most bytes one chunk may bring.
	MaxChunk = 4 << 20
	// writeBatch is how many rows one statement writes.
	writeBatch = 2000
)

// ImportOptions say what an import is; every chunk repeats them.
type ImportOptions struct {
	ID                string `json:"id"`
	List              string `json:"list,omitempty"`
	ConsentSource     string `json:"consent_source,omitempty"`
	ConsentDisclosure string `json:"consent_disclosure,omitempty"`
}

func (o ImportOptions) check() (ImportOptions, error) {
	if o.ID == "" || len(o.ID) > MaxImportID || !utf8.ValidString(o.ID) || strings.IndexFunc(o.ID, unicode.IsControl) >= 0 {
		return o, invalid("import_id", fmt.Sprintf("1 to %d bytes of UTF-8 without control characters", MaxImportID))
	}
	if o.List != "" {
		name, err := checkName(o.List)
		if err != nil {
			return o, invalid("list_name", err.(*FieldError).Reason)
		}
		o.List = name
	}
	if !utf8.ValidString(o.ConsentSource) || utf8.RuneCountInString(o.ConsentSource) > consentlog.MaxSource {
		return o, invalid("consent_source", fmt.Sprintf("at most %d characters of UTF-8", consentlog.MaxSource))
	}
	if !utf8.ValidString(o.ConsentDisclosure) || utf8.RuneCountInString(o.ConsentDisclosure) > consentlog.MaxDisclosure {
		return o, invalid("consent_disclosure", fmt.Sprintf("at most %d characters of UTF-8", consentlog.MaxDisclosure))
	}
	return o, nil
}

// Progress is how far an import got.
type Progress struct {
	ID              string
	Done            bool
	BytesReceived   int64
	RowsRead        int64
	Imported        int64
	Rejected        int64
	ConsentRecorded int64
	ListID          int64
	Created         time.Time
	Updated         time.Time
}

// RowError is one rejected row: its number in the file (the header is
// row 1) and why, naming the column.
type RowError struct {
	Row   int64
	Error string
}

// importState is an import's row, locked for one chunk.
type importState struct {
	Progress
	options  []byte
	header   []string
	tail     []byte
	skipping bool
	nextRow  int64
}

// ImportChunk takes the bytes of the tenant's import file o.ID that
// start at offset; last says the file ends with them. Rows that end in
// the chunk are written with the import's progress in one transaction; a
// row the chunk only starts waits for the next. Bytes before the
// import's BytesReceived were taken already and are skipped, so a chunk
// sent twice imports nothing twice; a chunk starting past it is a
// *GapError. Bad rows are counted and kept as RowErrors; only a bad
// header or bad options refuse the chunk.
func (s *Store) ImportChunk(ctx context.Context, tenant string, o ImportOptions, offset int64, data []byte, last bool) (Progress, error) {
	o, err := o.check()
	if err != nil {
		return Progress{}, err
	}
	if len(data) > MaxChunk {
		return Progress{}, invalid("data", fmt.Sprintf("at most %d bytes a chunk", MaxChunk))
	}
	if offset < 0 {
		return Progress{}, invalid("offset", "negative")
	}
	var st importState
	var published []*consentlog.Batch
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		published = published[:0]
		var err error
		if st, err = lockImport(ctx, tx, tenant, o); err != nil {
			return err
		}
		if st.Done {
			if offset+int64(len(data)) > st.BytesReceived {
				return ErrImportDone
			}
			return nil
		}
		if offset > st.BytesReceived {
			return &GapError{Expected: st.BytesReceived}
		}
		skip := st.BytesReceived - offset
		if skip >= int64(len(data)) && !(last && skip == int64(len(data))) {
			return nil // nothing new
		}
		w := &importWriter{s: s, tx: tx, tenant: tenant, o: o, st: &st}
		if err := w.take(ctx, data[skip:], offset+skip == 0, last); err != nil {
			return err
		}
		published = w.batches
		st.BytesReceived = offset + int64(len(data))
		st.Done = last
		return saveImport(ctx, tx, tenant, &st)
	})
	if err != nil {
		return Progress{}, err
	}
	for _, b := range published {
		b.Publish(ctx)
	}
	return st.Progress, nil
}

// lockImport returns the import's row, locked, creating it on its first
// chunk; the options must be those of the first chunk.
func lockImport(ctx context.Context, tx pgx.Tx, tenant string, o ImportOptions) (importState, error) {
	js, err := json.Marshal(o)
	if err != nil {
		return importState{}, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO contact_imports (tenant_id, id, options) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, tenant, o.ID, js); err != nil {
		return importState{}, fmt.Errorf("import: %w", err)
	}
	st := importState{Progress: Progress{ID: o.ID}}
	var list *int64
	err = tx.QueryRow(ctx, `SELECT options, list_id, header, bytes_received, tail, skipping, next_row, rows_read, imported, rejected,
		consent_recorded, done, created_at, updated_at FROM contact_imports WHERE tenant_id = $1 AND id = $2 FOR UPDATE`, tenant, o.ID).
		Scan(&st.options, &list, &st.header, &st.BytesReceived, &st.tail, &st.skipping, &st.nextRow, &st.RowsRead, &st.Imported, &st.Rejected,
			&st.ConsentRecorded, &st.Done, &st.Created, &st.Updated)
	if err != nil {
		return st, fmt.Errorf("import: %w", err)
	}
	if list != nil {
		st.ListID = *list
	}
	var first ImportOptions
	if err := json.Unmarshal(st.options, &first); err != nil || first != o {
		return st, invalid("options", "differ from those of the import's first chunk")
	}
	if o.List != "" && st.ListID == 0 {
		if st.ListID, err = ensureList(ctx, tx, tenant, o.List); err != nil {
			return st, err
		}
	}
	return st, nil
}

func saveImport(ctx context.Context, tx pgx.Tx, tenant string, st *importState) error {
	var list *int64
	if st.ListID != 0 {
		list = &st.ListID
	}
	err := tx.QueryRow(ctx, `UPDATE contact_imports SET list_id = $3, header = $4, bytes_received = $5, tail = $6, skipping = $7, next_row = $8,
		rows_read = $9, imported = $10, rejected = $11, consent_recorded = $12, done = $13, updated_at = now()
		WHERE tenant_id = $1 AND id = $2 RETURNING updated_at`, tenant, st.ID, list, st.header, st.BytesReceived, st.tail, st.skipping, st.nextRow,
		st.RowsRead, st.Imported, st.Rejected, st.ConsentRecorded, st.Done).Scan(&st.Updated)
	if err != nil {
		return fmt.Errorf("import progress: %w", err)
	}
	return nil
}

// Import returns the progress of the tenant's import id.
func (s *Store) Import(ctx context.Context, tenant, id string) (Progress, error) {
	p := Progress{ID: id}
	var list *int64
	err := s.pool.QueryRow(ctx, `SELECT list_id, bytes_received, rows_read, imported, rejected, consent_recorded, done, created_at, updated_at
		FROM contact_imports WHERE tenant_id = $1 AND id = $2`, tenant, id).
		Scan(&list, &p.BytesReceived, &p.RowsRead, &p.Imported, &p.Rejected, &p.ConsentRecorded, &p.Done, &p.Created, &p.Updated)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, fmt.Errorf("import: %w", ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("import: %w", err)
	}
	if list != nil {
		p.ListID = *list
	}
	return p, nil
}

// ImportErrors returns the tenant's import's rejected rows after row
// after, by row, up to limit.
func (s *Store) ImportErrors(ctx context.Context, tenant, id string, after int64, limit int) ([]RowError, error) {
	rows, err := s.pool.Query(ctx, `SELECT row, error FROM contact_import_errors WHERE tenant_id = $1 AND import_id = $2 AND row > $3
		ORDER BY row LIMIT $4`, tenant, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("import errors: %w", err)
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (RowError, error) {
		var e RowError
		return e, r.Scan(&e.Row, &e.Error)
	})
}

// utf8BOM starts some files; it is no part of the header.
var utf8BOM = []byte("\xef\xbb\xbf")

func trimBOM(b []byte) []byte { return bytes.TrimPrefix(b, utf8BOM) }
