package smscsim

import (
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// maxRemembered bounds the messages query_sm, cancel_sm and replace_sm
// can find: the most recent ones.
const maxRemembered = 1 << 16

// remember makes j findable by its id; s.mu is held. Parts of one
// message share an id: the first stays findable.
func (s *Server) remember(j *receiptJob) {
	if _, ok := s.msgs[j.id]; ok {
		return
	}
	if len(s.msgOrder) < maxRemembered {
		s.msgOrder = append(s.msgOrder, j.id)
	} else {
		delete(s.msgs, s.msgOrder[s.msgNext])
		s.msgOrder[s.msgNext] = j.id
		s.msgNext = (s.msgNext + 1) % maxRemembered
	}
	s.msgs[j.id] = j
}

// find returns the remembered message with id written as the simulator
// writes ids; s.mu is held.
func (s *Server) find(id string) *receiptJob {
	v, ok := s.parseID(id)
	if !ok {
		return nil
	}
	return s.msgs[v]
}

// pending reports whether j has not reached its outcome at now; s.mu is
// held. A cancelled message is final at once.
func (j *receiptJob) pending(now time.Time) bool {
	return j.stat == "" || j.stat != StatDeleted && now.Before(j.due)
}

// querySM answers query_sm with the message's state: ENROUTE until its
// outcome is due, then the outcome with its date.
func (s *Server) querySM(h *session, p smpp.PDU, m *smpp.QuerySM) {
	now := time.Now()
	s.mu.Lock()
	j := s.find(m.MessageID)
	var resp *smpp.QuerySMResp
	if j != nil {
		resp = &smpp.QuerySMResp{MessageID: m.MessageID, State: smpp.StateEnroute}
		if !j.pending(now) {
			resp.State, _ = smpp.StateOf(j.stat)
			resp.FinalDate = j.due.UTC().Format("060102150405") + "000+"
		}
	}
	s.mu.Unlock()
	if resp == nil {
		_ = h.ss.Respond(p, smpp.StatusQueryFailed, nil)
		return
	}
	_ = h.ss.Respond(p, smpp.StatusOK, resp)
}

// cancelSM answers cancel_sm: a message not yet at its outcome ends
// DELETED (its receipt says so); others cannot be cancelled. Cancelling
// by addresses without an id is not served.
func (s *Server) cancelSM(h *session, p smpp.PDU, m *smpp.CancelSM) {
	now := time.Now()
	s.mu.Lock()
	j := s.find(m.MessageID)
	ok := j != nil && j.stat != "" && j.pending(now)
	if ok {
		j.stat = StatDeleted
	}
	s.mu.Unlock()
	if !ok {
		_ = h.ss.Respond(p, smpp.StatusCancelFailed, nil)
		return
	}
	_ = h.ss.Respond(p, smpp.StatusOK, &smpp.CancelSMResp{})
}

// replaceSM answers replace_sm: a message not yet at its outcome takes the
// new text (its outcome stays); others cannot be replaced.
func (s *Server) replaceSM(h *session, p smpp.PDU, m *smpp.ReplaceSM) {
	now := time.Now()
	s.mu.Lock()
	j := s.find(m.MessageID)
	ok := j != nil && j.stat != "" && j.pending(now)
	if ok {
		j.text = string(m.ShortMessage)
	}
	s.mu.Unlock()
	if !ok {
		_ = h.ss.Respond(p, smpp.StatusReplaceFailed, nil)
		return
	}
	_ = h.ss.Respond(p, smpp.StatusOK, &smpp.ReplaceSMResp{})
}
