package smpp

import (
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
)

func TestReassembler(t *testing.T) {
	t.Parallel()
	r := newReassembler(2, time.Minute)
	t0 := time.Date(2024, 1, 2, 15, 0, 0, 0, time.UTC)
	in := carriers.Inbound{From: "+4915112345678", To: "12345"}
	key := func(ref uint16) moKey { return moKey{from: in.From, to: in.To, ref: ref, total: 2} }

	if _, ok, ev := r.add(key(1), 2, "b", in, t0); ok || ev != nil {
		t.Fatal("one part of two completed a message")
	}
	r.add(key(2), 1, "x", in, t0.Add(time.Second))
	// A third message pushes out the oldest, delivered as it is.
	_, _, ev := r.add(key(3), 1, "y", in, t0.Add(2*time.Second))
	if len(ev) != 1 || ev[0].Text != "b" {
		t.Fatalf("evicted %+v, want the oldest with its part", ev)
	}
	whole, ok, _ := r.add(key(2), 2, "z", in, t0.Add(3*time.Second))
	if !ok || whole.Text != "xz" || !whole.Received.Equal(t0.Add(3*time.Second)) {
		t.Fatalf("got %+v, %v; want xz", whole, ok)
	}
	// Until done, a repeated last part completes it again.
	if whole, ok, _ := r.add(key(2), 2, "z", in, t0.Add(4*time.Second)); !ok || whole.Text != "xz" {
		t.Fatalf("repeat: %+v, %v", whole, ok)
	}
	r.done(key(2))
	if n := r.len(); n != 1 {
		t.Fatalf("%d waiting, want 1", n)
	}
	if got := r.expire(t0.Add(time.Minute)); len(got) != 0 {
		t.Fatalf("expired %+v too early", got)
	}
	got := r.expire(t0.Add(2*time.Second + time.Minute))
	if len(got) != 1 || got[0].Text != "y" || r.len() != 0 {
		t.Fatalf("expired %+v, want y", got)
	}
}
