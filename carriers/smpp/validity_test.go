package smpp_test

import (
	"testing"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestRelativeTime(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "000000000001000R"},
		{1500 * time.Millisecond, "000000000002000R"},
		{90 * time.Minute, "000000013000000R"},
		{48*time.Hour + 5*time.Second, "000002000005000R"},
		{45 * 24 * time.Hour, "000115000000000R"},
		{400 * 24 * time.Hour, "010105000000000R"},
	}
	for _, tt := range tests {
		if got := smpp.RelativeTime(tt.in); got != tt.want || len(got) != 16 {
			t.Errorf("RelativeTime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
