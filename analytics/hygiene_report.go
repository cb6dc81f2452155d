package analytics

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ternsms/tern/core/hygiene"
)

// HygieneReport is a tenant's latest classification of its numbers.
type HygieneReport struct {
	// ClassifiedAt is when; zero when the numbers never were.
	ClassifiedAt time.Time
	// Numbers is every number the tenant had messaged then.
	Numbers int64
	// Classes has an entry per class with any number, in class order.
	Classes []HygieneClassSummary
	// Entries is a page of the classified numbers, by class then number.
	Entries []HygieneNumber
}

// HygieneClassSummary is one class's numbers and what they cost.
type HygieneClassSummary struct {
	Class hygiene.Class
	// Numbers in the class, the messages sent to them (ever), what the
	// tenant was charged for those, and how many are suppressed now.
	Numbers, Messages, Suppressed int64
	Spent                         []Money
}

// HygieneNumber is one classified number.
type HygieneNumber struct {
	Number                     string
	Class                      hygiene.Class
	Detail, Country            string
	Messages, NotDelivered     int64
	Spent                      Money
	LastAttempt, LastDelivered time.Time
	Suppressed                 bool
}

// HygieneReport returns the tenant's latest classification: the classes
// and a page of their numbers (of class only, unless ClassNone), with the
// token of the next page. pageSize 0 is DefaultPageSize; negative lists
// no number.
func (s *Store) HygieneReport(ctx context.Context, tenantID string, class hygiene.Class, pageSize int, token string) (HygieneReport, string, error) {
	if pageSize == 0 {
		pageSize = DefaultPageSize
	}
	if pageSize > MaxPageSize {
		return HygieneReport{}, "", badRequest("page_size", "at most %d", MaxPageSize)
	}
	after, err := parseHygieneToken(token)
	if err != nil {
		return HygieneReport{}, "", err
	}
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return HygieneReport{}, "", fmt.Errorf("hygiene report: %w", err)
	}
	defer release()
	r, run, err := s.hygieneSummary(ctx, tenantID)
	if err != nil || run == 0 || pageSize < 0 {
		return r, "", err
	}
	if r.Entries, err = s.hygienePage(ctx, tenantID, run, class, after, pageSize+1); err != nil {
		return HygieneReport{}, "", fmt.Errorf("hygiene report: %w", err)
	}
	next := ""
	if len(r.Entries) > pageSize {
		r.Entries = r.Entries[:pageSize]
		last := r.Entries[pageSize-1]
		next = hygieneToken(last.Class, last.Number)
	}
	return r, next, nil
}

// hygieneSummary reads the latest run's counts; run 0: none yet.
func (s *Store) hygieneSummary(ctx context.Context, tenant string) (HygieneReport, uint64, error) {
	var r HygieneReport
	var run, numbers uint64
	err := s.conn.QueryRow(ctx, s.sql(`SELECT max(run_id), argMax(numbers, run_id) FROM {db}.hygiene_runs WHERE tenant_id = ?`), tenant).Scan(&run, &numbers)
	if err != nil || run == 0 {
		return r, 0, err
	}
	r.ClassifiedAt, r.Numbers = time.UnixMilli(int64(run)).UTC(), int64(numbers)
	rows, err := s.conn.Query(ctx, s.sql(`SELECT class, currency, count(), sum(messages), sum(spent_micros), sum(suppressed)
		FROM {db}.hygiene_numbers WHERE tenant_id = ? AND run_id = ?
		GROUP BY class, currency ORDER BY class, currency`), tenant, run)
	if err != nil {
		return r, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var class uint8
		var currency string
		var n, msgs, sup uint64
		var spent int64
		if err := rows.Scan(&class, &currency, &n, &msgs, &spent, &sup); err != nil {
			return r, 0, err
		}
		if k := len(r.Classes); k == 0 || r.Classes[k-1].Class != hygiene.Class(class) {
			r.Classes = append(r.Classes, HygieneClassSummary{Class: hygiene.Class(class)})
		}
		c := &r.Classes[len(r.Classes)-1]
		c.Numbers, c.Messages, c.Suppressed = c.Numbers+int64(n), c.Messages+int64(msgs), c.Suppressed+int64(sup)
		c.Spent = addMoney(c.Spent, currency, spent)
	}
	return r, run, rows.Err()
}

