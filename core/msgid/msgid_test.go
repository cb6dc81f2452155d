package msgid

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestIssueAndCheck(t *testing.T) {
	t.Parallel()
	is, err := NewIssuer([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	id := is.New("shop-1", now)
	if len(id) != Len || len(id) > 64 {
		t.Fatalf("id %q has length %d", id, len(id))
	}
	got, err := is.Check("shop-1", id)
	if err != nil || !got.Equal(now) {
		t.Fatalf("Check = %v, %v; want %v", got, err, now)
	}
	other, _ := NewIssuer([]byte("fedcba9876543210"))
	tests := []struct {
		name   string
		is     *Issuer
		tenant string
		id     string
		want   error
	}{
		{"other tenant", is, "shop-2", id, ErrForeign},
		{"other key", other, "shop-1", id, ErrForeign},
		{"tampered tag", is, "shop-1", id[:Len-1] + flip(id[Len-1]), ErrForeign},
		{"too short", is, "shop-1", id[:20], ErrMalformed},
		{"not base32", is, "shop-1", strings.Repeat("!", Len), ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.is.Check(tt.tenant, tt.id); !errors.Is(err, tt.want) {
				t.Fatalf("Check = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestIDsAreUniqueAndSorted(t *testing.T) {
	t.Parallel()
	is, _ := NewIssuer([]byte("0123456789abcdef"))
	seen := map[string]bool{}
	prev := ""
	for i := range 10000 {
		id := is.New("t", time.UnixMilli(int64(1_700_000_000_000+i)))
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if id[:26] <= prev {
			t.Fatalf("ids not time-sorted: %s after %s", id, prev)
		}
		prev = id[:26]
	}
}

func TestShortKeyRejected(t *testing.T) {
	t.Parallel()
	if _, err := NewIssuer([]byte("short")); err == nil {
		t.Fatal("NewIssuer accepted a 5-byte key")
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}

func TestFloor(t *testing.T) {
	t.Parallel()
	is, err := NewIssuer([]byte("0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	floor := Floor(at)
	if len(floor) != Len-tagLen {
		t.Fatalf("Floor(%s) = %q, want %d characters", at, floor, Len-tagLen)
	}
	tests := []struct {
		name  string
		when  time.Time
		below bool
	}{
		{"a millisecond before", at.Add(-time.Millisecond), true},
		{"a year before", at.AddDate(-1, 0, 0), true},
		{"the same millisecond", at, false},
		{"within the same millisecond", at.Add(999 * time.Microsecond), false},
		{"a millisecond after", at.Add(time.Millisecond), false},
		{"a year after", at.AddDate(1, 0, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for range 100 { // random entropy and tags
				id := is.New("shop-1", tt.when)
				if below := id < floor; below != tt.below {
					t.Fatalf("id %q < Floor %q is %v, want %v", id, floor, below, tt.below)
				}
			}
		})
	}
	if f := Floor(time.Unix(-1, 0)); f != "00000000000000000000000000" {
		t.Errorf("Floor before the epoch = %q, want all zeros", f)
	}
	if id := is.New("shop-1", time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)); !(id < Floor(time.Date(10900, 1, 1, 0, 0, 0, 0, time.UTC))) {
		t.Errorf("id %q not below Floor past ULID's range", id)
	}
}
