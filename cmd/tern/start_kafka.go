package main

import (
	"context"
	"path/filepath"

	"github.com/ternsms/tern/pipeline"
)

// startKafka completes s.c.kafka: the brokers of --kafka-brokers, or an
// in-process broker without them, the partitions and the login. It
// creates the topics that are missing and opens the dead-letter writer,
// where the analytics writer, the receipt joiner and the SMPP gateway's
// feed put the records they give up on.
func (s *system) startKafka(ctx context.Context) error {
	c := &s.c
	c.kafka.Brokers = splitList(c.brokers)
	c.kafka.Partitions = c.partitions()
	if err := c.kafkaSec.apply(&c.kafka); err != nil {
		return err
	}
	if len(c.kafka.Brokers) == 0 {
		broker, err := startBroker(c.kafkaListen, filepath.Join(c.dataDir, "kafka"), c.kafka.Partitions, c.kafkaSync, c.kafka.SASL)
		if err != nil {
			return err
		}
		s.st.onStop("kafka broker", func(context.Context) error { broker.Close(); return nil })
		c.kafka.Brokers = broker.ListenAddrs()
	}
	c.kafka = c.kafka.WithDefaults()
	s.r.brokers = c.kafka.Brokers
	if err := pipeline.EnsureTopics(ctx, c.kafka); err != nil {
		return err
	}
	deadLetters, err := pipeline.NewDeadLetterWriter(c.kafka, s.metrics)
	if err != nil {
		return err
	}
	s.st.onStop("dead letters", func(context.Context) error { return deadLetters.Close() })
	s.deadLetters = deadLetters
	return nil
}
