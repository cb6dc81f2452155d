package smscsim

import (
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// receiptJob is one part's fate, from submit until the ESME took its
// receipt. stat, text, due and done are guarded by Server.mu.
type receiptJob struct {
	id         uint64
	systemID   string
	source     smpp.Address // of the submit_sm
	dest       smpp.Address
	submitted  time.Time
	registered uint8
	stat       string    // the outcome; "" while a multipart message waits for parts
	text       string    // the whole message's text
	due        time.Time // when the outcome is reached
	done       time.Time // when the receipt was first sent
}

var statErr = map[string]string{
	StatDelivered:   "000",
	StatUndelivered: "001",
	StatExpired:     "002",
	StatRejected:    "003",
	StatDeleted:     "004",
}

// scheduleReceipts decides the outcome of a whole message's parts for due
// and schedules their receipts, skipping parts that asked for none (or
// only for failures, when it was delivered).
func (s *Server) scheduleReceipts(jobs []*receiptJob, stat, text string, due time.Time) {
	s.mu.Lock()
	for _, j := range jobs {
		j.stat, j.text, j.due = stat, text, due
	}
	s.mu.Unlock()
	for _, j := range jobs {
		switch {
		case j.registered == smpp.RegisteredDeliveryNone:
			continue
		case j.registered == smpp.RegisteredDeliveryOnFailure && stat == StatDelivered:
			continue
		}
		s.timers.at(due, func() { s.queueReceipt(j) })
	}
}

// queueReceipt hands a due receipt to the sender; it runs on the timer
// goroutine and waits when the sender is behind.
func (s *Server) queueReceipt(j *receiptJob) {
	select {
	case s.receipts <- j:
	case <-s.ctx.Done():
	}
}

func (s *Server) retryReceipt(j *receiptJob) {
	s.timers.at(time.Now().Add(s.cfg.ReceiptRetry), func() { s.queueReceipt(j) })
}

// sendReceipts delivers due receipts to a receiver of their system_id,
// any bound one, without waiting for the answers; refused or unanswered
// receipts are tried again after ReceiptRetry.
func (s *Server) sendReceipts() {
	for {
		select {
		case <-s.ctx.Done():
			return
		case j := <-s.receipts:
			ss := s.receiver(j.systemID)
			if ss == nil {
				s.retryReceipt(j)
				continue
			}
			s.mu.Lock()
			if j.done.IsZero() {
				j.done = time.Now()
			}
			d := s.receiptPDU(j)
			s.mu.Unlock()
			err := ss.SendAsync(s.ctx, d, func(resp smpp.PDU, err error) {
				if err != nil || resp.Status != smpp.StatusOK {
					s.retryReceipt(j)
					return
				}
				s.mu.Lock()
				s.stats.ReceiptsAcked++
				s.mu.Unlock()
			})
			if err != nil {
				s.retryReceipt(j)
				continue
			}
			s.mu.Lock()
			s.stats.ReceiptsSent++
			s.mu.Unlock()
		}
	}
}

// receiptPDU builds j's receipt deliver_sm; s.mu is held.
func (s *Server) receiptPDU(j *receiptJob) *smpp.DeliverSM {
	dlvrd := "000"
	if j.stat == StatDelivered {
		dlvrd = "001"
	}
	text := smpp.FormatReceiptText(smpp.ReceiptText{
		ID:         formatID(j.id, s.cfg.ReceiptIDFormat),
		Sub:        "001",
		Dlvrd:      dlvrd,
		SubmitDate: j.submitted,
		DoneDate:   j.done,
		Stat:       j.stat,
		Err:        statErr[j.stat],
		Text:       ascii(j.text, 20),
	})
	d := &smpp.DeliverSM{
		Source:       j.dest,
		Dest:         j.source,
		ESMClass:     smpp.ESMClassReceipt,
		ShortMessage: []byte(text),
	}
	if !s.cfg.NoReceiptTLVs {
		state, _ := smpp.StateOf(j.stat)
		d.TLVs.SetCString(smpp.TagReceiptedMessageID, formatID(j.id, s.cfg.IDFormat))
		d.TLVs.SetUint8(smpp.TagMessageState, uint8(state))
	}
	return d
}

// ascii returns up to n characters of s with everything outside printable
// ASCII replaced by '?', so the receipt text stays plain.
func ascii(s string, n int) string {
	b := make([]byte, 0, n)
	for _, r := range s {
		if len(b) == n {
			break
		}
		if r < 0x20 || r > 0x7E {
			r = '?'
		}
		b = append(b, byte(r))
	}
	return string(b)
}
