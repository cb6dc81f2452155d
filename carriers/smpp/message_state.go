package smpp

// MessageState is the message_state parameter of a receipt or query_sm_resp
// (section 5.2.28).
type MessageState uint8

const (
	StateEnroute       MessageState = 1
	StateDelivered     MessageState = 2
	StateExpired       MessageState = 3
	StateDeleted       MessageState = 4
	StateUndeliverable MessageState = 5
	StateAccepted      MessageState = 6
	StateUnknown       MessageState = 7
	StateRejected      MessageState = 8
)

var stateStats = [...]string{
	StateEnroute:       "ENROUTE",
	StateDelivered:     "DELIVRD",
	StateExpired:       "EXPIRED",
	StateDeleted:       "DELETED",
	StateUndeliverable: "UNDELIV",
	StateAccepted:      "ACCEPTD",
	StateUnknown:       "UNKNOWN",
	StateRejected:      "REJECTD",
}

// Stat returns the state's word in receipt text (section B), e.g. DELIVRD.
// Values outside the table give UNKNOWN.
func (s MessageState) Stat() string {
	if int(s) < len(stateStats) && stateStats[s] != "" {
		return stateStats[s]
	}
	return "UNKNOWN"
}

// StateOf returns the message_state for a receipt stat word, and false
// for words the specification does not define.
func StateOf(stat string) (MessageState, bool) {
	for i, w := range stateStats {
		if w != "" && w == stat {
			return MessageState(i), true
		}
	}
	return 0, false
}

func (s MessageState) String() string { return s.Stat() }
