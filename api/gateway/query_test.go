package gateway

import (
	"testing"
	"time"

	"github.com/ternsms/tern/analytics"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
)

func TestQueryResp(t *testing.T) {
	t.Parallel()
	done := time.Date(2026, 11, 27, 9, 15, 30, 700_000_000, time.FixedZone("CET", 3600))
	tests := []struct {
		name string
		in   analytics.MessageView
		want smpp.QuerySMResp
	}{
		{"queued", analytics.MessageView{Status: core.StatusQueued}, smpp.QuerySMResp{State: smpp.StateEnroute}},
		{"with the carrier", analytics.MessageView{Status: core.StatusSubmitted}, smpp.QuerySMResp{State: smpp.StateEnroute}},
		{"delivered", analytics.MessageView{Status: core.StatusDelivered, DoneAt: done},
			smpp.QuerySMResp{State: smpp.StateDelivered, FinalDate: "261127081530700+"}},
		{"undelivered with the carrier's error", analytics.MessageView{Status: core.StatusUndelivered, DoneAt: done, ErrorCode: "034"},
			smpp.QuerySMResp{State: smpp.StateUndeliverable, FinalDate: "261127081530700+", ErrorCode: 34}},
		{"an error code too large for one octet", analytics.MessageView{Status: core.StatusUndelivered, DoneAt: done, ErrorCode: "0x00000400"},
			smpp.QuerySMResp{State: smpp.StateUndeliverable, FinalDate: "261127081530700+"}},
		{"expired", analytics.MessageView{Status: core.StatusExpired, DoneAt: done},
			smpp.QuerySMResp{State: smpp.StateExpired, FinalDate: "261127081530700+"}},
		{"failed in tern", analytics.MessageView{Status: core.StatusFailed, DoneAt: done, ErrorCode: "0x0000000B"},
			smpp.QuerySMResp{State: smpp.StateRejected, FinalDate: "261127081530700+", ErrorCode: 11}},
		{"canceled", analytics.MessageView{Status: core.StatusCanceled, DoneAt: done},
			smpp.QuerySMResp{State: smpp.StateDeleted, FinalDate: "261127081530700+"}},
		{"unknown outcome", analytics.MessageView{Status: core.StatusUnknown, DoneAt: done},
			smpp.QuerySMResp{State: smpp.StateUnknown, FinalDate: "261127081530700+"}},
		{"final without a date", analytics.MessageView{Status: core.StatusDelivered}, smpp.QuerySMResp{State: smpp.StateDelivered}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.want.MessageID = "id-1"
			if got := queryResp("id-1", tt.in); *got != tt.want {
				t.Errorf("queryResp = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// A final date reads back as the time it was written from, to the tenth
// of a second.
func TestFormatTimeReadsBack(t *testing.T) {
	t.Parallel()
	for _, at := range []time.Time{
		time.Date(2026, 11, 27, 9, 15, 30, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 960_000_000, time.FixedZone("", -5*3600)),
		time.Date(2049, 12, 31, 23, 59, 59, 100_000_000, time.UTC),
	} {
		s := formatTime(at)
		got, err := parseTime(s, at)
		if err != nil || !got.Equal(at.Truncate(100*time.Millisecond)) {
			t.Errorf("formatTime(%v) = %q, read back as %v, %v", at, s, got, err)
		}
	}
}
