package quiet

import (
	"testing"
	"time"
)

func TestWindowNext(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	day := Window{Start: ClockOf(9, 0), End: ClockOf(20, 0)}
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		w     Window
		at    string
		zones []*time.Location
		want  string
	}{
		{"open now", day, "2026-03-02T10:00:00Z", []*time.Location{paris}, "2026-03-02T10:00:00Z"},
		{"before the start, local", day, "2026-03-02T06:00:00Z", []*time.Location{paris}, "2026-03-02T08:00:00Z"},
		{"after the end: next morning", day, "2026-03-02T19:30:00Z", []*time.Location{paris}, "2026-03-03T08:00:00Z"},
		{"no zone is UTC", day, "2026-03-02T06:00:00Z", nil, "2026-03-02T09:00:00Z"},
		{"zero window is open", Window{}, "2026-03-02T03:00:00Z", []*time.Location{paris}, "2026-03-02T03:00:00Z"},
		{"windows never overlap: the first zone decides", Window{Start: ClockOf(9, 0), End: ClockOf(10, 0)}, "2026-03-02T12:00:00Z",
			[]*time.Location{paris, tokyo}, "2026-03-03T08:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := tt.w.Next(at(tt.at), tt.zones...); !got.Equal(at(tt.want)) {
				t.Fatalf("Next = %v, want %v", got, tt.want)
			}
		})
	}
}
