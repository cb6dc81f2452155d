package analytics_test

import (
	"errors"
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/analytics/chtest"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

func TestMessage(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)

	at := func(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }
	queued := ev("m", "c1", core.StatusQueued, 0)
	queued.Recipient, queued.Region, queued.Segments = "+14155552671", "US", 2
	queued.Encoding, queued.Category = gsm.UCS2, core.CategoryMarketing
	submitted := ev("m", "c1", core.StatusSubmitted, 1.5)
	submitted.Carrier, submitted.CarrierMessageID = "sim", "abc123"
	enroute := ev("m", "c1", core.StatusSubmitted, 2)
	enroute.Carrier = "sim"
	delivered := ev("m", "c1", core.StatusDelivered, 4.25)
	delivered.Segments = 0
	undelivered := ev("m", "c1", core.StatusUndelivered, 4.5)
	undelivered.Reason, undelivered.ErrorCode = "absent subscriber", "001"
	failed := ev("m", "", core.StatusFailed, 0.5)
	failed.Reason, failed.ErrorCode = "no route", "ESME_RINVDSTADR"

	base := analytics.MessageView{
		To: "+14155552671", Region: "US", CampaignID: "c1", Category: core.CategoryMarketing,
		Segments: 2, Encoding: gsm.UCS2, AcceptedAt: at(0),
	}
	with := func(edit func(*analytics.MessageView)) analytics.MessageView {
		v := base
		edit(&v)
		return v
	}
	tests := []struct {
		name string
		rows []analytics.Row
		want analytics.MessageView
	}{
		{
			name: "queued",
			rows: []analytics.Row{queued},
			want: with(func(v *analytics.MessageView) {
				v.Status, v.UpdatedAt = core.StatusQueued, at(0)
			}),
		},
		{
			name: "receipt before submit, all twice",
			rows: []analytics.Row{delivered, enroute, submitted, queued, delivered, submitted, queued},
			want: with(func(v *analytics.MessageView) {
				v.Status = core.StatusDelivered
				v.Carrier, v.CarrierMessageID = "sim", "abc123"
				v.SubmittedAt, v.DoneAt, v.UpdatedAt = at(1.5), at(4.25), at(4.25)
			}),
		},
		{
			name: "later final in the same second wins",
			rows: []analytics.Row{queued, submitted, undelivered, delivered},
			want: with(func(v *analytics.MessageView) {
				v.Status = core.StatusUndelivered
				v.Carrier, v.CarrierMessageID = "sim", "abc123"
				v.Reason, v.ErrorCode = "absent subscriber", "001"
				v.SubmittedAt, v.DoneAt, v.UpdatedAt = at(1.5), at(4.5), at(4.5)
			}),
		},
		{
			name: "late in-progress event after the final",
			rows: []analytics.Row{queued, failed, ev("m", "c1", core.StatusSubmitted, 60)},
			want: with(func(v *analytics.MessageView) {
				v.Status = core.StatusFailed
				v.Reason, v.ErrorCode = "no route", "ESME_RINVDSTADR"
				v.SubmittedAt, v.DoneAt, v.UpdatedAt = at(60), at(0.5), at(0.5)
			}),
		},
		{
			name: "final without its submit",
			rows: []analytics.Row{failed},
			want: analytics.MessageView{
				Status: core.StatusFailed, Segments: 1, Reason: "no route", ErrorCode: "ESME_RINVDSTADR",
				DoneAt: at(0.5), UpdatedAt: at(0.5),
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// One tenant per case: the cases share the store.
			tenant := "tenant" + string(rune('a'+i))
			for _, r := range tt.rows {
				r.TenantID = tenant
				insert(t, s, r)
			}
			got, err := s.Message(t.Context(), tenant, "m")
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			want.ID, want.TenantID = "m", tenant
			if got != want {
				t.Fatalf("Message =\n%+v\nwant\n%+v", got, want)
			}
		})
	}
}

func TestMessageNotFound(t *testing.T) {
	t.Parallel()
	s := chtest.Store(t)
	insert(t, s, ev("m1", "", core.StatusQueued, 0))
	tests := []struct{ name, tenant, id string }{
		{"unknown id", "t1", "m2"},
		{"another tenant's message", "t2", "m1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.Message(t.Context(), tt.tenant, tt.id); !errors.Is(err, analytics.ErrNotFound) {
				t.Fatalf("Message(%s, %s) = %v, want ErrNotFound", tt.tenant, tt.id, err)
			}
		})
	}
}
