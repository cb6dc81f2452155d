package core

import "strconv"

// Status is where a message is in its life. The values equal the tern.v1
// Status enum so conversions are plain casts.
type Status uint8

const (
	StatusUnspecified Status = iota
	StatusQueued
	StatusSubmitted
	StatusDelivered
	StatusUndelivered
	StatusExpired
	StatusRejected
	StatusFailed
	StatusUnknown
	StatusCanceled
)

var statusNames = [...]string{
	StatusUnspecified: "unspecified",
	StatusQueued:      "queued",
	StatusSubmitted:   "submitted",
	StatusDelivered:   "delivered",
	StatusUndelivered: "undelivered",
	StatusExpired:     "expired",
	StatusRejected:    "rejected",
	StatusFailed:      "failed",
	StatusUnknown:     "unknown",
	StatusCanceled:    "canceled",
}

func (s Status) String() string {
	if int(s) < len(statusNames) {
		return statusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// Final reports whether no later status can follow s.
func (s Status) Final() bool {
	switch s {
	case StatusDelivered, StatusUndelivered, StatusExpired, StatusRejected, StatusFailed, StatusUnknown, StatusCanceled:
		return true
	}
	return false
}

// Rank orders statuses by progress: queued < submitted < any final status.
// Readers that see events out of order keep the highest rank, and among
// equal ranks the latest event.
func (s Status) Rank() uint8 {
	switch {
	case s == StatusQueued:
		return 1
	case s == StatusSubmitted:
		return 2
	case s.Final():
		return 3
	}
	return 0
}

// ReceiptStatus maps an SMPP 3.4 receipt state word (the stat: field of a
// receipt text) to a Status. Unknown words map to StatusUnknown; the
// mapping is documented on the tern.v1.Status enum.
func ReceiptStatus(stat string) Status {
	switch stat {
	case "DELIVRD":
		return StatusDelivered
	case "ENROUTE", "ACCEPTD":
		return StatusSubmitted
	case "UNDELIV", "DELETED":
		return StatusUndelivered
	case "EXPIRED":
		return StatusExpired
	case "REJECTD":
		return StatusRejected
	}
	return StatusUnknown
}
