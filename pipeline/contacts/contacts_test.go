package contacts

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/consent"
	consentlog "github.com/ternsms/tern/pipeline/consent"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

func TestContactUpsertGetDelete(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	s := e.store
	c, created, err := s.Upsert(ctx, Contact{Tenant: "shop-1", Phone: "33612345678", FirstName: " Zoë ", Language: "fr",
		Attributes: map[string]string{"city": "Lyon"}, Tags: []string{"vip", " vip", "b"}}, nil)
	if err != nil || !created {
		t.Fatalf("Upsert = %+v, %v, %v", c, created, err)
	}
	if c.Phone != "+33612345678" || c.Country != "FR" || c.TimeZone != "Europe/Paris" || c.FirstName != "Zoë" ||
		!slices.Equal(c.Tags, []string{"b", "vip"}) || c.Attributes["city"] != "Lyon" || c.Consent != (consent.State{}) {
		t.Fatalf("stored %+v", c)
	}
	// Replacing: what is sent is what is kept; consent shows the ledger's.
	if _, _, _, err := e.ledger.Record(ctx, consentlog.Event{Tenant: "shop-1", Number: c.Phone, Kind: consent.OptIn, Scope: consent.ScopeMarketing,
		Method: consentlog.MethodWebForm}); err != nil {
		t.Fatal(err)
	}
	c2, created, err := s.Upsert(ctx, Contact{Tenant: "shop-1", Phone: "+33612345678", TimeZone: "America/Cayenne"}, nil)
	if err != nil || created || c2.ID != c.ID || c2.FirstName != "" || c2.TimeZone != "America/Cayenne" || !c2.Consent.Marketing {
		t.Fatalf("second Upsert = %+v, created %v, %v", c2, created, err)
	}
	if _, err := s.GetByPhone(ctx, "shop-2", "+33612345678"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant reads the contact: %v", err)
	}
	bad := []struct {
		c     Contact
		field string
	}{
		{Contact{Tenant: "shop-1"}, "phone: required"},
		{Contact{Tenant: "shop-1", Phone: "+999"}, "phone: not a valid"},
		{Contact{Tenant: "shop-1", Phone: "+14155550100", TimeZone: "Mars/Base"}, "time_zone:"},
		{Contact{Tenant: "shop-1", Phone: "+14155550100", Language: "en; DROP"}, "language:"},
		{Contact{Tenant: "shop-1", Phone: "+14155550100", Tags: []string{strings.Repeat("x", 101)}}, "tags:"},
		{Contact{Tenant: "shop-1", Phone: "+14155550100", Attributes: map[string]string{"": "x"}}, "attributes:"},
	}
	for _, b := range bad {
		if _, _, err := s.Upsert(ctx, b.c, nil); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), b.field) {
			t.Errorf("Upsert(%+v) = %v, want %q", b.c, err, b.field)
		}
	}
	if _, _, err := s.Upsert(ctx, Contact{Tenant: "shop-1", Phone: "+14155550100"}, []int64{999}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Upsert into a missing list: %v", err)
	}
	if n, err := s.Delete(ctx, "shop-1", 0, "+33612345678"); err != nil || n != "+33612345678" {
		t.Fatalf("Delete = %q, %v", n, err)
	}
	if _, err := s.Delete(ctx, "shop-1", c.ID, ""); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Delete again: %v", err)
	}
}

