package campaigns

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/ternsms/tern/core/campaign"
	"github.com/ternsms/tern/core/quiet"
	"github.com/ternsms/tern/pipeline"
	"github.com/ternsms/tern/pipeline/contacts"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Limits on a campaign.
const (
	MaxName = 200
	MaxRate = 100_000
)

// Campaign is one send of a template to an audience.
type Campaign struct {
	ID              string
	Tenant          string
	Name            string
	State           campaign.State
	Audience        contacts.Audience
	TemplateID      string
	TemplateVersion int
	From            string
	// SendAt: start no earlier; zero starts at launch.
	SendAt time.Time
	// Rate is messages a second at most; 0 is as fast as the intake
	// takes them.
	Rate int
	// QuietHours is the local sending window in each contact's zone;
	// zero leaves the tenant's marketing window alone.
	QuietHours quiet.Window
	Validity   time.Duration
	Counts     Counts
	// Cursor is the last contact id expanded.
	Cursor    int64
	Created   time.Time
	Launched  time.Time
	Completed time.Time
	Updated   time.Time
}

// Counts follow a campaign's recipients.
type Counts struct {
	Expanded, Skipped, Failed, Queued, Segments int64
	// CostMicros is what the queued messages cost, in Currency.
	CostMicros   int64
	Currency     string
	Withdrawn    int64
	NotWithdrawn int64
}

// Origin is the origin of a campaign's messages: "campaign/" and its id.
func Origin(id string) string { return "campaign/" + id }

// OriginID returns the campaign id of a message's origin.
func OriginID(origin string) (string, bool) {
	id, ok := strings.CutPrefix(origin, "campaign/")
	return id, ok && id != ""
}

// audienceJSON is how an audience is kept.
type audienceJSON struct {
	ListIDs   []int64         `json:"list_ids,omitempty"`
	SegmentID int64           `json:"segment_id,omitempty"`
	Filter    json.RawMessage `json:"filter,omitempty"`
}

func marshalAudience(a contacts.Audience) ([]byte, error) {
	j := audienceJSON{ListIDs: a.ListIDs, SegmentID: a.SegmentID}
	if a.Filter != nil {
		f, err := protojson.Marshal(a.Filter)
		if err != nil {
			return nil, err
		}
		j.Filter = f
	}
	return json.Marshal(j)
}

func unmarshalAudience(b []byte) (contacts.Audience, error) {
	var j audienceJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return contacts.Audience{}, err
	}
	a := contacts.Audience{ListIDs: j.ListIDs, SegmentID: j.SegmentID}
	if len(j.Filter) > 0 {
		a.Filter = &ternv1.SegmentFilter{}
		if err := protojson.Unmarshal(j.Filter, a.Filter); err != nil {
			return a, err
		}
	}
	return a, nil
}

// check validates what a new campaign is and pins its template version.
func (s *Store) check(ctx context.Context, c Campaign) (Campaign, error) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || !utf8.ValidString(c.Name) || utf8.RuneCountInString(c.Name) > MaxName {
		return c, invalid("name", fmt.Sprintf("1 to %d characters of UTF-8", MaxName))
	}
	if c.Rate < 0 || c.Rate > MaxRate {
		return c, invalid("rate", fmt.Sprintf("0 to %d messages a second", MaxRate))
	}
	if c.Validity < 0 {
		return c, invalid("validity", "negative")
	}
	if !c.SendAt.IsZero() && c.SendAt.Sub(s.now()) > pipeline.MaxScheduleAhead {
		return c, invalid("send_at", "more than 35 days ahead")
	}
	var fe *contacts.FieldError
	switch err := s.d.Contacts.CheckAudience(ctx, c.Tenant, c.Audience); {
	case errors.As(err, &fe):
		return c, invalid("audience."+fe.Field, fe.Reason)
	case errors.Is(err, contacts.ErrNotFound):
		return c, invalid("audience", "no such segment or list")
	case err != nil:
		return c, err
	}
	t, err := s.d.Templates.Get(ctx, c.Tenant, c.TemplateID, c.TemplateVersion)
	if err != nil {
		return c, invalid("template_id", "no such template or version")
	}
	c.TemplateVersion = t.Version
	return c, nil
}

