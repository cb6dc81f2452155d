package gateway

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/ternsms/tern/pipeline"
)

// Config is a gateway's settings. Zero values take the documented
// defaults (WithDefaults).
type Config struct {
	// Addr is the host:port to listen on. Required.
	Addr string
	// SystemID is what the gateway calls itself in bind responses.
	// Default "tern".
	SystemID string
	// InstanceID names this instance in the shared bind table. Default:
	// host name, process id and a random suffix.
	InstanceID string
	// Kafka names the brokers and topics: the gateway reads status events
	// and replies from the events and MO topics. Brokers are required.
	Kafka pipeline.KafkaConfig
	// GroupID is the gateway's consumer group on those topics. Default
	// "tern-smpp-gateway".
	GroupID string

	// MaxConnections bounds the open connections; more are closed at
	// once. Default 1000.
	MaxConnections int
	// MaxPDULength bounds one frame; a longer one closes its connection.
	// Default 16 KiB: room for the longest message the intake takes.
	MaxPDULength int
	// BindTimeout closes connections that have not bound. Default 10s.
	BindTimeout time.Duration
	// IdleTimeout closes sessions that sent nothing, not even
	// enquire_link. Default 5m.
	IdleTimeout time.Duration
	// EnquireLink is how often the gateway checks a quiet session; a
	// session that does not answer is closed. Default 30s.
	EnquireLink time.Duration
	// MaxFailedBinds closes a connection after this many refused binds.
	// Default 3.
	MaxFailedBinds int
	// HashWorkers bounds the password checks (PBKDF2) running at once;
	// binds beyond it wait for their turn. Default half the CPUs, at
	// least 2.
	HashWorkers int
	// BindBackoff is how long binds from a client address (an IPv6 /64),
	// and binds of a system_id, are refused after one that failed to
	// authenticate; each further failure in a row doubles it, up to
	// MaxBindBackoff. A refused bind is answered as a wrong password is,
	// without a check. Default 1s.
	BindBackoff time.Duration
	// MaxBindBackoff caps BindBackoff; a key with no failure for this long
	// after its wait starts afresh. Default 1m.
	MaxBindBackoff time.Duration
	// MaxPending bounds the requests one session has waiting for their
	// response; more are answered ESME_RTHROTTLED. Default 1000.
	MaxPending int
	// Window bounds the deliver_sm one session has unanswered. Default 100.
	Window int
	// RequestTimeout bounds the wait for a deliver_sm_resp. Default 10s.
	RequestTimeout time.Duration

	// MaxValidity is the intake's validity (pipeline.WithValidity): a
	// validity_period further off is cut to it, as an SMSC cuts it to its
	// own. Default 48h.
	MaxValidity time.Duration

	// IntakeWorkers is how many intake batches run at once. Default 4.
	IntakeWorkers int
	// IntakeQueue bounds the submits waiting for an intake batch; more are
	// answered ESME_RTHROTTLED. Default 10000.
	IntakeQueue int
	// IntakeTimeout bounds one intake batch. Default 30s.
	IntakeTimeout time.Duration

	// PollInterval is how often a bound account looks for receipts and
	// replies when no notification woke it (LISTEN/NOTIFY wakes it at
	// once; polling finds what was offered again later). Default 2s.
	PollInterval time.Duration
	// Lease is how long a claimed receipt is reserved for the bind that
	// claimed it; after a crash it goes out on another bind then.
	// Default 1m.
	Lease time.Duration
	// RetryDelay is the wait before a receipt the customer refused or
	// did not answer is offered again. Default 5s.
	RetryDelay time.Duration
	// MaxAttempts drops a receipt the customer refused this many times.
	// Default 10.
	MaxAttempts int
	// Heartbeat is how often this instance marks its binds alive in the
	// shared bind table and reloads its accounts. Default 5s; binds not
	// marked for three heartbeats count as gone.
	Heartbeat time.Duration
	// QueueTTL is how long a receipt or reply waits for its customer to
	// bind before it expires. Default 72h.
	QueueTTL time.Duration
	// JanitorInterval is how often expired and excess rows are deleted.
	// Default 30s.
	JanitorInterval time.Duration
}

