package contacts

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
)

// importWriter reads one chunk's rows and writes them, in batches, in
// the chunk's transaction.
type importWriter struct {
	s      *Store
	tx     pgx.Tx
	tenant string
	o      ImportOptions
	st     *importState
	head   header
	now    time.Time
	rows   []row
	errs   []RowError
	// batches are the consent writes to publish after the commit.
	batches []*consentlog.Batch
}

// take reads data (after the import's tail) to its last complete row;
// with last, to its end. The rest becomes the new tail.
func (w *importWriter) take(ctx context.Context, data []byte, start, last bool) error {
	w.now = time.Now()
	buf := append(w.st.tail, data...)
	if start {
		buf = trimBOM(buf)
	}
	if w.st.header != nil {
		h, err := parseHeader(w.st.header)
		if err != nil {
			return err
		}
		if err := w.setHeader(h); err != nil {
			return err
		}
	}
	for len(buf) > 0 {
		if w.st.skipping {
			i := indexNL(buf)
			if i < 0 {
				buf = buf[:0]
				break
			}
			buf, w.st.skipping = buf[i+1:], false
			w.st.nextRow++
			continue
		}
		r, n, ok := scanRecord(buf, last)
		if !ok {
			if len(buf) < MaxRowBytes {
				break
			}
			if w.st.header == nil {
				return invalid("header", fmt.Sprintf("row 1 is longer than %d bytes", MaxRowBytes))
			}
			w.st.RowsRead++
			w.reject(w.st.nextRow, fmt.Sprintf("longer than %d bytes, or a quoted field is not closed", MaxRowBytes))
			w.st.skipping = true
			continue
		}
		buf = buf[n:]
		num := w.st.nextRow
		w.st.nextRow += int64(max(r.lines, 1))
		if n > MaxRowBytes && w.st.header != nil {
			w.st.RowsRead++
			w.reject(num, fmt.Sprintf("longer than %d bytes, or a quoted field is not closed", MaxRowBytes))
			continue
		}
		if err := w.record(ctx, r, num); err != nil {
			return err
		}
	}
	w.st.tail = append([]byte{}, buf...)
	return w.flush(ctx)
}

