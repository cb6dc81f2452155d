package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
	kafkagosasl "github.com/segmentio/kafka-go/sasl"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASL mechanisms KafkaConfig.SASL may name.
const (
	ScramSHA256 = "SCRAM-SHA-256"
	ScramSHA512 = "SCRAM-SHA-512"
)

// SASL authenticates every connection to Kafka with SCRAM.
type SASL struct {
	// Mechanism is ScramSHA256 or ScramSHA512. Default ScramSHA512.
	Mechanism string
	User      string
	Password  string
}

// validate reports the first unusable field.
func (s *SASL) validate() error {
	switch {
	case s.Mechanism != "" && s.Mechanism != ScramSHA256 && s.Mechanism != ScramSHA512:
		return fmt.Errorf("kafka: sasl mechanism %q: want %s or %s", s.Mechanism, ScramSHA256, ScramSHA512)
	case s.User == "":
		return fmt.Errorf("kafka: sasl user is empty")
	case s.Password == "":
		return fmt.Errorf("kafka: sasl user %s has no password", s.User)
	}
	return nil
}

// mechanism is franz-go's SCRAM for s, or nil when s is nil.
func (s *SASL) mechanism() sasl.Mechanism {
	if s == nil {
		return nil
	}
	a := scram.Auth{User: s.User, Pass: s.Password}
	if s.Mechanism == ScramSHA256 {
		return a.AsSha256Mechanism()
	}
	return a.AsSha512Mechanism()
}

// ClientOpts are the franz-go client options c's SASL and TLS settings
// need; none without them.
func (c KafkaConfig) ClientOpts() []kgo.Opt {
	var opts []kgo.Opt
	if c.TLS != nil {
		opts = append(opts, kgo.DialTLSConfig(c.TLS.Clone()))
	}
	if m := c.SASL.mechanism(); m != nil {
		opts = append(opts, kgo.SASL(m))
	}
	return opts
}

// dialer is kafka-go's dialer with c's SASL and TLS settings.
func (c KafkaConfig) dialer() *kafka.Dialer {
	d := &kafka.Dialer{Timeout: 10 * time.Second, DualStack: true, TLS: c.TLS}
	if m := c.SASL.mechanism(); m != nil {
		d.SASLMechanism = kafkaGoSASL{m}
	}
	return d
}

// transport is kafka-go's transport with c's SASL and TLS settings, or nil
// (kafka-go's default) without them.
func (c KafkaConfig) transport() kafka.RoundTripper {
	if c.TLS == nil && c.SASL == nil {
		return nil
	}
	t := &kafka.Transport{TLS: c.TLS}
	if m := c.SASL.mechanism(); m != nil {
		t.SASL = kafkaGoSASL{m}
	}
	return t
}

// login connects to the first broker that answers, with c's SASL and TLS
// settings, so that a refused login or handshake is reported as such: later
// clients only see the broker close the connection.
func (c KafkaConfig) login(ctx context.Context) error {
	var err error
	for _, b := range c.Brokers {
		var conn *kafka.Conn
		if conn, err = c.dialer().DialContext(ctx, "tcp", b); err == nil {
			return conn.Close()
		}
		err = fmt.Errorf("kafka %s: %w", b, err)
	}
	return err
}

// kafkaGoSASL runs a franz-go SASL mechanism for kafka-go, so both clients
// share one SCRAM implementation. The two interfaces differ only in names.
type kafkaGoSASL struct{ m sasl.Mechanism }

func (k kafkaGoSASL) Name() string { return k.m.Name() }

func (k kafkaGoSASL) Start(ctx context.Context) (kafkagosasl.StateMachine, []byte, error) {
	host := ""
	if md := kafkagosasl.MetadataFromContext(ctx); md != nil {
		host = md.Host
	}
	s, first, err := k.m.Authenticate(ctx, host)
	if err != nil {
		return nil, nil, err
	}
	return kafkaGoSession{s}, first, nil
}

type kafkaGoSession struct{ s sasl.Session }

func (k kafkaGoSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	return k.s.Challenge(challenge)
}
