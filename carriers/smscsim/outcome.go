package smscsim

import (
	"encoding/binary"
	"hash/fnv"
	"strings"
)

// Final states the simulator reports, as receipt stat words.
const (
	StatDelivered   = "DELIVRD"
	StatUndelivered = "UNDELIV"
	StatExpired     = "EXPIRED"
	StatRejected    = "REJECTD"
	// StatDeleted is the state of a message cancelled with cancel_sm.
	StatDeleted = "DELETED"
)

// Outcome returns the stat word the simulator reports for a message to
// destination with the whole text: a hash of (Seed, destination, text)
// placed against the ratios. A leading '+' on destination is ignored, so
// E.164 and the wire form agree. All parts of a multipart message share
// the outcome of their whole text.
func (cfg Config) Outcome(destination, text string) string {
	if cfg.DeliveredRatio == 0 && cfg.UndeliveredRatio == 0 && cfg.ExpiredRatio == 0 && cfg.RejectedRatio == 0 {
		return StatDelivered
	}
	x := unit(messageHash(cfg.Seed, destination, text))
	switch u := cfg.UndeliveredRatio; {
	case x < u:
		return StatUndelivered
	case x < u+cfg.ExpiredRatio:
		return StatExpired
	case x < u+cfg.ExpiredRatio+cfg.RejectedRatio:
		return StatRejected
	}
	return StatDelivered
}

// messageHash mixes seed, destination (without '+') and text.
func messageHash(seed int64, destination, text string) uint64 {
	h := fnv.New64a()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(seed))
	h.Write(b[:])
	h.Write([]byte(strings.TrimPrefix(destination, "+")))
	h.Write([]byte{0})
	h.Write([]byte(text))
	// splitmix64 finalizer: FNV's high bits are weak for short inputs.
	z := h.Sum64()
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// unit maps h onto [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }
