package contacts

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// column is what a CSV column holds.
type column uint8

const (
	colAttribute column = iota
	colPhone
	colFirstName
	colLastName
	colEmail
	colLanguage
	colTimeZone
	colTags
	colConsent
	colConsentAt
)

// headerNames maps normalized header names to columns; any other name is
// a custom attribute under the header's own text.
var headerNames = map[string]column{
	"phone": colPhone, "phone_number": colPhone, "number": colPhone, "mobile": colPhone, "msisdn": colPhone, "e164": colPhone,
	"first_name": colFirstName, "firstname": colFirstName, "last_name": colLastName, "lastname": colLastName,
	"email": colEmail, "e_mail": colEmail, "language": colLanguage, "lang": colLanguage, "locale": colLanguage,
	"time_zone": colTimeZone, "timezone": colTimeZone, "tz": colTimeZone, "tags": colTags,
	"consent": colConsent, "sms_consent": colConsent, "consent_at": colConsentAt,
}

// header is a file's columns.
type header struct {
	names []string
	cols  []column
	// consent: the file has a consent column.
	consent bool
}

// normalizeHeader reads "First Name" and "first-name" as first_name.
func normalizeHeader(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.NewReplacer(" ", "_", "-", "_").Replace(s)
}

// parseHeader maps a header row's names to columns. Its errors name the
// header: the whole chunk is refused, since no row can be read without it.
func parseHeader(names []string) (header, error) {
	h := header{names: names, cols: make([]column, len(names))}
	seen := map[string]bool{}
	phone := false
	for i, raw := range names {
		if i == 0 {
			raw = strings.TrimPrefix(raw, "\ufeff")
			names[0] = raw
		}
		if !utf8.ValidString(raw) {
			return h, invalid("header", fmt.Sprintf("column %d is not valid UTF-8", i+1))
		}
		n := normalizeHeader(raw)
		if n == "" || len(n) > MaxAttrKey {
			return h, invalid("header", fmt.Sprintf("column %d: a name of 1 to %d bytes is required", i+1, MaxAttrKey))
		}
		col := headerNames[n]
		key := n
		if col == colAttribute {
			key = "attribute " + strings.TrimSpace(raw)
		}
		if seen[key] {
			return h, invalid("header", fmt.Sprintf("column %d (%s) appears twice", i+1, strings.TrimSpace(raw)))
		}
		seen[key] = true
		h.cols[i] = col
		phone = phone || col == colPhone
		h.consent = h.consent || col == colConsent
	}
	if !phone {
		return h, invalid("header", "no phone column (phone, phone_number, number, mobile or msisdn)")
	}
	return h, nil
}

// consentValue is what a consent cell says.
type consentValue uint8

const (
	consentNone consentValue = iota
	consentIn
	consentOut
)

func parseConsent(s string) (consentValue, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "yes", "y", "true", "1", "opted_in", "opt_in", "subscribed":
		return consentIn, true
	case "", "no", "n", "false", "0":
		return consentNone, true
	case "opted_out", "opt_out", "stop", "unsubscribed":
		return consentOut, true
	}
	return consentNone, false
}

// row is one data row, read.
type row struct {
	num       int64
	contact   Contact
	tzGiven   bool
	consent   consentValue
	consentAt time.Time
}

// parseRow maps a record to a contact; a rejected row's error names the
// column and never quotes the row.
func (s *Store) parseRow(h header, tenant string, num int64, fields []string, now time.Time) (row, error) {
	if len(fields) != len(h.cols) {
		return row{}, fmt.Errorf("%d columns, the header has %d", len(fields), len(h.cols))
	}
	r := row{num: num, contact: Contact{Tenant: tenant, Attributes: map[string]string{}}}
	c := &r.contact
	for i, v := range fields {
		if !utf8.ValidString(v) {
			return r, fmt.Errorf("%s: not valid UTF-8", strings.TrimSpace(h.names[i]))
		}
		switch h.cols[i] {
		case colPhone:
			c.Phone = v
		case colFirstName:
			c.FirstName = v
		case colLastName:
			c.LastName = v
		case colEmail:
			c.Email = v
		case colLanguage:
			c.Language = v
		case colTimeZone:
			c.TimeZone, r.tzGiven = v, strings.TrimSpace(v) != ""
		case colTags:
			c.Tags = strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '|' })
		case colConsent:
			var ok bool
			if r.consent, ok = parseConsent(v); !ok {
				return r, fmt.Errorf("consent: want yes or no (or opted_out)")
			}
		case colConsentAt:
			if err := r.parseConsentAt(v, now); err != nil {
				return r, err
			}
		default:
			if v != "" {
				c.Attributes[strings.TrimSpace(h.names[i])] = v
			}
		}
	}
	checked, err := s.check(r.contact)
	r.contact = checked
	return r, err
}

func (r *row) parseConsentAt(v string, now time.Time) error {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		if t, err = time.Parse(time.DateOnly, v); err != nil {
			return fmt.Errorf("consent_at: want RFC 3339 (2024-05-01T10:00:00Z) or a date (2024-05-01)")
		}
	}
	if t.After(now) {
		return fmt.Errorf("consent_at: in the future")
	}
	r.consentAt = t
	return nil
}
