package pipeline

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
	"github.com/ternsms/tern/core/msgid"
	"github.com/ternsms/tern/pipeline/kafkatest"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
)

// processCPU returns the CPU time (user and system) this process has used.
func processCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per message since start, as
// cpu-ns/msg: the code under test and the in-process broker and SMSC it
// talks to, not PostgreSQL.
func reportCPU(b *testing.B, start time.Duration, msgs int) {
	b.ReportMetric(float64(processCPU(b)-start)/float64(msgs), "cpu-ns/msg")
}

// BenchmarkIntakeSend queues calls of one request, one under an
// idempotency key, and ten (half of them under a key), from 16 goroutines
// at once, as the front doors do. One op is one call.
func BenchmarkIntakeSend(b *testing.B) {
	ctx := b.Context()
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(b)}, Partitions: 4}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	ids, err := msgid.NewIssuer([]byte("test-key-0123456789"))
	if err != nil {
		b.Fatal(err)
	}
	in, err := NewIntake(cfg, ids, testStore(b), WithIntakeLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	var n atomic.Int64
	for _, bb := range []struct {
		name  string
		size  int
		keyed func(i int) bool
	}{
		{"one", 1, func(int) bool { return false }},
		{"one-keyed", 1, func(int) bool { return true }},
		{"ten-half-keyed", 10, func(i int) bool { return i%2 == 0 }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.SetParallelism(16)
			b.ReportAllocs()
			b.ResetTimer()
			cpu := processCPU(b)
			b.RunParallel(func(pb *testing.PB) {
				reqs, out := make([]Request, bb.size), make([]Result, bb.size)
				for pb.Next() {
					for i := range reqs {
						k := n.Add(1)
						reqs[i] = Request{TenantID: "shop", To: fmt.Sprintf("+1415555%04d", k%10_000), Body: "Your order has shipped"}
						if bb.keyed(i) {
							reqs[i].IdempotencyKey = fmt.Sprintf("k%d", k)
						}
					}
					if err := in.Send(ctx, reqs, out); err != nil {
						b.Error(err)
						return
					}
					for i := range out {
						if out[i].Err != nil {
							b.Error(out[i].Err)
							return
						}
					}
				}
			})
			reportCPU(b, cpu, b.N*bb.size)
		})
	}
}

// BenchmarkDeliver takes messages through Consumer.deliver (ledger intent,
// submit to the simulator SMSC over SMPP, ledger answer, submitted event)
// from 64 goroutines at once, as the partition actors do. One op is one
// message.
func BenchmarkDeliver(b *testing.B) {
	ctx := b.Context()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := KafkaConfig{Brokers: []string{kafkatest.Broker(b)}, Partitions: 4}.WithDefaults()
	if err := EnsureTopics(ctx, cfg); err != nil {
		b.Fatal(err)
	}
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start(ctx); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	client, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), Window: 100}, smpp.WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	go client.Run(ctx)
	defer client.Close(context.Background())
	store := testStore(b)
	ledger := NewLedger(store, nil)
	go ledger.Run(ctx)
	c, err := NewConsumer(cfg, OneCarrier{client}, ledger, WithConsumerLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	if c.events, err = newEventWriter(cfg); err != nil {
		b.Fatal(err)
	}
	defer c.events.close()
	if c.dlq, err = newDeadLetters(cfg); err != nil {
		b.Fatal(err)
	}
	defer c.dlq.close()
	c.deferrals = newBatcher(ledgerBatch, splitting(store.execDefer))
	go c.deferrals.run(ctx)

	var n atomic.Int64
	msg := func() (kafka.Message, *recordv1.Submit) {
		k := n.Add(1)
		rec := &recordv1.Submit{Id: fmt.Sprintf("01BENCHDELIVER%012d", k), TenantId: "shop", To: fmt.Sprintf("+1415%07d", k),
			Body: "Your order has shipped", ValidUntil: timestamppb.New(time.Now().Add(time.Hour))}
		return kafka.Message{Offset: k}, rec
	}
	if m, rec := msg(); !c.deliver(ctx, m, rec, quiet) {
		b.Fatal("warm-up message not finished")
	}
	b.SetParallelism(64)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := processCPU(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m, rec := msg()
			if !c.deliver(ctx, m, rec, quiet) {
				b.Error("message not finished")
				return
			}
		}
	})
	reportCPU(b, cpu, b.N)
}