func indexNL(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// record handles one record: the header, a blank line, or a data row.
func (w *importWriter) record(ctx context.Context, r record, num int64) error {
	if r.blank {
		return nil
	}
	if w.st.header == nil {
		if r.err != nil {
			return invalid("header", "row 1 is not valid CSV: "+r.err.Error())
		}
		h, err := parseHeader(r.fields)
		if err != nil {
			return err
		}
		w.st.header = h.names
		return w.setHeader(h)
	}
	w.st.RowsRead++
	if r.err != nil {
		w.reject(num, "not valid CSV: "+r.err.Error())
		return nil
	}
	row, err := w.s.parseRow(w.head, w.tenant, num, r.fields, w.now)
	if err != nil {
		w.reject(num, err.Error())
		return nil
	}
	w.rows = append(w.rows, row)
	if len(w.rows) >= writeBatch {
		return w.flush(ctx)
	}
	return nil
}

func (w *importWriter) setHeader(h header) error {
	if h.consent {
		if w.s.consent == nil {
			return invalid("header", "the file has a consent column, and this server records no consent")
		}
		if strings.TrimSpace(w.o.ConsentSource) == "" {
			return invalid("consent_source", "required when the file has a consent column")
		}
	}
	w.head = h
	return nil
}

func (w *importWriter) reject(num int64, reason string) {
	w.errs = append(w.errs, RowError{Row: num, Error: reason})
	w.st.Rejected++
}

// flush writes the rows and errors gathered so far.
func (w *importWriter) flush(ctx context.Context) error {
	if len(w.rows) > 0 {
		if err := w.writeRows(ctx); err != nil {
			return err
		}
		w.rows = w.rows[:0]
	}
	if len(w.errs) == 0 {
		return nil
	}
	nums, texts := make([]int64, len(w.errs)), make([]string, len(w.errs))
	for i, e := range w.errs {
		nums[i], texts[i] = e.Row, e.Error
	}
	if _, err := w.tx.Exec(ctx, `INSERT INTO contact_import_errors (tenant_id, import_id, row, error)
		SELECT $1, $2, * FROM unnest($3::int8[], $4::text[]) ON CONFLICT DO NOTHING`, w.tenant, w.o.ID, nums, texts); err != nil {
		return fmt.Errorf("import errors: %w", err)
	}
	w.errs = w.errs[:0]
	return nil
}

// writeRows upserts the batch's rows, rejects the duplicates, adds the
// rest to the import's list and records their consent.
func (w *importWriter) writeRows(ctx context.Context) error {
	rows := w.dedupeBatch()
	ids, dups, err := w.upsert(ctx, rows)
	if err != nil {
		return err
	}
	var imported []int64
	var events []consentlog.Event
	for _, r := range rows {
		id, ok := ids[r.contact.Phone]
		if !ok {
			w.reject(r.num, "phone: duplicate of row "+strconv.FormatInt(dups[r.contact.Phone], 10))
			continue
		}
		imported = append(imported, id)
		if e, ok := w.consentEvent(r); ok {
			events = append(events, e)
		}
	}
	w.st.Imported += int64(len(imported))
	if w.st.ListID != 0 {
		if _, err := w.tx.Exec(ctx, `INSERT INTO contact_list_members (list_id, contact_id, tenant_id) SELECT $1, unnest($2::bigint[]), $3
			ON CONFLICT DO NOTHING`, w.st.ListID, imported, w.tenant); err != nil {
			return fmt.Errorf("import list members: %w", err)
		}
	}
	if len(events) == 0 {
		return nil
	}
	b, err := w.s.consent.RecordBatch(ctx, w.tx, events)
	if err != nil {
		return fmt.Errorf("import consent: %w", err)
	}
	w.st.ConsentRecorded += int64(b.Recorded)
	w.batches = append(w.batches, b)
	return nil
}

// dedupeBatch rejects a row whose number an earlier row of the batch
// has, and returns the others.
func (w *importWriter) dedupeBatch() []row {
	first := make(map[string]int64, len(w.rows))
	out := w.rows[:0]
	for _, r := range w.rows {
		if n, dup := first[r.contact.Phone]; dup {
			w.reject(r.num, "phone: duplicate of row "+strconv.FormatInt(n, 10))
			continue
		}
		first[r.contact.Phone] = r.num
		out = append(out, r)
	}
	return out
}

func (w *importWriter) consentEvent(r row) (consentlog.Event, bool) {
	kind := consent.OptIn
	switch r.consent {
	case consentNone:
		return consentlog.Event{}, false
	case consentOut:
		kind = consent.OptOut
	}
	return consentlog.Event{Tenant: w.tenant, Number: r.contact.Phone, Kind: kind, Scope: consent.ScopeMarketing, Method: consentlog.MethodImport,
		Source: w.o.ConsentSource, Disclosure: w.o.ConsentDisclosure, At: r.consentAt,
		Dedupe: "import:" + w.o.ID + ":" + strconv.FormatInt(r.num, 10)}, true
}

// upsert writes rows: new contacts with every field, known ones merged
// (a cell left empty keeps the stored value, attributes and tags are
// added, a derived time zone fills only an empty one). A number an
// earlier row of this import wrote is left alone: it is a duplicate. It
// returns the written contacts' ids by number, and for duplicates the row
// that came first.
func (w *importWriter) upsert(ctx context.Context, rows []row) (map[string]int64, map[string]int64, error) {
	n := len(rows)
	phone, key, region, first, last, email, lang, tz := make([]string, n), make([][]byte, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	attrs, tags, nums, given := make([]string, n), make([]string, n), make([]int64, n), make([]bool, n)
	for i, r := range rows {
		c := r.contact
		k := w.s.hash.Key(w.tenant, c.Phone)
		a, err := json.Marshal(c.Attributes)
		if err != nil {
			return nil, nil, err
		}
		phone[i], key[i], region[i], first[i], last[i], email[i], lang[i], tz[i] = c.Phone, k[:], c.Country, c.FirstName, c.LastName, c.Email, c.Language, c.TimeZone
		attrs[i], tags[i], nums[i], given[i] = string(a), strings.Join(c.Tags, "\x1f"), r.num, r.tzGiven
	}
	ids := make(map[string]int64, n)
	if err := collectIDs(ctx, w.tx, ids, insertSQL, w.tenant, w.o.ID, phone, key, region, first, last, email, lang, tz, attrs, tags, nums); err != nil {
		return nil, nil, fmt.Errorf("import contacts: %w", err)
	}
	if len(ids) == n {
		return ids, nil, nil
	}
	if err := collectIDs(ctx, w.tx, ids, mergeSQL, w.tenant, w.o.ID, phone, first, last, email, lang, tz, attrs, tags, nums, given); err != nil {
		return nil, nil, fmt.Errorf("import contacts: %w", err)
	}
	if len(ids) == n {
		return ids, nil, nil
	}
	dups := map[string]int64{}
	err := collectPairs(ctx, w.tx, dups, `SELECT phone, import_row FROM contacts WHERE tenant_id = $1 AND phone = ANY($2)`, w.tenant, phone)
	return ids, dups, err
}

// insertSQL inserts the rows whose number is new to the tenant.
const insertSQL = `INSERT INTO contacts (tenant_id, import_id, phone, consent_key, region, first_name, last_name, email, language, time_zone, attributes, tags, import_row)
	SELECT $1, $2, x.phone, x.key, x.region, x.first, x.last, x.email, x.lang, x.tz, x.attrs::jsonb,
		CASE WHEN x.tags = '' THEN '{}'::text[] ELSE string_to_array(x.tags, E'\x1f') END, x.num
	FROM unnest($3::text[], $4::bytea[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::int8[])
		AS x(phone, key, region, first, last, email, lang, tz, attrs, tags, num)
	ON CONFLICT (tenant_id, phone) DO NOTHING
	RETURNING phone, id`

// mergeSQL merges rows into the contacts that exist, but not into one an
// earlier row of the same import wrote.
const mergeSQL = `UPDATE contacts c SET
		first_name = coalesce(nullif(x.first, ''), c.first_name), last_name = coalesce(nullif(x.last, ''), c.last_name),
		email = coalesce(nullif(x.email, ''), c.email), language = coalesce(nullif(x.lang, ''), c.language),
		time_zone = CASE WHEN x.given OR c.time_zone = '' THEN coalesce(nullif(x.tz, ''), c.time_zone) ELSE c.time_zone END,
		attributes = c.attributes || x.attrs::jsonb,
		tags = CASE WHEN x.tags = '' THEN c.tags ELSE
			ARRAY(SELECT DISTINCT t FROM unnest(c.tags || string_to_array(x.tags, E'\x1f')) AS t ORDER BY t) END,
		import_id = $2, import_row = x.num, updated_at = now()
	FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::int8[], $12::bool[])
		AS x(phone, first, last, email, lang, tz, attrs, tags, num, given)
	WHERE c.tenant_id = $1 AND c.phone = x.phone AND c.import_id IS DISTINCT FROM $2
	RETURNING c.phone, c.id`

func collectIDs(ctx context.Context, tx pgx.Tx, into map[string]int64, sql string, args ...any) error {
	return collectPairs(ctx, tx, into, sql, args...)
}

func collectPairs(ctx context.Context, tx pgx.Tx, into map[string]int64, sql string, args ...any) error {
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var v int64
		if err := rows.Scan(&k, &v); err != nil {
			return err
		}
		into[k] = v
	}
	return rows.Err()
}
