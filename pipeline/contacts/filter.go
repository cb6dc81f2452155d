package contacts

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ternsms/tern/core"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// Limits on a filter.
const (
	MaxFilterDepth      = 8
	MaxFilterConditions = 64
	MaxFilterValue      = 500
	MaxFilterValues     = 1000
)

// query builds a statement's WHERE clause: every value goes in args and
// appears in the text only as $n.
type query struct {
	args  []any
	conds int
	now   time.Time
	// tenant is the placeholder of the tenant id, for sub-selects.
	tenant string
}

func newQuery(tenant string, now time.Time) *query {
	q := &query{now: now}
	q.tenant = q.arg(tenant)
	return q
}

// arg adds a bind parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// columns maps the fields a filter may compare to their columns: the only
// identifiers a filter puts into SQL, all fixed here.
var columns = map[ternv1.ContactField]string{
	ternv1.ContactField_CONTACT_FIELD_FIRST_NAME: "c.first_name",
	ternv1.ContactField_CONTACT_FIELD_LAST_NAME:  "c.last_name",
	ternv1.ContactField_CONTACT_FIELD_EMAIL:      "c.email",
	ternv1.ContactField_CONTACT_FIELD_LANGUAGE:   "c.language",
	ternv1.ContactField_CONTACT_FIELD_TIME_ZONE:  "c.time_zone",
	ternv1.ContactField_CONTACT_FIELD_PHONE:      "c.phone",
}

// filter compiles f, found at path (e.g. "filter.all[1]"), to a boolean
// SQL expression over contacts c.
func (q *query) filter(f *ternv1.SegmentFilter, path string, depth int) (string, error) {
	if f == nil || f.GetCondition() == nil {
		return "", invalid(path, "a condition is required")
	}
	if depth > MaxFilterDepth {
		return "", invalid(path, fmt.Sprintf("nested more than %d deep", MaxFilterDepth))
	}
	if q.conds++; q.conds > MaxFilterConditions {
		return "", invalid(path, fmt.Sprintf("more than %d conditions", MaxFilterConditions))
	}
	switch c := f.GetCondition().(type) {
	case *ternv1.SegmentFilter_All:
		return q.group(c.All.GetFilters(), path+".all", " AND ", depth)
	case *ternv1.SegmentFilter_Any:
		return q.group(c.Any.GetFilters(), path+".any", " OR ", depth)
	case *ternv1.SegmentFilter_Not:
		inner, err := q.filter(c.Not, path+".not", depth+1)
		return "NOT (" + inner + ")", err
	case *ternv1.SegmentFilter_Field:
		return q.field(c.Field, path+".field")
	case *ternv1.SegmentFilter_Tag:
		tag := strings.TrimSpace(c.Tag.GetTag())
		if tag == "" || utf8.RuneCountInString(tag) > MaxTag || !utf8.ValidString(tag) {
			return "", invalid(path+".tag.tag", fmt.Sprintf("1 to %d characters", MaxTag))
		}
		return "c.tags @> ARRAY[" + q.arg(tag) + "::text]", nil
	case *ternv1.SegmentFilter_Consent:
		return q.consent(c.Consent.GetState(), path+".consent.state")
	case *ternv1.SegmentFilter_LastDelivered:
		return q.activity(c.LastDelivered, "c.last_delivered_at", path+".last_delivered")
	case *ternv1.SegmentFilter_LastClicked:
		return q.activity(c.LastClicked, "c.last_clicked_at", path+".last_clicked")
	case *ternv1.SegmentFilter_Country:
		return q.country(c.Country.GetCountries(), path+".country.countries")
	case *ternv1.SegmentFilter_List:
		ids := c.List.GetListIds()
		if len(ids) == 0 || len(ids) > MaxFilterValues {
			return "", invalid(path+".list.list_ids", fmt.Sprintf("1 to %d list ids", MaxFilterValues))
		}
		return q.inLists(ids), nil
	}
	return "", invalid(path, "unknown condition")
}

func (q *query) group(fs []*ternv1.SegmentFilter, path, op string, depth int) (string, error) {
	if len(fs) == 0 {
		return "", invalid(path+".filters", "at least one filter")
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		p, err := q.filter(f, fmt.Sprintf("%s.filters[%d]", path, i), depth+1)
		if err != nil {
			return "", err
		}
		parts[i] = "(" + p + ")"
	}
	return strings.Join(parts, op), nil
}

// inLists is membership of any of the tenant's lists ids.
func (q *query) inLists(ids []int64) string {
	return "EXISTS (SELECT 1 FROM contact_list_members m WHERE m.tenant_id = " + q.tenant +
		" AND m.list_id = ANY(" + q.arg(ids) + "::bigint[]) AND m.contact_id = c.id)"
}