// WithDefaults returns c with zero fields set to their defaults.
func (c Config) WithDefaults() Config {
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	dur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.SystemID == "" {
		c.SystemID = "tern"
	}
	if c.InstanceID == "" {
		host, _ := os.Hostname()
		var b [3]byte
		rand.Read(b[:])
		c.InstanceID = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	c.Kafka = c.Kafka.WithDefaults()
	if c.GroupID == "" {
		c.GroupID = "tern-smpp-gateway"
	}
	def(&c.MaxConnections, 1000)
	def(&c.MaxPDULength, 16*1024)
	dur(&c.BindTimeout, 10*time.Second)
	dur(&c.MaxValidity, 48*time.Hour)
	dur(&c.IdleTimeout, 5*time.Minute)
	dur(&c.EnquireLink, 30*time.Second)
	def(&c.MaxFailedBinds, 3)
	def(&c.HashWorkers, max(2, runtime.GOMAXPROCS(0)/2))
	dur(&c.BindBackoff, time.Second)
	dur(&c.MaxBindBackoff, time.Minute)
	def(&c.MaxPending, 1000)
	def(&c.Window, 100)
	dur(&c.RequestTimeout, 10*time.Second)
	def(&c.IntakeWorkers, 4)
	def(&c.IntakeQueue, 10_000)
	dur(&c.IntakeTimeout, 30*time.Second)
	dur(&c.PollInterval, 2*time.Second)
	dur(&c.Lease, time.Minute)
	dur(&c.RetryDelay, 5*time.Second)
	def(&c.MaxAttempts, 10)
	dur(&c.Heartbeat, 5*time.Second)
	dur(&c.QueueTTL, 72*time.Hour)
	dur(&c.JanitorInterval, 30*time.Second)
	return c
}

// Validate reports every field that is missing or out of range, after
// defaults fill zero values.
func (c Config) Validate() error {
	c = c.WithDefaults()
	var errs []error
	if c.Addr == "" {
		errs = append(errs, errors.New("smpp gateway: listen address required"))
	}
	if len(c.SystemID) > 15 {
		errs = append(errs, errors.New("smpp gateway: system_id longer than 15 octets"))
	}
	if err := c.Kafka.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("smpp gateway: %w", err))
	}
	for name, v := range map[string]int{
		"max connections": c.MaxConnections, "max pending": c.MaxPending, "window": c.Window,
		"intake workers": c.IntakeWorkers, "intake queue": c.IntakeQueue, "max attempts": c.MaxAttempts,
		"max failed binds": c.MaxFailedBinds, "hash workers": c.HashWorkers,
	} {
		if v < 1 {
			errs = append(errs, fmt.Errorf("smpp gateway: %s %d: want at least 1", name, v))
		}
	}
	if c.MaxPDULength < 1024 {
		errs = append(errs, fmt.Errorf("smpp gateway: max pdu length %d: want at least 1024", c.MaxPDULength))
	}
	for name, d := range map[string]time.Duration{
		"request timeout": c.RequestTimeout, "intake timeout": c.IntakeTimeout, "poll interval": c.PollInterval,
		"retry delay": c.RetryDelay, "heartbeat": c.Heartbeat, "queue ttl": c.QueueTTL, "janitor interval": c.JanitorInterval,
		"bind backoff": c.BindBackoff,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("smpp gateway: %s %v: want more than 0", name, d))
		}
	}
	if c.MaxBindBackoff < c.BindBackoff {
		errs = append(errs, fmt.Errorf("smpp gateway: max bind backoff %v: want at least the bind backoff %v", c.MaxBindBackoff, c.BindBackoff))
	}
	if c.Lease <= c.RequestTimeout {
		errs = append(errs, fmt.Errorf("smpp gateway: lease %v: want more than the request timeout %v", c.Lease, c.RequestTimeout))
	}
	return errors.Join(errs...)
}
