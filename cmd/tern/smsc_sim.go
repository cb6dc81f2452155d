package main

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
)

func runSMSCSim(ctx context.Context, args []string) error {
	var cfg smscsim.Config
	var logLevel string
	fs := flag.NewFlagSet("smsc-sim", flag.ContinueOnError)
	fs.StringVar(&cfg.Addr, "listen", "127.0.0.1:2776", "address to listen on")
	fs.StringVar(&cfg.SystemID, "system-id", "", "system_id clients must bind with; empty accepts any")
	fs.StringVar(&cfg.Password, "password", "", "password clients must bind with")
	fs.Int64Var(&cfg.Seed, "seed", 1, "seed deciding each message's outcome")
	fs.Float64Var(&cfg.DeliveredRatio, "delivered", 0.95, "share of messages delivered")
	fs.Float64Var(&cfg.UndeliveredRatio, "undelivered", 0.05, "share of messages undelivered")
	fs.Float64Var(&cfg.ExpiredRatio, "expired", 0, "share of messages expired")
	fs.Float64Var(&cfg.RejectedRatio, "rejected", 0, "share of messages rejected")
	fs.DurationVar(&cfg.ReceiptDelay, "receipt-delay", 500*time.Millisecond, "delay before a receipt is sent")
	fs.DurationVar(&cfg.Latency, "latency", 0, "delay before a submit_sm is answered")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(logLevel)
	if err != nil {
		return err
	}
	sim, err := smscsim.New(cfg, smscsim.WithLogger(log))
	if err != nil {
		return err
	}
	if err := sim.Start(ctx); err != nil {
		return err
	}
	defer sim.Close()
	fmt.Printf("simulator SMSC listening on %s\n", sim.Addr())
	<-ctx.Done()
	return nil
}
