package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/ternsms/tern/carriers/smscsim"
)

// defaultSimControl is where the simulator's control handler listens
// under make run.
const defaultSimControl = "127.0.0.1:2777"

// runSimReply makes the simulator SMSC deliver a customer's reply, as a
// handset would send it:
//
//	tern sim-reply --from +14155552671 --to 14155550100 --text STOP
func runSimReply(ctx context.Context, args []string) error {
	var req smscsim.MORequest
	fs := flag.NewFlagSet("sim-reply", flag.ContinueOnError)
	control := fs.String("control", defaultSimControl, "`address` of the simulator's control endpoint (tern smsc-sim --control-listen)")
	fs.StringVar(&req.From, "from", "", "the customer's number, E.164")
	fs.StringVar(&req.To, "to", "", "the sender id the customer replies to: a tenant's number or short code")
	fs.StringVar(&req.Text, "text", "", "the reply, e.g. STOP, HELP, YES")
	fs.StringVar(&req.SystemID, "system-id", "", "the bound ESME to deliver to; empty is "+smscsim.DefaultMOSystemID)
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return fmt.Errorf("sim-reply: unexpected arguments %q", fs.Args())
	case req.From == "" || req.To == "" || req.Text == "":
		return errors.New("sim-reply: --from, --to and --text are required")
	}
	body, _ := json.Marshal(req)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+*control+"/mo", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("--control: %w", err)
	}
	hr.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(hr)
	if err != nil {
		return fmt.Errorf("simulator control at %s: %w", *control, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("simulator: %s", strings.TrimSpace(string(msg)))
	}
	return writeJSON(os.Stdout, map[string]any{"delivered": true, "from": req.From, "to": req.To})
}
