// Command tern is the SMS messaging core for online stores: one binary
// with subcommands. `tern serve` runs the whole system.
package main

import (
	"context"
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
  tern devenv [flags] -- CMD  start the local services tests need, run CMD, stop them
  tern keygen                 print a new API key and the hash for the config file

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
	case "devenv":
		err = runDevEnv(ctx, args)
	case "keygen":
		err = runKeygen(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "tern: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "tern %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
