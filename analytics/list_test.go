package analytics_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/testkit"
)

// TestListAndExportMessages: messages are listed newest first across
// pages without gaps or repeats, filtered by recipient, campaign, status
// and time, with what the writer added to them; the export has them all.
func TestListAndExportMessages(t *testing.T) {
	t.Parallel()
	e := newMixEnv(t, chtest.Store(t))
	msgs := newMix(300, "c1", t0)
	other := newMix(20, "c2", t0.Add(time.Hour))
	for _, set := range []struct {
		campaign string
		msgs     []mixMsg
	}{{"c1", msgs}, {"c2", other}} {
		submits, events := mixRecords(e.p, set.campaign, set.msgs)
		e.p.send(submits...)
		e.p.send(events...)
	}
	runWriter(t, e.writer(t))
	ctx := context.Background()
	all := analytics.MessageFilter{AcceptedAfter: t0.Add(-time.Hour), AcceptedBefore: t0.Add(2 * time.Hour)}
	for _, c := range []struct {
		id string
		n  int64
	}{{"c1", 300}, {"c2", 20}} {
		testkit.Eventually(t, time.Minute, func() error {
			r, err := e.store.CampaignReport(ctx, "t1", c.id)
			if err != nil || r.Funnel.Accepted != c.n || r.Funnel.Finished() != c.n {
				return fmt.Errorf("%s not all written yet: %+v %v", c.id, r.Funnel, err)
			}
			return nil
		})
	}

	both := append(slices.Clone(msgs), other...)
	got := listAll(t, e.store, all, 37)
	want := append(ids(other), ids(msgs)...)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %d ids, want %d newest first:\n got %v\nwant %v", len(got), len(want), head(got), head(want))
	}
	tests := []struct {
		name string
		f    analytics.MessageFilter
		want []string
	}{
		{"by recipient", withF(all, func(f *analytics.MessageFilter) { f.To = msgs[4].to }), idsWhere(both, func(m mixMsg) bool { return m.to == msgs[4].to })},
		{"by campaign", withF(all, func(f *analytics.MessageFilter) { f.CampaignID = "c2" }), ids(other)},
		{"by status", withF(all, func(f *analytics.MessageFilter) {
			f.Statuses = []core.Status{core.StatusUndelivered, core.StatusExpired}
		}),
			append(idsWhere(other, func(m mixMsg) bool { return m.status != core.StatusDelivered }), idsWhere(msgs, func(m mixMsg) bool { return m.status != core.StatusDelivered })...)},
		{"by time", withF(all, func(f *analytics.MessageFilter) {
			f.AcceptedAfter, f.AcceptedBefore = t0.Add(10*time.Second), t0.Add(20*time.Second)
		}),
			idsWhere(msgs, func(m mixMsg) bool {
				return !m.accepted.Before(t0.Add(10*time.Second)) && m.accepted.Before(t0.Add(20*time.Second))
			})},
	}
	for _, tt := range tests {
		if got := listAll(t, e.store, tt.f, 7); !slices.Equal(got, tt.want) {
			t.Errorf("%s: got %v\nwant %v", tt.name, head(got), head(tt.want))
		}
	}

	page, _, err := e.store.ListMessages(ctx, "t1", withF(all, func(f *analytics.MessageFilter) { f.To, f.CampaignID = msgs[2].to, "c1" }), 10, "")
	if err != nil || len(page) != 1 {
		t.Fatalf("page = %+v, %v", page, err)
	}
	m := page[0]
	if m.Sender != msgs[2].sender || m.Region != "FR" || m.Carrier != msgs[2].carrier || m.Status != core.StatusDelivered ||
		m.PriceMicros != int64(msgs[2].segments)*pricePerSegment || m.Currency != "USD" ||
		m.CostMicros != int64(msgs[2].segments)*mixCosts[msgs[2].carrier] || m.CostCurrency != "USD" ||
		!m.AcceptedAt.Equal(msgs[2].accepted) || !m.SubmittedAt.Equal(msgs[2].submitted) || !m.DoneAt.Equal(msgs[2].final) {
		t.Fatalf("listed message %+v\nfrom %+v", m, msgs[2])
	}

	for _, bad := range []struct {
		f     analytics.MessageFilter
		size  int
		token string
		field string
	}{
		{analytics.MessageFilter{To: "4155552671"}, 0, "", "filter.to"},
		{all, MaxPage + 1, "", "page_size"},
		{all, 0, "bm90IGEgdG9rZW4", "page_token"},
		{analytics.MessageFilter{AcceptedAfter: t0, AcceptedBefore: t0}, 0, "", "filter.accepted_after"},
	} {
		_, _, err := e.store.ListMessages(ctx, "t1", bad.f, bad.size, bad.token)
		var re *analytics.RequestError
		if !errors.As(err, &re) || re.Field != bad.field || !errors.Is(err, analytics.ErrInvalidRequest) {
			t.Errorf("ListMessages(%+v, %d, %q) = %v, want an error naming %s", bad.f, bad.size, bad.token, err, bad.field)
		}
	}

	var out bytes.Buffer
	chunks := 0
	if err := e.store.ExportMessages(ctx, "t1", all, func(b []byte) error { chunks++; out.Write(b); return nil }); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(&out).ReadAll()
	if err != nil || len(recs) != 1+len(want) || recs[0][0] != "id" || recs[1][0] != want[0] || recs[len(recs)-1][0] != want[len(want)-1] {
		t.Fatalf("export: %d records, %v", len(recs), err)
	}
	if line := strings.Join(recs[len(recs)-1], ","); !strings.Contains(line, ",0.020000,USD,0.014000,USD,") && !strings.Contains(line, ",0.010000,USD,0.005000,USD,") {
		t.Fatalf("export line without money: %s", line)
	}
}

// MaxPage is analytics.MaxPageSize, spelled short for the table.
const MaxPage = analytics.MaxPageSize

func withF(f analytics.MessageFilter, change func(*analytics.MessageFilter)) analytics.MessageFilter {
	change(&f)
	return f
}

// listAll follows the pages of f to the end and returns the ids listed.
func listAll(t *testing.T, s *analytics.Store, f analytics.MessageFilter, size int) []string {
	t.Helper()
	var out []string
	token := ""
	for range 1000 {
		page, next, err := s.ListMessages(context.Background(), "t1", f, size, token)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range page {
			out = append(out, m.ID)
		}
		if next == "" {
			return out
		}
		token = next
	}
	t.Fatal("pages without end")
	return nil
}

// ids are msgs' ids newest first, as listings order them: by accept
// second, then id, both descending.
func ids(msgs []mixMsg) []string { return idsWhere(msgs, func(mixMsg) bool { return true }) }

func idsWhere(msgs []mixMsg, keep func(mixMsg) bool) []string {
	var sel []mixMsg
	for _, m := range msgs {
		if keep(m) {
			sel = append(sel, m)
		}
	}
	slices.SortFunc(sel, func(a, b mixMsg) int {
		if c := b.accepted.Truncate(time.Second).Compare(a.accepted.Truncate(time.Second)); c != 0 {
			return c
		}
		return compareStrings(b.id, a.id)
	})
	out := make([]string, len(sel))
	for i, m := range sel {
		out[i] = m.id
	}
	return out
}

func head(s []string) []string { return s[:min(len(s), 8)] }
