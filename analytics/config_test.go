package analytics

import (
	"errors"
	"testing"
	"time"
)

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   Config
		ok   bool
	}{
		{"minimal", Config{Addr: "127.0.0.1:9000"}, true},
		{"full", Config{Addr: "a:9000,b:9000", Database: "tern_2", BatchSize: 500, FlushInterval: time.Second}, true},
		{"no addr", Config{}, false},
		{"blank addr", Config{Addr: " "}, false},
		{"database with a quote", Config{Addr: "a:1", Database: "x`; DROP"}, false},
		{"database with a dash", Config{Addr: "a:1", Database: "tern-prod"}, false},
		{"negative batch", Config{Addr: "a:1", BatchSize: -1}, false},
		{"huge batch", Config{Addr: "a:1", BatchSize: maxBatchSize + 1}, false},
		{"negative interval", Config{Addr: "a:1", FlushInterval: -time.Millisecond}, false},
		{"pool", Config{Addr: "a:1", MaxConns: 8, ReadConns: 6, TenantReads: 2, TenantReadRate: 0.5}, true},
		{"small pool", Config{Addr: "a:1", MaxConns: 2}, true},
		{"pool of one", Config{Addr: "a:1", MaxConns: 1}, false},
		{"reads take every connection", Config{Addr: "a:1", MaxConns: 8, ReadConns: 8}, false},
		{"reads over the pool", Config{Addr: "a:1", ReadConns: DefaultMaxConns + 1}, false},
		{"negative tenant reads", Config{Addr: "a:1", TenantReads: -1}, false},
		{"negative tenant read rate", Config{Addr: "a:1", TenantReadRate: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.in.Validate()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	c := Config{Addr: "a:1"}.withDefaults()
	if c.Database != DefaultDatabase || c.BatchSize != DefaultBatchSize || c.FlushInterval != DefaultFlushInterval {
		t.Fatalf("withDefaults() = %+v", c)
	}
	// Reports leave the writer some of the pool.
	if c.MaxConns != 16 || c.ReadConns != 12 || c.TenantReads != 4 || c.TenantReadRate != 100 {
		t.Fatalf("pool defaults: %+v", c)
	}
	if k := (KafkaConfig{}).withDefaults(); k.GroupID != DefaultGroupID {
		t.Fatalf("kafka GroupID default = %q", k.GroupID)
	}
}

func TestKafkaConfigValidate(t *testing.T) {
	t.Parallel()
	ok := KafkaConfig{Brokers: []string{"127.0.0.1:9092"}, SubmitTopic: "s", EventsTopic: "e"}
	tests := []struct {
		name string
		edit func(*KafkaConfig)
		ok   bool
	}{
		{"ok", func(*KafkaConfig) {}, true},
		{"no brokers", func(c *KafkaConfig) { c.Brokers = nil }, false},
		{"empty broker", func(c *KafkaConfig) { c.Brokers = []string{""} }, false},
		{"no submit topic", func(c *KafkaConfig) { c.SubmitTopic = "" }, false},
		{"no events topic", func(c *KafkaConfig) { c.EventsTopic = "" }, false},
		{"same topic", func(c *KafkaConfig) { c.EventsTopic = c.SubmitTopic }, false},
		{"lanes", func(c *KafkaConfig) { c.LaneTopics = []string{"o", "m"} }, true},
		{"lane on the events topic", func(c *KafkaConfig) { c.LaneTopics = []string{"o", c.EventsTopic} }, false},
		{"lane on the submit topic", func(c *KafkaConfig) { c.LaneTopics = []string{c.SubmitTopic} }, false},
		{"lane named twice", func(c *KafkaConfig) { c.LaneTopics = []string{"m", "m"} }, false},
		{"empty lane", func(c *KafkaConfig) { c.LaneTopics = []string{""} }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ok
			c.Brokers = append([]string(nil), ok.Brokers...)
			tt.edit(&c)
			err := c.Validate()
			if tt.ok != (err == nil) || (err != nil && !errors.Is(err, ErrInvalidConfig)) {
				t.Fatalf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}
