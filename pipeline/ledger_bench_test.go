package pipeline

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	consentlog "github.com/ternsms/tern/pipeline/consent"
	"github.com/ternsms/tern/pipeline/kafkatest"
	"github.com/ternsms/tern/pipeline/pgtest"
)

// BenchmarkLedgerBeginAnswer runs a message's two ledger writes, its
// intent and its accepted answer, from 64 goroutines at once, as the
// actors do, so that they share batches. One op is one message. With
// consent, each intent is checked against the consent ledger's state
// (beginConsentSQL), as tern serve's are.
func BenchmarkLedgerBeginAnswer(b *testing.B) {
	for _, consent := range []bool{false, true} {
		b.Run(fmt.Sprintf("consent=%v", consent), func(b *testing.B) {
			url := pgtest.URL(b)
			s, err := OpenStore(context.Background(), url, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(s.Close)
			var key []byte
			if consent {
				key = benchConsentKey(b, url)
			}
			benchLedger(b, s, key)
		})
	}
}

// benchConsentKey opens the consent ledger's schema on url and returns
// the key of testRef's recipient.
func benchConsentKey(b *testing.B, url string) []byte {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tc := consentlog.TopicConfig{Brokers: []string{kafkatest.Broker(b)}, Topic: "tern.suppressions"}
	l, err := consentlog.Open(ctx, url, consentlog.NewHasher([]byte("bench")), tc)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(l.Close)
	k := consentlog.NewHasher([]byte("bench")).Key("shop", testRef("").To)
	return k[:]
}

func benchLedger(b *testing.B, s *Store, key []byte) {
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
			if _, err := l.begin(ctx, intent{Ref: testRef(id), token: newIntentToken(), consentKey: key}); err != nil {
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

// BenchmarkLedgerBeginStatement runs Begin's statement for two new
// messages at a time (the batch size of a lightly loaded instance), one
// after the other, without and with the consent check: the check's cost
// in PostgreSQL, without batching to hide it.
func BenchmarkLedgerBeginStatement(b *testing.B) {
	for _, consent := range []bool{false, true} {
		b.Run(fmt.Sprintf("consent=%v", consent), func(b *testing.B) {
			url := pgtest.URL(b)
			s, err := OpenStore(context.Background(), url, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(s.Close)
			var key []byte
			if consent {
				key = benchConsentKey(b, url)
			}
			l := NewLedger(s, nil)
			n := 0
			for b.Loop() {
				ins := make([]intent, 2)
				for i := range ins {
					n++
					ins[i] = intent{Ref: testRef(fmt.Sprintf("01STMT%019d", n)), token: newIntentToken(), consentKey: key}
				}
				if _, err := l.execBegin(context.Background(), ins); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
