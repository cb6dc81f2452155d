package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
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
	fs.DurationVar(&cfg.ReceiptLead, "receipt-lead", 0, "hold each submit_sm_resp back this long after its receipt is due (with --receipt-delay 0 the receipt comes first)")
	fs.DurationVar(&cfg.Latency, "latency", 0, "delay before a submit_sm is answered (the median with --latency-p99)")
	fs.DurationVar(&cfg.LatencyP99, "latency-p99", 0, "spread answer delays log-normally with this 99th percentile")
	fs.Float64Var(&cfg.ThrottleRate, "throttle-rate", 0, "answer ESME_RTHROTTLED to submits beyond this many a second (0: never)")
	fs.Float64Var(&cfg.ErrorRatio, "error-ratio", 0, "share of submits answered with --error-status instead of being taken")
	errorStatus := fs.String("error-status", "ESME_RSYSERR", "command_status for --error-ratio, by name")
	fs.DurationVar(&cfg.DropEvery, "drop-every", 0, "drop every session this often without unbind (0: never)")
	fs.BoolVar(&cfg.Silent, "silent", false, "answer nothing, as a hung SMSC")
	fs.StringVar(&cfg.IDFormat, "id-format", "hex", "message ids in submit_sm_resp: hex or decimal")
	fs.StringVar(&cfg.ReceiptIDFormat, "receipt-id-format", "", "message ids in receipt texts: hex, decimal, or empty for --id-format")
	fs.Uint64Var(&cfg.FirstID, "first-id", 0, "first message id handed out, counting up; started again with the same value it reuses its ids, as an SMSC whose counter was reset (0: continue from the clock)")
	fs.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	control := fs.String("control-listen", "", "serve the control endpoint tern sim-reply calls on this loopback `address` (e.g. "+defaultSimControl+"); empty: none")
	if err := fs.Parse(args); err != nil {
		return err
	}
	status, err := smpp.ParseCommandStatus(*errorStatus)
	if err != nil {
		return fmt.Errorf("--error-status: %w", err)
	}
	cfg.ErrorStatus = status
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
	if *control != "" {
		stop, addr, err := serveSimControl(sim, *control)
		if err != nil {
			return err
		}
		defer stop()
		fmt.Printf("simulator control (tern sim-reply) on %s\n", addr)
	}
	<-ctx.Done()
	return nil
}

// serveSimControl serves sim's control handler on addr until stop, and
// returns the address it listens on.
func serveSimControl(sim *smscsim.Server, addr string) (stop func(), bound string, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("simulator control %s: %w", addr, err)
	}
	srv := &http.Server{Handler: sim.ControlHandler(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return func() { srv.Close() }, ln.Addr().String(), nil
}
