package analytics

import (
	"testing"
	"time"

	"github.com/ternsms/tern/core"
)

func TestDeriveFacts(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	sub := Row{TenantID: "t", MessageID: "m", Status: core.StatusQueued, Time: at, Submit: true, Sender: "SHOP",
		PriceMicros: 100, Currency: "USD", Segments: 2, Region: "US", CampaignID: "c"}
	ev := func(st core.Status, sec float64, code string) Row {
		return Row{TenantID: "t", MessageID: "m", Status: st, Time: at.Add(time.Duration(sec * float64(time.Second))),
			Carrier: "a", ErrorCode: code, CostMicros: 50, CostCurrency: "USD", Segments: 2}
	}
	type want struct {
		stage  stage
		sign   int8
		status core.Status
		sample bool
		lat    uint32
	}
	tests := []struct {
		name  string
		known *known
		rows  []Row
		want  []want
	}{
		{"a message's life", nil, []Row{sub, ev(core.StatusSubmitted, 1, ""), ev(core.StatusDelivered, 3, "")},
			[]want{{stageAccepted, 1, core.StatusQueued, false, 0}, {stageSubmitted, 1, core.StatusSubmitted, true, 1000}, {stageFinal, 1, core.StatusDelivered, true, 2000}}},
		{"submits first whatever the order", nil, []Row{ev(core.StatusSubmitted, 1, ""), sub},
			[]want{{stageAccepted, 1, core.StatusQueued, false, 0}, {stageSubmitted, 1, core.StatusSubmitted, true, 1000}}},
		{"copies add nothing", nil, []Row{sub, sub, ev(core.StatusSubmitted, 1, ""), ev(core.StatusSubmitted, 2, ""), ev(core.StatusDelivered, 3, ""), ev(core.StatusDelivered, 3, "")},
			[]want{{stageAccepted, 1, core.StatusQueued, false, 0}, {stageSubmitted, 1, core.StatusSubmitted, true, 1000}, {stageFinal, 1, core.StatusDelivered, true, 2000}}},
		{"an event carrying its acceptance times the submit without the accepted fact", nil,
			[]Row{func() Row { r := ev(core.StatusSubmitted, 1.5, ""); r.AcceptedAt, r.Sender = at, "SHOP"; return r }()},
			[]want{{stageSubmitted, 1, core.StatusSubmitted, true, 1500}}},
		{"queued events of deferrals are no acceptance", nil, []Row{ev(core.StatusQueued, 5, "")}, nil},
		{"a later final status corrects", nil, []Row{ev(core.StatusUnknown, 3, ""), ev(core.StatusDelivered, 9, "")},
			[]want{{stageFinal, 1, core.StatusUnknown, false, 0}, {stageFinal, -1, core.StatusUnknown, false, 0}, {stageFinal, 1, core.StatusDelivered, false, 0}}},
		{"an older final status is ignored", nil, []Row{ev(core.StatusDelivered, 9, ""), ev(core.StatusUnknown, 3, "")},
			[]want{{stageFinal, 1, core.StatusDelivered, false, 0}}},
		{"known stages add nothing", &known{accepted: &fact{Stage: stageAccepted}, submitted: &fact{Stage: stageSubmitted, Time: at}},
			[]Row{sub, ev(core.StatusSubmitted, 1, ""), ev(core.StatusUndelivered, 4, "001")},
			[]want{{stageFinal, 1, core.StatusUndelivered, true, 4000}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := map[msgKey]*known{}
			if tt.known != nil {
				k[msgKey{"t", "m"}] = tt.known
			}
			got := deriveFacts(tt.rows, k)
			if len(got) != len(tt.want) {
				t.Fatalf("%d facts %+v, want %d", len(got), got, len(tt.want))
			}
			for i, w := range tt.want {
				g := got[i]
				if g.Stage != w.stage || g.Sign != w.sign || g.Status != w.status || g.Sample != w.sample || g.LatencyMs != w.lat {
					t.Errorf("fact %d = %+v, want %+v", i, g, w)
				}
			}
			for _, f := range got {
				if f.Stage != stageAccepted && tt.known == nil && f.Sender == "" && hasSubmit(tt.rows) {
					t.Errorf("fact %+v lacks the sender of its acceptance", f)
				}
				if f.Stage == stageAccepted && (f.PriceMicros != 100 || f.CostMicros != 0) || f.Stage == stageSubmitted && (f.CostMicros != 50 || f.PriceMicros != 0) {
					t.Errorf("money on the wrong stage: %+v", f)
				}
			}
		})
	}
}

func hasSubmit(rows []Row) bool {
	for _, r := range rows {
		if r.Submit {
			return true
		}
	}
	return false
}
