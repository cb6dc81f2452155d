package contacts

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // zones must not depend on the host's files
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/ternsms/tern/core/consent"
	"github.com/ternsms/tern/core/phone"
)

// Limits on a contact's fields.
const (
	MaxName       = 200
	MaxEmail      = 320
	MaxLanguage   = 35
	MaxAttributes = 100
	MaxAttrKey    = 100
	MaxAttrValue  = 1000
	MaxTags       = 100
	MaxTag        = 100
)

// Contact is one person a tenant texts.
type Contact struct {
	ID     int64
	Tenant string
	// Phone is E.164; any international form is normalized.
	Phone     string
	FirstName string
	LastName  string
	Email     string
	Language  string
	// TimeZone is an IANA zone; when empty, the number's zone if it has
	// only one.
	TimeZone string
	// Country is the number's region; derived, read only.
	Country    string
	Attributes map[string]string
	Tags       []string
	// Consent is the number's state in the consent ledger; read only.
	Consent       consent.State
	LastDelivered time.Time
	LastClicked   time.Time
	Created       time.Time
	Updated       time.Time
}

// Values are the contact's fields and attributes by the names templates
// use: first_name, last_name, email, phone, language, time_zone, country,
// and each attribute by its key (a field that is set wins over an
// attribute of its name).
func (c Contact) Values() map[string]string {
	v := make(map[string]string, len(c.Attributes)+7)
	for k, a := range c.Attributes {
		v[k] = a
	}
	for k, f := range map[string]string{"first_name": c.FirstName, "last_name": c.LastName, "email": c.Email, "phone": c.Phone,
		"language": c.Language, "time_zone": c.TimeZone, "country": c.Country} {
		if f != "" {
			v[k] = f
		}
	}
	return v
}

// zones caches the time zones checked so far.
var zones sync.Map // name -> *time.Location

// zone loads an IANA zone; "" and "Local" are not zones.
func zone(name string) (*time.Location, bool) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), true
	}
	l, err := time.LoadLocation(name)
	if err != nil || name == "" || name == "Local" {
		return nil, false
	}
	zones.Store(name, l)
	return l, true
}

// number normalizes a phone number in E.164 ('+' optional).
func (s *Store) number(raw string) (phone.Number, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return phone.Number{}, invalid("phone", "required")
	}
	if !strings.HasPrefix(raw, "+") {
		raw = "+" + raw
	}
	n, err := s.phones.Parse(raw, "")
	if err != nil {
		return n, invalid("phone", "not a valid phone number in E.164 form (+14155552671)")
	}
	return n, nil
}

// check normalizes c and returns its first problem as a *FieldError.
// A time zone left empty is derived from the number when it has one.
func (s *Store) check(c Contact) (Contact, error) {
	if c.Tenant == "" {
		return c, invalid("tenant", "required")
	}
	n, err := s.number(c.Phone)
	if err != nil {
		return c, err
	}
	c.Phone, c.Country = n.E164, n.Region
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"first_name", &c.FirstName, MaxName}, {"last_name", &c.LastName, MaxName}, {"email", &c.Email, MaxEmail}} {
		*f.v = strings.TrimSpace(*f.v)
		if !utf8.ValidString(*f.v) || utf8.RuneCountInString(*f.v) > f.max {
			return c, invalid(f.name, fmt.Sprintf("at most %d characters of UTF-8", f.max))
		}
	}
	c.Language = strings.TrimSpace(c.Language)
	if len(c.Language) > MaxLanguage || strings.IndexFunc(c.Language, notLangRune) >= 0 {
		return c, invalid("language", "a language tag such as en or pt-BR")
	}
	c.TimeZone = strings.TrimSpace(c.TimeZone)
	if c.TimeZone != "" {
		if _, ok := zone(c.TimeZone); !ok {
			return c, invalid("time_zone", "not an IANA time zone such as Europe/Paris")
		}
	} else if len(n.TimeZones) == 1 {
		c.TimeZone = n.TimeZones[0]
	}
	if c.Attributes, err = checkAttributes(c.Attributes); err != nil {
		return c, err
	}
	c.Tags, err = checkTags(c.Tags)
	return c, err
}

func notLangRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}

func checkAttributes(a map[string]string) (map[string]string, error) {
	if len(a) > MaxAttributes {
		return nil, invalid("attributes", fmt.Sprintf("at most %d", MaxAttributes))
	}
	if a == nil {
		a = map[string]string{}
	}
	for k, v := range a {
		if k == "" || len(k) > MaxAttrKey || !utf8.ValidString(k) || strings.IndexFunc(k, unicode.IsControl) >= 0 {
			return nil, invalid("attributes", fmt.Sprintf("keys are 1 to %d bytes of UTF-8 without control characters", MaxAttrKey))
		}
		if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxAttrValue {
			return nil, invalid("attributes", fmt.Sprintf("values are at most %d characters of UTF-8", MaxAttrValue))
		}
	}
	return a, nil
}