// TestSegments: lists and filters over fields, attributes, tags,
// consent, activity and country select the right contacts, and the
// counts agree with the pages.
func TestSegments(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	e := newEnv(t, ctx)
	s := e.store
	vip, err := s.CreateList(ctx, "shop-1", "VIP")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateList(ctx, "shop-1", "VIP"); !errors.Is(err, ErrExists) {
		t.Fatalf("second list named VIP: %v", err)
	}
	ids := map[string]int64{}
	for i, p := range []struct {
		name, phone, city string
		spent             string
		tags              []string
	}{
		{"ana", "+14155550101", "Boston", "120", []string{"vip"}},
		{"ben", "+14155550102", "Lyon", "80.5", nil},
		{"cy", "+447400123456", "London", "x", []string{"vip", "new"}},
		{"di", "+33612345678", "O'Brien'); DROP TABLE contacts; --", "300", nil},
	} {
		var lists []int64
		if i < 2 {
			lists = []int64{vip.ID}
		}
		c, _, err := s.Upsert(ctx, Contact{Tenant: "shop-1", Phone: p.phone, FirstName: p.name,
			Attributes: map[string]string{"city": p.city, "spent": p.spent}, Tags: p.tags}, lists)
		if err != nil {
			t.Fatal(err)
		}
		ids[p.name] = c.ID
	}
	if _, _, err := s.Upsert(ctx, Contact{Tenant: "shop-2", Phone: "+14155550101", FirstName: "other tenant"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"+14155550101", "+447400123456"} {
		if _, _, _, err := e.ledger.Record(ctx, consentlog.Event{Tenant: "shop-1", Number: n, Kind: consent.OptIn, Scope: consent.ScopeMarketing,
			Method: consentlog.MethodWebForm}); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, err := e.ledger.Record(ctx, consentlog.Event{Tenant: "shop-1", Number: "+447400123456", Kind: consent.OptOut, Scope: consent.ScopeAll,
		Method: consentlog.MethodKeyword}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, []Delivered{{Tenant: "shop-1", Phone: "+14155550102", At: time.Now().Add(-time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkClicked(ctx, []Clicked{{Tenant: "shop-1", Contact: ids["di"], At: time.Now().Add(-48 * time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	attr := func(key string, op ternv1.FieldOperator, v string) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Field{Field: &ternv1.FieldCondition{
			Field: ternv1.ContactField_CONTACT_FIELD_ATTRIBUTE, Attribute: key, Op: op, Value: v}}}
	}
	tag := func(t string) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Tag{Tag: &ternv1.TagCondition{Tag: t}}}
	}
	not := func(f *ternv1.SegmentFilter) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Not{Not: f}}
	}
	all := func(fs ...*ternv1.SegmentFilter) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_All{All: &ternv1.FilterGroup{Filters: fs}}}
	}
	anyOf := func(fs ...*ternv1.SegmentFilter) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Any{Any: &ternv1.FilterGroup{Filters: fs}}}
	}
	consentIs := func(st ternv1.ConsentFilterState) *ternv1.SegmentFilter {
		return &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Consent{Consent: &ternv1.ConsentCondition{State: st}}}
	}
	tests := []struct {
		name string
		a    Audience
		want []string
	}{
		{"everyone", Audience{}, []string{"ana", "ben", "cy", "di"}},
		{"list", Audience{ListIDs: []int64{vip.ID}}, []string{"ana", "ben"}},
		{"attribute equals, injection stays a value", Audience{Filter: attr("city", ternv1.FieldOperator_FIELD_OPERATOR_EQUALS, "O'Brien'); DROP TABLE contacts; --")}, []string{"di"}},
		{"attribute key with quotes", Audience{Filter: attr("ci'ty", ternv1.FieldOperator_FIELD_OPERATOR_EXISTS, "")}, nil},
		{"numeric greater than skips non-numbers", Audience{Filter: attr("spent", ternv1.FieldOperator_FIELD_OPERATOR_GREATER_THAN, "100")}, []string{"ana", "di"}},
		{"contains, case-insensitive", Audience{Filter: attr("city", ternv1.FieldOperator_FIELD_OPERATOR_CONTAINS, "LON")}, []string{"cy"}},
		{"tag and not tag", Audience{Filter: all(tag("vip"), not(tag("new")))}, []string{"ana"}},
		{"any", Audience{Filter: anyOf(tag("new"), attr("city", ternv1.FieldOperator_FIELD_OPERATOR_IN, ""))}, []string{"cy"}},
		{"marketing consent", Audience{Filter: consentIs(ternv1.ConsentFilterState_CONSENT_FILTER_STATE_MARKETING)}, []string{"ana"}},
		{"opted out", Audience{Filter: consentIs(ternv1.ConsentFilterState_CONSENT_FILTER_STATE_OPTED_OUT)}, []string{"cy"}},
		{"no record", Audience{Filter: consentIs(ternv1.ConsentFilterState_CONSENT_FILTER_STATE_NO_RECORD)}, []string{"ben", "di"}},
		{"delivered within a day", Audience{Filter: &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_LastDelivered{
			LastDelivered: &ternv1.ActivityCondition{Within: durationpb.New(24 * time.Hour)}}}}, []string{"ben"}},
		{"clicked within a day", Audience{Filter: &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_LastClicked{
			LastClicked: &ternv1.ActivityCondition{Within: durationpb.New(24 * time.Hour)}}}}, nil},
		{"never clicked", Audience{Filter: &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_LastClicked{
			LastClicked: &ternv1.ActivityCondition{Never: true}}}}, []string{"ana", "ben", "cy"}},
		{"country", Audience{Filter: &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Country{Country: &ternv1.CountryCondition{Countries: []string{"gb", "FR"}}}}}, []string{"cy", "di"}},
		{"list and filter", Audience{ListIDs: []int64{vip.ID}, Filter: tag("vip")}, []string{"ana"}},
	}
	tests[7].a.Filter.GetAny().GetFilters()[1].GetField().Values = []string{"Paris"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want []int64
			for _, n := range tt.want {
				want = append(want, ids[n])
			}
			var got []int64
			for after := int64(0); ; {
				page, err := s.Page(ctx, "shop-1", tt.a, after, 2)
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page {
					got = append(got, c.ID)
				}
				if len(page) < 2 {
					break
				}
				after = page[len(page)-1].ID
			}
			total, _, err := s.Count(ctx, "shop-1", tt.a, core.CategoryMarketing)
			if !slices.Equal(got, want) || err != nil || total != int64(len(want)) {
				t.Fatalf("selected %v (count %d, %v), want %v", got, total, err, want)
			}
		})
	}
	total, sendable, err := s.Count(ctx, "shop-1", Audience{}, core.CategoryMarketing)
	if err != nil || total != 4 || sendable != 1 {
		t.Fatalf("Count = %d, %d, %v; want 4 contacts, 1 sendable", total, sendable, err)
	}
	sg, err := s.CreateSegment(ctx, "shop-1", "big spenders", attr("spent", ternv1.FieldOperator_FIELD_OPERATOR_GREATER_THAN, "100"))
	if err != nil {
		t.Fatal(err)
	}
	if n, _, err := s.Count(ctx, "shop-1", Audience{SegmentID: sg.ID}, core.CategoryMarketing); err != nil || n != 2 {
		t.Fatalf("stored segment counts %d, %v", n, err)
	}
	if _, _, err := s.Count(ctx, "shop-2", Audience{SegmentID: sg.ID}, core.CategoryMarketing); !errors.Is(err, ErrNotFound) {
		t.Fatalf("another tenant's segment: %v", err)
	}
}

