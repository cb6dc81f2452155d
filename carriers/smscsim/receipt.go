package smscsim

import (
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// receiptJob is one part's receipt, from submit until the ESME took it.
type receiptJob struct {
	id         string
	systemID   string
	source     smpp.Address // of the submit_sm
	dest       smpp.Address
	submitted  time.Time
	registered uint8
	stat       string
	text       string
	done       time.Time
}

var statErr = map[string]string{
	StatDelivered:   "000",
	StatUndelivered: "001",
	StatExpired:     "002",
	StatRejected:    "003",
}

// scheduleReceipts decides the receipts of a whole message for due,
// skipping parts that asked for none (or only for failures, when it was
// delivered).
func (s *Server) scheduleReceipts(jobs []*receiptJob, stat, text string, due time.Time) {
	for _, j := range jobs {
		switch {
		case j.registered == smpp.RegisteredDeliveryNone:
			continue
		case j.registered == smpp.RegisteredDeliveryOnFailure && stat == StatDelivered:
			continue
		}
		j.stat, j.text = stat, text
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
			if j.done.IsZero() {
				j.done = time.Now()
			}
			err := ss.SendAsync(s.ctx, j.deliverSM(), func(resp smpp.PDU, err error) {
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

func (j *receiptJob) deliverSM() *smpp.DeliverSM {
	dlvrd := "000"
	if j.stat == StatDelivered {
		dlvrd = "001"
	}
	text := smpp.FormatReceiptText(smpp.ReceiptText{
		ID:         j.id,
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
	state, _ := smpp.StateOf(j.stat)
	d.TLVs.SetCString(smpp.TagReceiptedMessageID, j.id)
	d.TLVs.SetUint8(smpp.TagMessageState, uint8(state))
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
