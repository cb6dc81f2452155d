package smscsim

// Stats are the simulator's counters since New.
type Stats struct {
	// Sessions is how many connections are open now.
	Sessions int
	// Binds counts accepted binds; Unbinds sessions ended by unbind.
	Binds, Unbinds int
	// Received counts the submits (submit_sm, data_sm, submit_multi)
	// that reached the simulator's faults; SubmitSM counts messages and
	// parts taken (one per destination of a submit_multi).
	Received int
	SubmitSM int
	// Throttled counts submits answered ESME_RTHROTTLED by ThrottleRate,
	// Injected those answered with ErrorStatus, and Dropped the sessions
	// dropped on purpose.
	Throttled, Injected, Dropped int
	// MaxInFlight is the most submit_sm any one session held unanswered
	// at once: it never exceeds a well-behaved client's window.
	MaxInFlight int
	// ReceiptsSent counts receipt deliver_sm sent, retries included;
	// ReceiptsAcked those answered ESME_ROK.
	ReceiptsSent, ReceiptsAcked int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats
	st.MaxInFlight = s.maxFlight
	return st
}

// maxTracked bounds the (destination, text) pairs Submits remembers, so
// a long load run does not grow without end; TotalSubmits stays exact.
const maxTracked = 1 << 20

// Submits returns how many times a message to destination with this whole
// text was submitted; multipart messages count once, when their last part
// arrives. A leading '+' on destination is ignored.
func (s *Server) Submits(destination, text string) int {
	k := messageHash(0, destination, text)
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.counts[k])
}

// TotalSubmits returns how many whole messages were submitted.
func (s *Server) TotalSubmits() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// count records one whole message; s.mu is held.
func (s *Server) count(destination, text string) {
	s.total++
	k := messageHash(0, destination, text)
	if _, ok := s.counts[k]; ok || len(s.counts) < maxTracked {
		s.counts[k]++
	}
}
