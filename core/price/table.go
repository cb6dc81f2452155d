package price

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Table is a loaded price table. It is immutable and safe for concurrent
// use.
type Table struct {
	// Currency is the ISO 4217 code of every price.
	Currency string
	prices   map[dest]Amount
}

type dest struct{ country, route string }

// Load reads a price table in the CSV form the package comment shows.
func Load(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("empty file: %w", ErrFormat)
		}
		return nil, fmt.Errorf("header: %v: %w", err, ErrFormat)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	for _, need := range []string{"country", "price", "currency"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("header has no %q column: %w", need, ErrFormat)
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	t := &Table{prices: map[dest]Amount{}}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%v: %w", err, ErrFormat) // csv errors name the line
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		country := strings.ToUpper(field(rec, "country"))
		if !validCountry(country) {
			return nil, fmt.Errorf("line %d: country %q: %w", line, country, ErrFormat)
		}
		route := field(rec, "route")
		amount, err := ParseAmount(field(rec, "price"))
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		cur := strings.ToUpper(field(rec, "currency"))
		if !validCurrency(cur) {
			return nil, fmt.Errorf("line %d: currency %q: %w", line, cur, ErrCurrency)
		}
		if t.Currency == "" {
			t.Currency = cur
		} else if cur != t.Currency {
			return nil, fmt.Errorf("line %d: currency %s in a %s table: %w", line, cur, t.Currency, ErrCurrency)
		}
		d := dest{country, route}
		if _, dup := t.prices[d]; dup {
			return nil, fmt.Errorf("line %d: %s route %q priced twice: %w", line, country, route, ErrFormat)
		}
		t.prices[d] = amount
	}
	if len(t.prices) == 0 {
		return nil, fmt.Errorf("no prices: %w", ErrFormat)
	}
	return t, nil
}

func validCountry(s string) bool {
	return s == "*" || len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

func validCurrency(s string) bool {
	return len(s) == 3 && strings.Trim(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == ""
}

// PerSegment returns the price of one segment to country (ISO 3166-1
// alpha-2) over route: the route's price, else the country's, else the
// "*" price.
func (t *Table) PerSegment(country, route string) (Amount, error) {
	country = strings.ToUpper(country)
	for _, d := range []dest{{country, route}, {country, ""}, {"*", ""}} {
		if a, ok := t.prices[d]; ok {
			return a, nil
		}
	}
	return 0, fmt.Errorf("country %q route %q: %w", country, route, ErrNoPrice)
}

// Estimate is what a message is expected to cost.
type Estimate struct {
	Currency   string `json:"currency"`
	PerSegment Amount `json:"per_segment"`
	Segments   int    `json:"segments"`
	Total      Amount `json:"total"`
}

// Estimate prices a message of segments segments to country over route.
func (t *Table) Estimate(country, route string, segments int) (Estimate, error) {
	if segments < 0 {
		return Estimate{}, fmt.Errorf("%d segments: %w", segments, ErrAmount)
	}
	per, err := t.PerSegment(country, route)
	if err != nil {
		return Estimate{}, err
	}
	return Estimate{Currency: t.Currency, PerSegment: per, Segments: segments, Total: per.Times(segments)}, nil
}
