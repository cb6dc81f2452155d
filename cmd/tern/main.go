// Command tern is the SMS messaging core for online stores: one binary
// with subcommands. `tern serve` runs the whole system.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `tern: SMS messaging core for online stores

Usage:
  tern serve [flags]          run the front door, pipeline, carriers and analytics
  tern kafka [flags]          run the Kafka-protocol broker on its own, for several instances
  tern smsc-sim [flags]       run the simulator SMSC on its own
  tern sim-reply --from E164 --to SENDER --text TEXT   have the simulator deliver a customer's reply
  tern devenv [flags] -- CMD  start the local services tests need, run CMD, stop them
  tern keygen                 print a new API key and the hash for the config file
  tern dlq list|replay        show dead-lettered messages, or put them back on their topic
  tern smpp-account add|list|disable   manage the SMPP gateway's customer accounts
  tern tenant create|list              manage tenants
  tern apikey create|revoke|list       manage API keys (shown once, stored as hashes)
  tern twilio-account create|list|set-sms-url|revoke   accounts of the Twilio-compatible API
  tern contacts import FILE.csv --list NAME   import contacts through the API (--api, TERN_API_KEY)
  tern store-secret --tenant ID --platform P --secret S   set a store's webhook signing secret

Offline (no server needed; each prints one JSON object):
  tern estimate [--smart] [--shift-tables tr,es,pt] TEXT   encoding, units and segments of a text
  tern keyword TEXT                                        STOP/HELP/START classification of a reply
  tern phone [--region CC] NUMBER                          E.164, validity, type, region, time zones
  tern quiet-hours --to E164 --at RFC3339 --category C     whether a message may go out now, and when

Run 'tern COMMAND -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = runServe(ctx, args)
	case "kafka":
		err = runKafka(ctx, args)
	case "smsc-sim":
		err = runSMSCSim(ctx, args)
	case "sim-reply":
		err = runSimReply(ctx, args)
	case "devenv":
		err = runDevEnv(ctx, args)
	case "dlq":
		err = runDLQ(ctx, args)
	case "smpp-account":
		err = runSMPPAccount(ctx, args)
	case "tenant":
		err = runTenant(ctx, args, os.Stdout)
	case "apikey":
		err = runAPIKey(ctx, args, os.Stdout)
	case "twilio-account":
		err = runTwilioAccount(ctx, args, os.Stdout)
	case "contacts":
		err = runContacts(ctx, args, os.Stdout, os.Stderr)
	case "store-secret":
		err = runStoreSecret(ctx, args, os.Stdout)
	case "keygen":
		err = runKeygen(args)
	case "estimate":
		err = runEstimate(args)
	case "keyword":
		err = runKeyword(args)
	case "phone":
		err = runPhone(args)
	case "quiet-hours":
		err = runQuietHours(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "tern: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if errors.Is(err, errInvalidNumber) {
		os.Exit(1) // already reported in the JSON
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tern %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
