package commerce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/ternsms/tern/core/price"
)

// MaxPayload is the largest webhook body the parsers read.
const MaxPayload = 4 << 20

// decode unmarshals a webhook body into v; a syntax error or a value of
// the wrong type is a *FieldError naming where.
func decode(body []byte, v any) error {
	if len(body) > MaxPayload {
		return invalid("body", fmt.Sprintf("larger than %d bytes", MaxPayload))
	}
	d := json.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return invalid("body", fmt.Sprintf("malformed JSON at byte %d: %v", se.Offset, se))
		case errors.As(err, &te):
			return invalid(te.Field, fmt.Sprintf("a JSON %s where %s was expected", te.Value, te.Type))
		case errors.Is(err, errFlex):
			return invalid("body", err.Error())
		}
		return invalid("body", "malformed JSON: "+err.Error())
	}
	return nil
}

var errFlex = errors.New("bad value")

// flexID is an id sent as a JSON number or string; numbers are kept as
// written (Shopify's exceed float64's exact range).
type flexID string

func (f *flexID) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*f = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexID(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("id %s: %w", truncate(b), errFlex)
		}
		*f = flexID(n.String())
	}
	return nil
}

// flexAmount is a decimal sent as a JSON string ("49.90") or number.
type flexAmount struct {
	v   price.Amount
	set bool
}

func (f *flexAmount) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "null" || s == "" {
		*f = flexAmount{}
		return nil
	}
	a, err := price.ParseAmount(s)
	if err != nil {
		return fmt.Errorf("amount %s: %w", truncate(b), errFlex)
	}
	*f = flexAmount{v: a, set: true}
	return nil
}

// flexTime is an RFC 3339 time, or WooCommerce's zone-less
// "2006-01-02T15:04:05" taken as UTC (its *_gmt fields).
type flexTime time.Time

func (f *flexTime) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = flexTime{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("time %s: %w", truncate(b), errFlex)
	}
	if s == "" {
		*f = flexTime{}
		return nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, err = time.Parse("2006-01-02T15:04:05", s)
	}
	if err != nil {
		return fmt.Errorf("time %q: %w", truncate([]byte(s)), errFlex)
	}
	*f = flexTime(t.UTC())
	return nil
}

func (f flexTime) t() time.Time { return time.Time(f) }

// firstTime returns the first non-zero of ts.
func firstTime(ts ...flexTime) time.Time {
	for _, t := range ts {
		if !t.t().IsZero() {
			return t.t()
		}
	}
	return time.Time{}
}

func truncate(b []byte) string {
	if len(b) > 40 {
		return string(b[:40]) + "…"
	}
	return string(b)
}

// firstPhone returns the first of phones that parses, reading a national
// number in its region; "" when none does.
func firstPhone(phones ...[2]string) string {
	for _, p := range phones {
		if n, err := NormalizePhone(p[0], p[1]); err == nil && n != "" {
			return n
		}
	}
	return ""
}

// firstNonEmpty returns the first non-empty of ss.
func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// tidy makes what a platform sent storable: free text without control
// characters and within its limit, URLs that are not absolute http(s)
// dropped. Ids are left as they are; Check refuses bad ones.
func tidy(e Event) Event {
	c := &e.Customer
	for _, s := range []*string{&c.Email, &c.FirstName, &c.LastName, &c.ConsentSource, &e.Carrier} {
		*s = clean(*s, MaxTextLen)
	}
	for _, s := range []*string{&e.OrderName, &e.TrackingNumber, &e.ShipmentStatus} {
		*s = clean(*s, MaxIDLen)
	}
	for _, u := range []*string{&e.CheckoutURL, &e.OrderURL, &e.TrackingURL} {
		if checkURL(*u) != "" {
			*u = ""
		}
	}
	for i := range e.Items {
		it := &e.Items[i]
		it.Title, it.SKU = clean(it.Title, MaxTextLen), clean(it.SKU, MaxIDLen)
		if checkURL(it.URL) != "" {
			it.URL = ""
		}
	}
	e.Currency = strings.ToUpper(strings.TrimSpace(e.Currency))
	if !isCurrency(e.Currency) {
		e.Currency = ""
	}
	return e
}

// clean drops control characters and invalid UTF-8 from s and cuts it
// to at most max bytes on a character boundary.
func clean(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}
