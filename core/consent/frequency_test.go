package consent

import (
	"testing"
	"time"
)

func TestCounter(t *testing.T) {
	t.Parallel()
	cp := FrequencyCap{Max: 3, Window: Duration(24 * time.Hour)}
	c := NewCounter()
	t0 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	for i := range 3 {
		at := t0.Add(time.Duration(i) * time.Hour)
		if ok, _ := c.Check("shop-1\x00+14155550100", cp, at); !ok {
			t.Fatalf("message %d refused under the cap", i+1)
		}
		c.Add("shop-1\x00+14155550100", cp, at)
	}
	ok, next := c.Check("shop-1\x00+14155550100", cp, t0.Add(3*time.Hour))
	if ok || !next.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("fourth in 24h: ok %v, next %v; want refused until the first leaves the window", ok, next)
	}
	if ok, _ := c.Check("shop-1\x00+14155550101", cp, t0); !ok {
		t.Fatal("another recipient refused")
	}
	if ok, _ := c.Check("shop-1\x00+14155550100", cp, t0.Add(24*time.Hour+time.Second)); !ok {
		t.Fatal("refused after the window moved on")
	}
	if ok, _ := c.Check("x", FrequencyCap{}, t0); !ok {
		t.Fatal("no cap refused")
	}
	c.Prune(24*time.Hour, t0.Add(48*time.Hour))
	if c.Len() != 0 {
		t.Fatalf("%d recipients kept after their window", c.Len())
	}
}
