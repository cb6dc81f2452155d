package analytics_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
)

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Templating struct {
		List []struct {
			Name  string `json:"name"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
	Panels []struct {
		Title   string `json:"title"`
		Targets []struct {
			RawSQL string `json:"rawSql"`
		} `json:"targets"`
	} `json:"panels"`
}

var timeFilter = regexp.MustCompile(`\$__timeFilter\((\w+)\)`)

// expandGrafana does what Grafana and the ClickHouse data source plugin
// do to a panel's SQL before sending it: the tenant variable, the
// interval, the time range macros; and it names the test's database.
func expandGrafana(sql, db string, from, to time.Time) string {
	f, t := fmt.Sprintf("toDateTime(%d)", from.Unix()), fmt.Sprintf("toDateTime(%d)", to.Unix())
	sql = timeFilter.ReplaceAllString(sql, "$1 >= "+f+" AND $1 <= "+t)
	return strings.NewReplacer("${tenant}", "t1", "$__interval_s", "60", "$__fromTime", f, "$__toTime", t, "tern.", db+".").Replace(sql)
}

// TestGrafanaPanels runs every panel's SQL, and the tenant variable's,
// against ClickHouse holding a known mix: no panel is broken, and each
// the mix feeds shows rows.
func TestGrafanaPanels(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("grafana/dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard.json: %v", err)
	}
	s := chtest.Store(t)
	msgs := newMix(300, "c1", t0)
	if err := s.Record(t.Context(), mixRows(msgs)); err != nil {
		t.Fatal(err)
	}
	var queries []string
	for _, v := range d.Templating.List {
		if q, ok := v.Query.(string); ok && strings.HasPrefix(q, "SELECT") {
			queries = append(queries, q)
		}
	}
	titles := map[string]bool{}
	for _, p := range d.Panels {
		titles[p.Title] = true
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			queries = append(queries, tg.RawSQL)
		}
	}
	for _, want := range []string{"Delivery rate over time", "Delivery rate by country", "Delivery rate by carrier", "Top error codes",
		"Receipt latency (submit to final)", "Spend: price and carrier cost"} {
		if !titles[want] {
			t.Errorf("no panel %q", want)
		}
	}
	conn := rawConn(t, s)
	for _, q := range queries {
		sql := expandGrafana(q, s.Database(), t0.Add(-time.Hour), t0.Add(time.Hour))
		rows, err := conn.Query(t.Context(), sql)
		if err != nil {
			t.Errorf("%v\n%s", err, sql)
			continue
		}
		n := 0
		for rows.Next() {
			n++
		}
		rows.Close()
		if err := rows.Err(); err != nil || n == 0 {
			t.Errorf("%d rows, %v:\n%s", n, err, sql)
		}
	}
}

// mixRows are the rows the writer makes of newMix's records (one copy
// each, the costs filled in).
func mixRows(msgs []mixMsg) []analytics.Row {
	var rows []analytics.Row
	for _, m := range msgs {
		base := analytics.Row{TenantID: "t1", MessageID: m.id, CampaignID: "c1", Recipient: m.to, Region: m.country, Segments: m.segments}
		acc, sub, fin := base, base, base
		acc.Status, acc.Time, acc.Submit, acc.Sender = 1, m.accepted, true, m.sender
		acc.PriceMicros, acc.Currency = int64(m.segments)*pricePerSegment, "USD"
		sub.Status, sub.Time, sub.Carrier = 2, m.submitted, m.carrier
		sub.CostMicros, sub.CostCurrency = int64(m.segments)*mixCosts[m.carrier], "USD"
		fin.Status, fin.Time, fin.Carrier, fin.ErrorCode = m.status, m.final, m.carrier, m.code
		rows = append(rows, acc, sub, fin)
	}
	return rows
}