func TestFilterErrors(t *testing.T) {
	t.Parallel()
	deep := &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Tag{Tag: &ternv1.TagCondition{Tag: "x"}}}
	for range MaxFilterDepth + 1 {
		deep = &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Not{Not: deep}}
	}
	many := &ternv1.FilterGroup{}
	for range MaxFilterConditions {
		many.Filters = append(many.Filters, &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Tag{Tag: &ternv1.TagCondition{Tag: "x"}}})
	}
	tests := []struct {
		name string
		f    *ternv1.SegmentFilter
		want string
	}{
		{"empty", &ternv1.SegmentFilter{}, "filter: a condition is required"},
		{"empty group", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_All{All: &ternv1.FilterGroup{}}}, "filter.all.filters: at least one"},
		{"too deep", deep, "nested more than 8 deep"},
		{"too many", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Any{Any: many}}, "more than 64 conditions"},
		{"no operator", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Field{Field: &ternv1.FieldCondition{Field: ternv1.ContactField_CONTACT_FIELD_EMAIL}}},
			"filter.field.op:"},
		{"not a number", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Field{Field: &ternv1.FieldCondition{Field: ternv1.ContactField_CONTACT_FIELD_ATTRIBUTE,
			Attribute: "spent", Op: ternv1.FieldOperator_FIELD_OPERATOR_LESS_THAN, Value: "1; DROP"}}}, "filter.field.value: a number"},
		{"bad country", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_Country{Country: &ternv1.CountryCondition{Countries: []string{"USA"}}}},
			"filter.country.countries:"},
		{"activity without a window", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_LastClicked{LastClicked: &ternv1.ActivityCondition{}}},
			"filter.last_clicked.within:"},
		{"nested path", &ternv1.SegmentFilter{Condition: &ternv1.SegmentFilter_All{All: &ternv1.FilterGroup{Filters: []*ternv1.SegmentFilter{
			{Condition: &ternv1.SegmentFilter_Tag{Tag: &ternv1.TagCondition{Tag: "x"}}}, {Condition: &ternv1.SegmentFilter_Consent{Consent: &ternv1.ConsentCondition{}}}}}}},
			"filter.all.filters[1].consent.state:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckFilter(tt.f)
			var fe *FieldError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CheckFilter = %v, want %q", err, tt.want)
			}
		})
	}
}
