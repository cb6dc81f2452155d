package smscsim

import (
	"strings"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/gsm"
)

// partialTimeout is how long the parts of a multipart message wait for
// the rest; then their receipts report UNDELIV.
const partialTimeout = time.Minute

// partKey identifies one multipart message being reassembled.
type partKey struct {
	systemID, dest string
	ref            uint16
	total          uint8
}

type partial struct {
	texts []string
	have  []bool
	got   int
	jobs  []*receiptJob
	first time.Time
}

// concat is a part's place in a multipart message.
type concat struct {
	ref        uint16
	total, seq uint8
}

// submission is what the simulator reads from a submit_sm, a data_sm or
// a submit_multi.
type submission struct {
	dests      []smpp.Address
	source     smpp.Address
	esmClass   uint8
	registered uint8
	dataCoding uint8
	payload    []byte
	tlvs       smpp.TLVs
}

// admit applies the throttle and error faults to a submit and reports
// whether it may be taken; when not, it answered it.
func (s *Server) admit(h *session, p smpp.PDU) bool {
	now := time.Now()
	st := smpp.StatusOK
	if !s.bucket.take(now) {
		st = smpp.StatusThrottled
	} else {
		st = s.faults.Load().injectError(now, s.rand)
	}
	s.mu.Lock()
	s.stats.Received++
	switch {
	case st == smpp.StatusThrottled:
		s.stats.Throttled++
	case st != smpp.StatusOK:
		s.stats.Injected++
	}
	s.mu.Unlock()
	if st != smpp.StatusOK {
		_ = h.ss.Respond(p, st, nil)
		return false
	}
	return true
}

// submit answers one submit_sm or data_sm and schedules its receipts.
func (s *Server) submit(h *session, p smpp.PDU, sub submission) {
	s.noteInFlight(h.ss.Unanswered())
	now := time.Now()
	latency := s.faults.Load().drawLatency(s.rand)
	id := s.newID()
	if st := s.take(h, sub, sub.dests[0], id, now, latency); st != smpp.StatusOK {
		_ = h.ss.Respond(p, st, nil)
		return
	}
	var resp smpp.Body = &smpp.SubmitSMResp{MessageID: formatID(id, s.cfg.IDFormat)}
	if p.ID == smpp.CmdDataSM {
		resp = &smpp.DataSMResp{MessageID: formatID(id, s.cfg.IDFormat)}
	}
	s.answer(h, p, resp, now, latency)
}

// submitMulti takes a submit_multi as one message per SME destination,
// all under one message id; distribution lists are not served.
func (s *Server) submitMulti(h *session, p smpp.PDU, m *smpp.SubmitMulti) {
	s.noteInFlight(h.ss.Unanswered())
	now := time.Now()
	latency := s.faults.Load().drawLatency(s.rand)
	id := s.newID()
	sub := submission{source: m.Source, esmClass: m.ESMClass, registered: m.RegisteredDelivery,
		dataCoding: m.DataCoding, payload: m.Payload(), tlvs: m.TLVs}
	resp := &smpp.SubmitMultiResp{MessageID: formatID(id, s.cfg.IDFormat)}
	for _, d := range m.Dests {
		st := smpp.StatusCannotSubmitToDistList
		if d.DistList == "" {
			st = s.take(h, sub, d.Addr, id, now, latency)
		}
		if st != smpp.StatusOK {
			resp.Unsuccess = append(resp.Unsuccess, smpp.Unsuccess{Addr: d.Addr, Status: st})
		}
	}
	if len(resp.Unsuccess) == len(m.Dests) {
		_ = h.ss.Respond(p, smpp.StatusSubmitFailed, nil)
		return
	}
	s.answer(h, p, resp, now, latency)
}

// answer responds to p after latency. The answer is scheduled before the
// receipts so that, due at the same instant, it still goes first.
func (s *Server) answer(h *session, p smpp.PDU, resp smpp.Body, now time.Time, latency time.Duration) {
	latency += s.cfg.ReceiptLead
	if latency > 0 {
		s.timers.at(now.Add(latency), func() { _ = h.ss.Respond(p, smpp.StatusOK, resp) })
		return
	}
	_ = h.ss.Respond(p, smpp.StatusOK, resp)
}

