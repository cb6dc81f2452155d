package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/ternsms/tern/pipeline"
)

// runDLQ lists or replays the dead-letter topic:
//
//	tern dlq list   [--kafka-brokers B]
//	tern dlq replay [--kafka-brokers B] (--all | PARTITION:OFFSET ... | --id MESSAGE_ID ...)
func runDLQ(ctx context.Context, args []string) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "replay") {
		return errors.New("dlq: want list or replay")
	}
	cmd := args[0]
	fs := flag.NewFlagSet("dlq "+cmd, flag.ContinueOnError)
	brokers := fs.String("kafka-brokers", "127.0.0.1:9092", "comma-separated Kafka brokers")
	topic := fs.String("topic-dlq", "tern.dlq", "dead-letter topic")
	all := fs.Bool("all", false, "replay every dead letter")
	var sec kafkaSecurity
	sec.flags(fs)
	var ids []string
	fs.Func("id", "replay the dead letter of this message id (repeatable)", func(s string) error { ids = append(ids, s); return nil })
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg := pipeline.KafkaConfig{Brokers: splitList(*brokers), Topics: pipeline.Topics{DLQ: *topic}}.WithDefaults()
	if err := sec.apply(&cfg); err != nil {
		return err
	}
	if cmd == "list" {
		dls, err := pipeline.ListDeadLetters(ctx, cfg)
		if err != nil {
			return err
		}
		for _, dl := range dls {
			if err := printJSON(dl); err != nil {
				return err
			}
		}
		return nil
	}
	type at struct {
		p int
		o int64
	}
	var spots []at
	for _, a := range fs.Args() {
		p, o, ok := strings.Cut(a, ":")
		pi, err1 := strconv.Atoi(p)
		oi, err2 := strconv.ParseInt(o, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return fmt.Errorf("dlq replay: %q is not PARTITION:OFFSET", a)
		}
		spots = append(spots, at{pi, oi})
	}
	if !*all && len(ids) == 0 && len(spots) == 0 {
		return errors.New("dlq replay: say which: --all, --id MESSAGE_ID or PARTITION:OFFSET")
	}
	replayed, err := pipeline.ReplayDeadLetters(ctx, cfg, func(dl pipeline.DeadLetter) bool {
		return *all || slices.Contains(ids, dl.MessageID) || slices.Contains(spots, at{dl.Partition, dl.Offset})
	})
	if err != nil {
		return err
	}
	for _, dl := range replayed {
		if err := printJSON(struct {
			Replayed bool `json:"replayed"`
			pipeline.DeadLetter
		}{true, dl}); err != nil {
			return err
		}
	}
	return nil
}