func (q *query) field(f *ternv1.FieldCondition, path string) (string, error) {
	col, ok := columns[f.GetField()]
	if f.GetField() == ternv1.ContactField_CONTACT_FIELD_ATTRIBUTE {
		key := f.GetAttribute()
		if key == "" || len(key) > MaxAttrKey || !utf8.ValidString(key) {
			return "", invalid(path+".attribute", fmt.Sprintf("1 to %d bytes of UTF-8", MaxAttrKey))
		}
		col, ok = "coalesce(c.attributes->>"+q.arg(key)+", '')", true
	}
	if !ok {
		return "", invalid(path+".field", "a contact field or CONTACT_FIELD_ATTRIBUTE")
	}
	v := f.GetValue()
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > MaxFilterValue {
		return "", invalid(path+".value", fmt.Sprintf("at most %d characters of UTF-8", MaxFilterValue))
	}
	switch f.GetOp() {
	case ternv1.FieldOperator_FIELD_OPERATOR_EQUALS:
		return col + " = " + q.arg(v), nil
	case ternv1.FieldOperator_FIELD_OPERATOR_NOT_EQUALS:
		return col + " <> " + q.arg(v), nil
	case ternv1.FieldOperator_FIELD_OPERATOR_CONTAINS:
		return "strpos(lower(" + col + "), lower(" + q.arg(v) + ")) > 0", nil
	case ternv1.FieldOperator_FIELD_OPERATOR_PREFIX:
		return "starts_with(" + col + ", " + q.arg(v) + ")", nil
	case ternv1.FieldOperator_FIELD_OPERATOR_EXISTS:
		return col + " <> ''", nil
	case ternv1.FieldOperator_FIELD_OPERATOR_IN:
		vs := f.GetValues()
		if len(vs) == 0 || len(vs) > MaxFilterValues {
			return "", invalid(path+".values", fmt.Sprintf("1 to %d values", MaxFilterValues))
		}
		return col + " = ANY(" + q.arg(vs) + "::text[])", nil
	case ternv1.FieldOperator_FIELD_OPERATOR_GREATER_THAN, ternv1.FieldOperator_FIELD_OPERATOR_LESS_THAN:
		if _, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || len(v) > 40 {
			return "", invalid(path+".value", "a number")
		}
		op := " > "
		if f.GetOp() == ternv1.FieldOperator_FIELD_OPERATOR_LESS_THAN {
			op = " < "
		}
		// Only a value that is a number compares; the cast never fails.
		return "(CASE WHEN " + col + ` ~ '^\s*-?[0-9]+(\.[0-9]+)?\s*$' THEN (` + col + ")::numeric END)" + op + q.arg(strings.TrimSpace(v)) + "::numeric", nil
	}
	return "", invalid(path+".op", "an operator is required")
}

// consentBits is the number's state bits (core/consent.State.Bits), 0
// without a record.
const consentBits = "coalesce((SELECT s.bits FROM consent_state s WHERE s.key = c.consent_key), 0)"

func (q *query) consent(st ternv1.ConsentFilterState, path string) (string, error) {
	switch st {
	case ternv1.ConsentFilterState_CONSENT_FILTER_STATE_MARKETING:
		return q.sendable(core.CategoryMarketing), nil
	case ternv1.ConsentFilterState_CONSENT_FILTER_STATE_OPTED_OUT:
		return "(" + consentBits + " & 9) <> 0", nil
	case ternv1.ConsentFilterState_CONSENT_FILTER_STATE_NO_RECORD:
		return "NOT EXISTS (SELECT 1 FROM consent_state s WHERE s.key = c.consent_key)", nil
	}
	return "", invalid(path, "a consent state is required")
}

// sendable holds for a contact a message of category cat may go to, by
// the consent ledger's own rule (its consent_refusal function).
func (q *query) sendable(cat core.Category) string {
	return "consent_refusal(c.consent_key, " + q.arg(int32(cat.Normalize())) + ") IS NULL"
}

func (q *query) activity(a *ternv1.ActivityCondition, col, path string) (string, error) {
	if a.GetNever() {
		return col + " IS NULL", nil
	}
	w := a.GetWithin()
	if w == nil || w.CheckValid() != nil || w.AsDuration() <= 0 {
		return "", invalid(path+".within", "a positive duration, or never")
	}
	return col + " >= " + q.arg(q.now.Add(-w.AsDuration())), nil
}

func (q *query) country(cs []string, path string) (string, error) {
	if len(cs) == 0 || len(cs) > MaxFilterValues {
		return "", invalid(path, fmt.Sprintf("1 to %d regions", MaxFilterValues))
	}
	up := make([]string, len(cs))
	for i, c := range cs {
		up[i] = strings.ToUpper(strings.TrimSpace(c))
		if len(up[i]) != 2 || strings.Trim(up[i], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return "", invalid(path, "ISO 3166-1 alpha-2 regions such as US")
		}
	}
	return "c.region = ANY(" + q.arg(up) + "::text[])", nil
}

// CheckFilter reports the first problem with f, naming its path under
// "filter".
func CheckFilter(f *ternv1.SegmentFilter) error {
	_, err := newQuery("", time.Now()).filter(f, "filter", 1)
	return err
}
