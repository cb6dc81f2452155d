package gateway

import (
	"context"
	"time"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/pipeline"
)

// job is one submit waiting for an intake batch: its requests (one per
// destination that passed the gateway's checks) and how to answer it.
type job struct {
	sess *session
	pdu  smpp.PDU
	sub  submit
	// reqs[k] is destination idx[k] of sub.dests.
	reqs []pipeline.Request
	idx  []int
	at   time.Time
}

// submit answers what it can at once (bad requests, throttling) and
// queues the rest for an intake batch. It runs on the session's reader
// and never blocks.
func (s *Server) submit(h *session, p smpp.PDU) {
	st := h.acct
	acct := st.account()
	now := time.Now()
	sub, status := parseSubmit(p, acct.Latin1, now)
	if status != smpp.StatusOK {
		s.refuse(h, p, status, len(sub.dests))
		return
	}
	j := &job{sess: h, pdu: p, sub: sub, at: now}
	from := sender(sub.source)
	for i, d := range sub.dests {
		if sub.refused[i] != smpp.StatusOK {
			continue
		}
		j.reqs = append(j.reqs, pipeline.Request{
			TenantID: acct.TenantID,
			To:       recipient(d),
			From:     from,
			Body:     sub.content.text,
			Category: acct.Category,
			SendAt:   sub.sendAt,
			Validity: min(sub.validity, s.cfg.MaxValidity),
			Origin:   "smpp/" + acct.SystemID,
			Raw:      sub.content.raw,
		})
		j.idx = append(j.idx, i)
	}
	if len(j.reqs) == 0 {
		s.answer(j, nil)
		return
	}
	if !st.allow(len(j.reqs)) {
		s.refuse(h, p, smpp.StatusThrottled, len(j.reqs))
		return
	}
	s.jobMu.RLock()
	defer s.jobMu.RUnlock()
	if s.closing {
		s.refuse(h, p, smpp.StatusThrottled, len(j.reqs))
		return
	}
	select {
	case s.jobs <- j:
	default:
		s.refuse(h, p, smpp.StatusThrottled, len(j.reqs))
	}
}

// refuse answers a request with a status for all of its n messages.
func (s *Server) refuse(h *session, p smpp.PDU, st smpp.CommandStatus, n int) {
	s.metrics.submits.WithLabelValues(st.Name()).Add(float64(max(n, 1)))
	h.srv.log.Debug("smpp submit refused", "system_id", h.ss.SystemID(), "command", p.ID, "seq", p.Seq, "status", st.Name())
	h.ss.Respond(p, st, nil)
}

// intakeWorker runs intake batches until the job queue closes: whatever
// submits are waiting, up to pipeline.MaxBatch messages, go in one Send.
func (s *Server) intakeWorker() {
	var next *job
	for {
		var batch []*job
		n := 0
		if next != nil {
			batch, n, next = append(batch, next), len(next.reqs), nil
		} else {
			j, ok := <-s.jobs
			if !ok {
				return
			}
			batch, n = append(batch, j), len(j.reqs)
		}
	fill:
		for n < pipeline.MaxBatch {
			select {
			case j, ok := <-s.jobs:
				if !ok {
					break fill
				}
				if n+len(j.reqs) > pipeline.MaxBatch {
					next = j
					break fill
				}
				batch, n = append(batch, j), n+len(j.reqs)
			default:
				break fill
			}
		}
		s.runBatch(batch, n)
	}
}

// runBatch sends a batch through the intake, records what the receipts
// will need, and answers every submit in it.
func (s *Server) runBatch(batch []*job, n int) {
	s.metrics.batch.Observe(float64(n))
	reqs := make([]pipeline.Request, 0, n)
	for _, j := range batch {
		reqs = append(reqs, j.reqs...)
	}
	out := make([]pipeline.Result, len(reqs))
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.IntakeTimeout)
	defer cancel()
	if err := s.sender.Send(ctx, reqs, out); err != nil {
		for i := range out {
			out[i] = pipeline.Result{Err: err}
		}
	}
	var recs []submitRecord
	k := 0
	for _, j := range batch {
		res := out[k : k+len(j.reqs)]
		k += len(j.reqs)
		if wantsReceipt(j.sub.registered) {
			recs = append(recs, j.records(res)...)
		}
	}
	s.recordSubmits(ctx, recs)
	k = 0
	for _, j := range batch {
		s.answer(j, out[k:k+len(j.reqs)])
		k += len(j.reqs)
	}
}

// records are the receipt join's intake halves of j's accepted messages.
// Every message of a submit_multi reports under the one id its response
// gave: the first accepted message's.
func (j *job) records(res []pipeline.Result) []submitRecord {
	receiptID := ""
	for _, r := range res {
		if r.Err == nil {
			receiptID = r.ID
			break
		}
	}
	var recs []submitRecord
	for k, r := range res {
		if r.Err != nil {
			continue
		}
		recs = append(recs, submitRecord{
			messageID:  r.ID,
			systemID:   j.sess.acct.id,
			receiptID:  receiptID,
			registered: j.sub.registered,
			source:     j.sub.source,
			dest:       j.sub.dests[j.idx[k]],
			text:       plainText(j.sub.content.text, 20),
			submitted:  j.at,
		})
	}
	return recs
}

// queued counts rows this instance put in the outbox and wakes the
// accounts' loops here (NOTIFY wakes the other instances).
func (s *Server) queued(kind int16, accounts []string) {
	s.metrics.queued.WithLabelValues(kindName(kind)).Add(float64(len(accounts)))
	seen := map[string]bool{}
	for _, a := range accounts {
		if !seen[a] {
			seen[a] = true
			s.wakeAccount(a)
		}
	}
}

// answer responds to j with the intake's results, res[k] for j.reqs[k].
func (s *Server) answer(j *job, res []pipeline.Result) {
	ss, p := j.sess.ss, j.pdu
	statuses := make([]smpp.CommandStatus, len(j.sub.dests))
	copy(statuses, j.sub.refused)
	id := ""
	for k, r := range res {
		statuses[j.idx[k]] = statusOf(r.Err)
		if r.Err == nil && id == "" {
			id = r.ID
		}
	}
	for _, st := range statuses {
		s.metrics.submits.WithLabelValues(st.Name()).Inc()
	}
	switch p.ID {
	case smpp.CmdSubmitSM:
		if id == "" {
			ss.Respond(p, statuses[0], nil)
			return
		}
		ss.Respond(p, smpp.StatusOK, &smpp.SubmitSMResp{MessageID: id})
	case smpp.CmdDataSM:
		if id == "" {
			ss.Respond(p, statuses[0], nil)
			return
		}
		ss.Respond(p, smpp.StatusOK, &smpp.DataSMResp{MessageID: id})
	case smpp.CmdSubmitMulti:
		resp := &smpp.SubmitMultiResp{MessageID: id}
		for i, st := range statuses {
			if st != smpp.StatusOK {
				resp.Unsuccess = append(resp.Unsuccess, smpp.Unsuccess{Addr: j.sub.dests[i], Status: st})
			}
		}
		if id == "" {
			st := smpp.StatusSubmitFailed
			if len(statuses) == 1 {
				st = statuses[0]
			}
			ss.Respond(p, st, nil)
			return
		}
		ss.Respond(p, smpp.StatusOK, resp)
	}
}
