package smpp_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/carriers/smscsim"
)

// BenchmarkSubmit measures single-part submits through one bind with
// window 100 against the simulator over loopback, receipts included.
func BenchmarkSubmit(b *testing.B) {
	sim, err := smscsim.New(smscsim.Config{Addr: "127.0.0.1:0"})
	if err != nil {
		b.Fatal(err)
	}
	if err := sim.Start(b.Context()); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	var receipts atomic.Int64
	c, err := smpp.NewClient(smpp.ClientConfig{Name: "sim", Addr: sim.Addr(), Window: 100},
		smpp.WithReceiptHandler(func(_ context.Context, _ carriers.Receipt) error { receipts.Add(1); return nil }))
	if err != nil {
		b.Fatal(err)
	}
	go c.Run(b.Context())
	defer c.Close(b.Context())
	if _, err := c.Submit(b.Context(), &carriers.Submission{To: "+4915100000000", Text: "warm up"}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(64)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			s := &carriers.Submission{To: fmt.Sprintf("+4915%09d", i), From: "Shop", Text: "Your order has shipped", RegisteredDelivery: true}
			if _, err := c.Submit(b.Context(), s); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