// hygienePage reads up to n numbers of run after the cursor.
func (s *Store) hygienePage(ctx context.Context, tenant string, run uint64, class hygiene.Class, after hygieneCursor, n int) ([]HygieneNumber, error) {
	where, args := "tenant_id = ? AND run_id = ? AND (class > ? OR (class = ? AND recipient > ?))", []any{tenant, run, uint8(after.class), uint8(after.class), after.number}
	if class != hygiene.ClassNone {
		where, args = where+" AND class = ?", append(args, uint8(class))
	}
	rows, err := s.conn.Query(ctx, s.sql(`SELECT recipient, class, detail, country, messages, not_delivered, spent_micros, currency,
		last_attempt, last_delivered, suppressed FROM {db}.hygiene_numbers WHERE `+where+`
		ORDER BY class, recipient LIMIT ?`), append(args, n)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []HygieneNumber
	for rows.Next() {
		var h HygieneNumber
		var cls, sup uint8
		var msgs, nd uint32
		if err := rows.Scan(&h.Number, &cls, &h.Detail, &h.Country, &msgs, &nd, &h.Spent.Micros, &h.Spent.Currency,
			&h.LastAttempt, &h.LastDelivered, &sup); err != nil {
			return nil, err
		}
		h.Class, h.Messages, h.NotDelivered, h.Suppressed = hygiene.Class(cls), int64(msgs), int64(nd), sup == 1
		h.LastAttempt, h.LastDelivered = notEpoch(h.LastAttempt), notEpoch(h.LastDelivered)
		out = append(out, h)
	}
	return out, rows.Err()
}

type hygieneCursor struct {
	class  hygiene.Class
	number string
}

func hygieneToken(c hygiene.Class, number string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(int(c)) + "/" + number))
}

func parseHygieneToken(tok string) (hygieneCursor, error) {
	if tok == "" {
		return hygieneCursor{}, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(tok)
	c, number, ok := strings.Cut(string(b), "/")
	n, perr := strconv.Atoi(c)
	if err != nil || !ok || perr != nil || n < 0 || n > 255 {
		return hygieneCursor{}, badRequest("page_token", "not a token this call returned")
	}
	return hygieneCursor{hygiene.Class(n), number}, nil
}

// hygieneCSVHeader names ExportHygiene's columns.
var hygieneCSVHeader = []string{"number", "class", "detail", "country", "messages", "not_delivered", "spent", "currency",
	"last_attempt", "last_delivered", "suppressed"}

// ExportHygiene writes the latest classification's numbers (of class
// only, unless ClassNone) as CSV in chunks of whole lines, the first
// starting with the header. It counts as one report query.
func (s *Store) ExportHygiene(ctx context.Context, tenantID string, class hygiene.Class, emit func([]byte) error) error {
	release, err := s.reads.acquire(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("export hygiene: %w", err)
	}
	defer release()
	_, run, err := s.hygieneSummary(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("export hygiene: %w", err)
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(hygieneCSVHeader) //nolint:errcheck // a bytes.Buffer does not fail
	after := hygieneCursor{}
	for {
		var page []HygieneNumber
		if run != 0 {
			if page, err = s.hygienePage(ctx, tenantID, run, class, after, exportPage); err != nil {
				return fmt.Errorf("export hygiene: %w", err)
			}
		}
		for _, h := range page {
			w.Write([]string{h.Number, h.Class.Key(), h.Detail, h.Country, strconv.FormatInt(h.Messages, 10), //nolint:errcheck // as above
				strconv.FormatInt(h.NotDelivered, 10), micros(h.Spent.Micros, h.Spent.Currency), h.Spent.Currency,
				csvTime(h.LastAttempt), csvTime(h.LastDelivered), strconv.FormatBool(h.Suppressed)})
		}
		w.Flush()
		if buf.Len() > 0 {
			if err := emit(bytes.Clone(buf.Bytes())); err != nil {
				return err
			}
			buf.Reset()
		}
		if len(page) < exportPage {
			return nil
		}
		after = hygieneCursor{page[len(page)-1].Class, page[len(page)-1].Number}
	}
}