// take accepts one message (or part) to dest under id: it counts it,
// joins multipart messages and schedules the receipts, due ReceiptDelay
// after the answer. It returns the status to refuse it with, or
// StatusOK.
func (s *Server) take(h *session, sub submission, destAddr smpp.Address, id uint64, now time.Time, latency time.Duration) smpp.CommandStatus {
	dest := strings.TrimPrefix(destAddr.Addr, "+")
	if dest == "" {
		return smpp.StatusInvalidDestAddr
	}
	text, part, multi, st := s.read(sub)
	if st != smpp.StatusOK {
		return st
	}
	job := &receiptJob{
		id:         id,
		systemID:   h.ss.SystemID(),
		source:     sub.source,
		dest:       destAddr,
		submitted:  now,
		registered: sub.registered & smpp.RegisteredDeliveryMask,
	}
	var ready []*receiptJob
	full, given := text, false
	s.mu.Lock()
	s.stats.SubmitSM++
	s.remember(job)
	if !multi {
		s.count(dest, text)
		ready = []*receiptJob{job}
	} else {
		ready, full, given = s.addPart(partKey{systemID: job.systemID, dest: dest, ref: part.ref, total: part.total}, part.seq, text, job, now)
	}
	s.mu.Unlock()
	switch {
	case given:
		s.scheduleReceipts(ready, StatUndelivered, full, now.Add(latency+s.cfg.ReceiptDelay))
	case ready != nil:
		s.scheduleReceipts(ready, s.cfg.Outcome(dest, full), full, now.Add(latency+s.cfg.ReceiptDelay))
	}
	return smpp.StatusOK
}

// maxPartials bounds the multipart messages waiting for parts at once.
const maxPartials = 1 << 16

// addPart adds part seq of the multipart message key. When it completes
// the message, ready is every part's job and full the whole text. A part
// of a new message while maxPartials wait is given up at once (given),
// as those whose parts stop coming are. s.mu is held.
func (s *Server) addPart(key partKey, seq uint8, text string, job *receiptJob, now time.Time) (ready []*receiptJob, full string, given bool) {
	pt := s.partials[key]
	if pt == nil {
		if len(s.partials) >= maxPartials {
			return []*receiptJob{job}, text, true
		}
		pt = &partial{texts: make([]string, key.total), have: make([]bool, key.total), first: now}
		s.partials[key] = pt
	}
	if i := seq - 1; !pt.have[i] {
		pt.have[i], pt.texts[i] = true, text
		pt.got++
	}
	pt.jobs = append(pt.jobs, job)
	if pt.got < int(key.total) {
		return nil, "", false
	}
	delete(s.partials, key)
	full = strings.Join(pt.texts, "")
	s.count(key.dest, full)
	return pt.jobs, full, false
}

// read decodes a submission's text in its header's national tables and
// finds its place in a multipart message, from the concatenation header
// or the sar_* parameters. Text in a coding gsm cannot read is kept as
// raw octets, so that counting still works.
func (s *Server) read(sub submission) (string, concat, bool, smpp.CommandStatus) {
	udhi := sub.esmClass&smpp.ESMClassUDHI != 0
	var udh gsm.UDH
	text := ""
	p, err := gsm.DecodePart(sub.dataCoding, udhi, s.cfg.Packed, sub.payload)
	switch {
	case err == nil:
		udh, text = p.UDH, p.Text
	case udhi:
		h, n, uerr := gsm.ParseUDH(sub.payload)
		if uerr != nil {
			return "", concat{}, false, smpp.StatusInvalidMsgLength
		}
		udh, text = h, string(sub.payload[n:])
	default:
		text = string(sub.payload)
	}
	if udh.Total > 1 {
		return text, concat{ref: udh.Ref, total: uint8(udh.Total), seq: uint8(udh.Seq)}, true, smpp.StatusOK
	}
	ref, ok1 := sub.tlvs.Uint16(smpp.TagSARMsgRefNum)
	total, ok2 := sub.tlvs.Uint8(smpp.TagSARTotalSegments)
	seq, ok3 := sub.tlvs.Uint8(smpp.TagSARSegmentSeqnum)
	if ok1 && ok2 && ok3 && total > 1 {
		if seq == 0 || seq > total {
			return "", concat{}, false, smpp.StatusInvalidMsgLength
		}
		return text, concat{ref: ref, total: total, seq: seq}, true, smpp.StatusOK
	}
	return text, concat{}, false, smpp.StatusOK
}

func (s *Server) noteInFlight(n int) {
	s.mu.Lock()
	s.maxFlight = max(s.maxFlight, n)
	s.mu.Unlock()
}

// sweepPartials gives up on multipart messages whose parts stopped
// coming: their receipts report UNDELIV.
func (s *Server) sweepPartials() {
	t := time.NewTicker(partialTimeout / 4)
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			var stale []*partial
			s.mu.Lock()
			for k, pt := range s.partials {
				if now.Sub(pt.first) > partialTimeout {
					delete(s.partials, k)
					stale = append(stale, pt)
				}
			}
			s.mu.Unlock()
			for _, pt := range stale {
				s.scheduleReceipts(pt.jobs, StatUndelivered, strings.Join(pt.texts, ""), now)
			}
		}
	}
}
