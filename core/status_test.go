package core

import "testing"

func TestReceiptStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		stat  string
		want  Status
		final bool
	}{
		{"DELIVRD", StatusDelivered, true},
		{"ENROUTE", StatusSubmitted, false},
		{"ACCEPTD", StatusSubmitted, false},
		{"UNDELIV", StatusUndelivered, true},
		{"DELETED", StatusUndelivered, true},
		{"EXPIRED", StatusExpired, true},
		{"REJECTD", StatusRejected, true},
		{"UNKNOWN", StatusUnknown, true},
		{"WHATEVER", StatusUnknown, true},
	}
	for _, tt := range tests {
		got := ReceiptStatus(tt.stat)
		if got != tt.want || got.Final() != tt.final {
			t.Errorf("ReceiptStatus(%s) = %v (final %v), want %v (final %v)", tt.stat, got, got.Final(), tt.want, tt.final)
		}
	}
}

func TestRankOrdersProgress(t *testing.T) {
	t.Parallel()
	if !(StatusQueued.Rank() < StatusSubmitted.Rank() && StatusSubmitted.Rank() < StatusDelivered.Rank()) {
		t.Fatal("rank does not order queued < submitted < final")
	}
	for s := StatusDelivered; s <= StatusCanceled; s++ {
		if s.Rank() != StatusDelivered.Rank() {
			t.Errorf("%v rank %d, want every final status equal", s, s.Rank())
		}
	}
	if StatusUnspecified.Rank() != 0 {
		t.Error("unspecified ranks above nothing")
	}
}
