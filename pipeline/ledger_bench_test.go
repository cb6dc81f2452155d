package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
)

// BenchmarkLedgerBeginAnswer runs a message's two ledger writes, its
// intent and its accepted answer, from 64 goroutines at once, as the
// actors do, so that they share batches. One op is one message.
func BenchmarkLedgerBeginAnswer(b *testing.B) {
	s := testStore(b)
	l := NewLedger(s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.Run(ctx)
	var n atomic.Int64
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("01BENCH%019d", n.Add(1))
			if _, err := l.Begin(ctx, testRef(id), newIntentToken()); err != nil {
				b.Error(err)
				return
			}
			if err := l.Answer(ctx, answer{messageID: id, state: stateAccepted, carrier: "sim", ids: []string{"c" + id}}, nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