// checkTags trims, de-duplicates and sorts tags.
func checkTags(tags []string) ([]string, error) {
	out := make([]string, 0, len(tags))
	for _, t := range tags {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !utf8.ValidString(t) || utf8.RuneCountInString(t) > MaxTag || strings.IndexFunc(t, unicode.IsControl) >= 0 {
			return nil, invalid("tags", fmt.Sprintf("each 1 to %d characters of UTF-8 without control characters", MaxTag))
		}
		out = append(out, t)
	}
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > MaxTags {
		return nil, invalid("tags", fmt.Sprintf("at most %d", MaxTags))
	}
	return out, nil
}

// Upsert creates c, or replaces the fields of the tenant's contact with
// its number, and adds it to lists (ids of the tenant's lists). It
// returns the stored contact and whether it was new.
func (s *Store) Upsert(ctx context.Context, c Contact, lists []int64) (Contact, bool, error) {
	c, err := s.check(c)
	if err != nil {
		return c, false, err
	}
	key := s.hash.Key(c.Tenant, c.Phone)
	var created bool
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO contacts AS c (tenant_id, phone, consent_key, region, first_name, last_name, email, language, time_zone, attributes, tags)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
			ON CONFLICT (tenant_id, phone) DO UPDATE SET first_name = excluded.first_name, last_name = excluded.last_name, email = excluded.email,
				language = excluded.language, time_zone = excluded.time_zone, attributes = excluded.attributes, tags = excluded.tags, updated_at = now()
			RETURNING id, xmax = 0`, c.Tenant, c.Phone, key[:], c.Country, c.FirstName, c.LastName, c.Email, c.Language, c.TimeZone,
			c.Attributes, c.Tags).Scan(&c.ID, &created)
		if err != nil {
			return fmt.Errorf("upsert contact: %w", err)
		}
		return addMembers(ctx, tx, c.Tenant, lists, []int64{c.ID}, nil)
	})
	if err != nil {
		return c, false, err
	}
	got, err := s.Get(ctx, c.Tenant, c.ID)
	return got, created, err
}

// contactColumns are what scanContact reads, from contacts c.
const contactColumns = `c.id, c.tenant_id, c.phone, c.region, c.first_name, c.last_name, c.email, c.language, c.time_zone, c.attributes, c.tags,
	c.last_delivered_at, c.last_clicked_at, c.created_at, c.updated_at,
	coalesce((SELECT s.bits FROM consent_state s WHERE s.key = c.consent_key), 0)`

func scanContact(row pgx.Row) (Contact, error) {
	var c Contact
	var delivered, clicked *time.Time
	var bits int16
	err := row.Scan(&c.ID, &c.Tenant, &c.Phone, &c.Country, &c.FirstName, &c.LastName, &c.Email, &c.Language, &c.TimeZone, &c.Attributes, &c.Tags,
		&delivered, &clicked, &c.Created, &c.Updated, &bits)
	if delivered != nil {
		c.LastDelivered = *delivered
	}
	if clicked != nil {
		c.LastClicked = *clicked
	}
	c.Consent = consent.FromBits(uint8(bits))
	return c, err
}

// Get returns the tenant's contact id.
func (s *Store) Get(ctx context.Context, tenant string, id int64) (Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("contact %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}

// GetByPhone returns the tenant's contact with number (E.164).
func (s *Store) GetByPhone(ctx context.Context, tenant, number string) (Contact, error) {
	n, err := s.number(number)
	if err != nil {
		return Contact{}, err
	}
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactColumns+` FROM contacts c WHERE c.tenant_id = $1 AND c.phone = $2`, tenant, n.E164))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("contact: %w", ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get contact: %w", err)
	}
	return c, nil
}

// Delete deletes the tenant's contact id (or, with id 0, the one with
// number) and its list memberships, and returns its number; deleting a
// contact that is gone is ErrNotFound.
func (s *Store) Delete(ctx context.Context, tenant string, id int64, number string) (string, error) {
	if id == 0 {
		n, err := s.number(number)
		if err != nil {
			return "", err
		}
		number = n.E164
	}
	var deleted string
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cid int64
		if err := tx.QueryRow(ctx, `DELETE FROM contacts WHERE tenant_id = $1 AND (id = $2 OR ($2 = 0 AND phone = $3)) RETURNING id, phone`,
			tenant, id, number).Scan(&cid, &deleted); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM contact_list_members WHERE contact_id = $1`, cid)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", fmt.Errorf("contact: %w", ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("delete contact: %w", err)
	}
	return deleted, nil
}