// Create stores a draft campaign of the tenant.
func (s *Store) Create(ctx context.Context, c Campaign) (Campaign, error) {
	c, err := s.check(ctx, c)
	if err != nil {
		return c, err
	}
	aud, err := marshalAudience(c.Audience)
	if err != nil {
		return c, err
	}
	c.ID, c.State = newID(), campaign.Draft
	var sendAt *time.Time
	if !c.SendAt.IsZero() {
		sendAt = &c.SendAt
	}
	quietText := ""
	if !c.QuietHours.IsZero() {
		quietText = c.QuietHours.String()
	}
	err = s.pool.QueryRow(ctx, `INSERT INTO campaigns (tenant_id, id, name, state, audience, template_id, template_version, sender, send_at, rate,
		quiet_hours, validity_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING created_at, updated_at`,
		c.Tenant, c.ID, c.Name, int16(c.State), aud, c.TemplateID, c.TemplateVersion, c.From, sendAt, c.Rate, quietText, c.Validity.Milliseconds()).
		Scan(&c.Created, &c.Updated)
	if err != nil {
		return c, fmt.Errorf("create campaign: %w", err)
	}
	return c, nil
}

// newID returns a campaign id: "cmp_" and 16 random base32 characters.
func newID() string {
	var b [10]byte
	rand.Read(b[:])
	return "cmp_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
}

const campaignColumns = `tenant_id, id, name, state, audience, template_id, template_version, sender, send_at, rate, quiet_hours, validity_ms,
	cursor, expanded, skipped, failed, queued, segments, cost_micros, currency, withdrawn, not_withdrawn,
	created_at, launched_at, completed_at, updated_at`

func scanCampaign(r pgx.Row) (Campaign, error) {
	var c Campaign
	var state int16
	var aud []byte
	var sendAt, launched, completed *time.Time
	var quietText string
	var validity int64
	k := &c.Counts
	err := r.Scan(&c.Tenant, &c.ID, &c.Name, &state, &aud, &c.TemplateID, &c.TemplateVersion, &c.From, &sendAt, &c.Rate, &quietText, &validity,
		&c.Cursor, &k.Expanded, &k.Skipped, &k.Failed, &k.Queued, &k.Segments, &k.CostMicros, &k.Currency, &k.Withdrawn, &k.NotWithdrawn,
		&c.Created, &launched, &completed, &c.Updated)
	if err != nil {
		return c, err
	}
	c.State, c.Validity = campaign.State(state), time.Duration(validity)*time.Millisecond
	for _, t := range []struct {
		dst *time.Time
		src *time.Time
	}{{&c.SendAt, sendAt}, {&c.Launched, launched}, {&c.Completed, completed}} {
		if t.src != nil {
			*t.dst = *t.src
		}
	}
	if quietText != "" {
		if c.QuietHours, err = quiet.ParseWindow(quietText); err != nil {
			return c, err
		}
	}
	c.Audience, err = unmarshalAudience(aud)
	return c, err
}

// Get returns the tenant's campaign id.
func (s *Store) Get(ctx context.Context, tenant, id string) (Campaign, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE tenant_id = $1 AND id = $2`, tenant, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("campaign %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("get campaign: %w", err)
	}
	return c, nil
}

// List returns the tenant's campaigns, newest first, pageSize at a time
// (0 is 100) after the page token.
func (s *Store) List(ctx context.Context, tenant string, pageSize int, token string) ([]Campaign, string, error) {
	if pageSize < 0 || pageSize > 1000 {
		return nil, "", invalid("page_size", "0 to 1000")
	}
	if pageSize == 0 {
		pageSize = 100
	}
	after, id := time.Unix(1<<40, 0), ""
	if token != "" {
		ts, tid, ok := strings.Cut(token, "/")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil {
			return nil, "", invalid("page_token", "not a token this call returned")
		}
		after, id = t, tid
	}
	rows, err := s.pool.Query(ctx, `SELECT `+campaignColumns+` FROM campaigns WHERE tenant_id = $1 AND (created_at, id) < ($2, $3)
		ORDER BY created_at DESC, id DESC LIMIT $4`, tenant, after, id, pageSize)
	if err != nil {
		return nil, "", fmt.Errorf("campaigns: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Campaign, error) { return scanCampaign(r) })
	if err != nil || len(out) < pageSize {
		return out, "", err
	}
	last := out[len(out)-1]
	return out, last.Created.UTC().Format(time.RFC3339Nano) + "/" + last.ID, nil
}
