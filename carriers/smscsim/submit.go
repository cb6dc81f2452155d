package smscsim

import (
	"encoding/binary"
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

// submit answers one submit_sm and schedules its receipt.
func (s *Server) submit(h *session, p smpp.PDU, m *smpp.SubmitSM) {
	s.noteInFlight(h.ss.Unanswered())
	dest := strings.TrimPrefix(m.Dest.Addr, "+")
	if dest == "" {
		_ = h.ss.Respond(p, smpp.StatusInvalidDestAddr, nil)
		return
	}
	udh, body, ok := splitUDH(m.ESMClass, m.Payload())
	if !ok {
		_ = h.ss.Respond(p, smpp.StatusInvalidMsgLength, nil)
		return
	}
	part, multi := concatOf(udh, m.TLVs)
	if multi && (part.seq == 0 || part.seq > part.total) {
		_ = h.ss.Respond(p, smpp.StatusInvalidMsgLength, nil)
		return
	}
	text := decodeText(m.DataCoding, body)
	now := time.Now()
	job := &receiptJob{
		id:         s.newID(),
		systemID:   h.ss.SystemID(),
		source:     m.Source,
		dest:       m.Dest,
		submitted:  now,
		registered: m.RegisteredDelivery & smpp.RegisteredDeliveryMask,
	}

	var ready []*receiptJob
	full := text
	s.mu.Lock()
	s.stats.SubmitSM++
	if !multi {
		s.count(dest, text)
		ready = []*receiptJob{job}
	} else {
		key := partKey{systemID: job.systemID, dest: dest, ref: part.ref, total: part.total}
		pt := s.partials[key]
		if pt == nil {
			pt = &partial{texts: make([]string, part.total), have: make([]bool, part.total), first: now}
			s.partials[key] = pt
		}
		if i := part.seq - 1; !pt.have[i] {
			pt.have[i], pt.texts[i] = true, text
			pt.got++
		}
		pt.jobs = append(pt.jobs, job)
		if pt.got == int(part.total) {
			delete(s.partials, key)
			full = strings.Join(pt.texts, "")
			s.count(dest, full)
			ready = pt.jobs
		}
	}
	s.mu.Unlock()

	// The answer is scheduled before the receipts so that, due at the
	// same instant, it still goes first.
	resp := &smpp.SubmitSMResp{MessageID: job.id}
	if s.cfg.Latency > 0 {
		s.timers.at(now.Add(s.cfg.Latency), func() { _ = h.ss.Respond(p, smpp.StatusOK, resp) })
	} else {
		_ = h.ss.Respond(p, smpp.StatusOK, resp)
	}
	if ready != nil {
		s.scheduleReceipts(ready, s.cfg.Outcome(dest, full), full, now.Add(s.cfg.Latency+s.cfg.ReceiptDelay))
	}
}

func (s *Server) noteInFlight(n int) {
	s.mu.Lock()
	s.maxFlight = max(s.maxFlight, n)
	s.mu.Unlock()
}

// splitUDH separates the user data header, when esm_class announces one.
func splitUDH(esmClass uint8, b []byte) (udh, body []byte, ok bool) {
	if esmClass&smpp.ESMClassUDHI == 0 {
		return nil, b, true
	}
	if len(b) == 0 || int(b[0])+1 > len(b) {
		return nil, nil, false
	}
	return b[1 : b[0]+1], b[b[0]+1:], true
}

// concatOf finds the concatenation information element (8- or 16-bit
// reference) in udh, or else the sar_* parameters.
func concatOf(udh []byte, tlvs smpp.TLVs) (concat, bool) {
	for i := 0; i+2 <= len(udh); {
		iei, l := udh[i], int(udh[i+1])
		v := udh[i+2:]
		if l > len(v) {
			break
		}
		v = v[:l]
		switch {
		case iei == 0x00 && l == 3 && v[1] > 1:
			return concat{ref: uint16(v[0]), total: v[1], seq: v[2]}, true
		case iei == 0x08 && l == 4 && v[2] > 1:
			return concat{ref: binary.BigEndian.Uint16(v), total: v[2], seq: v[3]}, true
		}
		i += 2 + l
	}
	ref, ok1 := tlvs.Uint16(smpp.TagSARMsgRefNum)
	total, ok2 := tlvs.Uint8(smpp.TagSARTotalSegments)
	seq, ok3 := tlvs.Uint8(smpp.TagSARSegmentSeqnum)
	if ok1 && ok2 && ok3 && total > 1 {
		return concat{ref: ref, total: total, seq: seq}, true
	}
	return concat{}, false
}

// decodeText reads a payload as text; what gsm cannot read is kept as
// raw octets so that counting still works.
func decodeText(dataCoding uint8, b []byte) string {
	if t, err := gsm.Decode(dataCoding, b); err == nil {
		return t
	}
	return string(b)
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
