package main

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5"
)

// bookRow is one row of a test CSV file.
type bookRow struct {
	phone, name, city, consent string
}

// nameOr is the bookRow's first name, or fallback without one.
func (r bookRow) nameOr(fallback string) string {
	if r.name == "" {
		return fallback
	}
	return r.name
}

// customerBook is a CSV file of customers: its good rows, and its bad
// rows by row number (the header is row 1) with their kind.
type customerBook struct {
	rows []bookRow // the good rows, in file order
	n    int       // data rows, good and bad
	file bytes.Buffer
	bad  map[int64]string
}

// badKinds are the kinds of bad rows a book holds, in turn.
var badKinds = []string{"invalid number", "column count", "bad UTF-8", "duplicate", "bad consent"}

// customers makes a book of n data rows, 37 of them bad: one every 263
// rows, of each kind in turn. A good row's consent is "yes" for six in
// ten, "opted_out" for two, and empty (none recorded) for two; one in
// four has no first name; one in three lives in Lisbon, the rest in
// Porto.
func customers(n int) customerBook {
	b := customerBook{n: n, bad: map[int64]string{}}
	b.file.WriteString("phone,first_name,city,consent\n")
	for i := range n {
		r := bookRow{phone: fmt.Sprintf("+1415300%04d", i), city: "Porto"}
		if i%4 != 0 {
			r.name = fmt.Sprintf("Cust%d", i)
		}
		if i%3 == 0 {
			r.city = "Lisbon"
		}
		switch i % 10 {
		case 0, 1, 2, 3, 4, 5:
			r.consent = "yes"
		case 6, 7:
			r.consent = "opted_out"
		}
		if k := i / 263; i%263 == 5 && k < 37 {
			kind := badKinds[k%len(badKinds)]
			b.bad[int64(i+2)] = kind
			switch kind {
			case "invalid number":
				fmt.Fprintf(&b.file, "+1415,%s,%s,%s\n", r.name, r.city, r.consent)
			case "column count":
				fmt.Fprintf(&b.file, "%s,%s,%s\n", r.phone, r.name, r.city)
			case "bad UTF-8":
				fmt.Fprintf(&b.file, "%s,Ann\xff,%s,%s\n", r.phone, r.city, r.consent)
			case "duplicate":
				fmt.Fprintf(&b.file, "+1415300%04d,%s,%s,%s\n", i-1, r.name, r.city, r.consent)
			case "bad consent":
				fmt.Fprintf(&b.file, "%s,%s,%s,maybe\n", r.phone, r.name, r.city)
			}
			continue
		}
		fmt.Fprintf(&b.file, "%s,%s,%s,%s\n", r.phone, r.name, r.city, r.consent)
		b.rows = append(b.rows, r)
	}
	return b
}

func (b *customerBook) csv() []byte { return b.file.Bytes() }

// good returns the good rows of city ("" any) with consent ("" none).
func (b *customerBook) good(city, consent string) []bookRow {
	var out []bookRow
	for _, r := range b.rows {
		if (city == "" || r.city == city) && r.consent == consent {
			out = append(out, r)
		}
	}
	return out
}

// count counts the good rows of city, whatever their consent.
func (b *customerBook) count(city string) int {
	n := 0
	for _, r := range b.rows {
		if r.city == city {
			n++
		}
	}
	return n
}

// linkCodes reads the codes of a campaign's first link, by number.
func (c *cluster) linkCodes(ctx context.Context, t *testing.T, campaign string) map[string]string {
	t.Helper()
	conn, err := pgx.Connect(ctx, c.pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT c.phone, l.code FROM link_codes l JOIN contacts c ON c.id = l.contact_id AND c.tenant_id = l.tenant_id
		WHERE l.tenant_id = 'shop' AND l.campaign_id = $1 AND l.idx = 0`, campaign)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var phone, code string
	if _, err := pgx.ForEachRow(rows, []any{&phone, &code}, func() error { out[phone] = code; return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
