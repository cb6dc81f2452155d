package gateway

import (
	"time"

	"github.com/ternsms/tern/carriers/smpp"
)

// submit is what one submit_sm, data_sm or submit_multi asks for.
type submit struct {
	// dests are the destinations in order; refused holds, at the same
	// index, why a destination was refused before intake (StatusOK for
	// those that go on).
	dests   []smpp.Address
	refused []smpp.CommandStatus
	source  smpp.Address
	// registered is the registered_delivery field.
	registered uint8
	content    content
	sendAt     time.Time
	// validity is validity_period after the send time; 0 when unset.
	validity time.Duration
}

// parseSubmit reads a submit_sm, data_sm or submit_multi as far as SMPP
// says; the intake checks the rest. A status other than StatusOK refuses
// the whole request.
func parseSubmit(p smpp.PDU, latin1 bool, now time.Time) (submit, smpp.CommandStatus) {
	var s submit
	var esm, dc, prio uint8
	var sm []byte
	var sched, validity string
	switch m := p.Body.(type) {
	case *smpp.SubmitSM:
		s.dests, s.source, s.registered = []smpp.Address{m.Dest}, m.Source, m.RegisteredDelivery
		esm, dc, prio, sched, validity = m.ESMClass, m.DataCoding, m.PriorityFlag, m.ScheduleDeliveryTime, m.ValidityPeriod
		if _, ok := m.TLVs.Get(smpp.TagMessagePayload); ok && len(m.ShortMessage) > 0 {
			return s, smpp.StatusInvalidMsgLength // both carry the text: which one?
		}
		sm = m.Payload()
	case *smpp.DataSM:
		s.dests, s.source, s.registered = []smpp.Address{m.Dest}, m.Source, m.RegisteredDelivery
		esm, dc = m.ESMClass, m.DataCoding
		sm = m.Payload()
	case *smpp.SubmitMulti:
		s.source, s.registered = m.Source, m.RegisteredDelivery
		esm, dc, prio, sched, validity = m.ESMClass, m.DataCoding, m.PriorityFlag, m.ScheduleDeliveryTime, m.ValidityPeriod
		if len(m.Dests) == 0 || len(m.Dests) > smpp.MaxDests {
			return s, smpp.StatusInvalidNumDests
		}
		if _, ok := m.TLVs.Get(smpp.TagMessagePayload); ok && len(m.ShortMessage) > 0 {
			return s, smpp.StatusInvalidMsgLength
		}
		sm = m.Payload()
		for _, d := range m.Dests {
			st := smpp.StatusOK
			if d.DistList != "" {
				st = smpp.StatusCannotSubmitToDistList
			}
			s.dests = append(s.dests, d.Addr)
			s.refused = append(s.refused, st)
		}
	default:
		return s, smpp.StatusInvalidCmdID
	}
	if s.refused == nil {
		s.refused = make([]smpp.CommandStatus, len(s.dests))
	}
	if esm&smpp.ESMClassTypeMask != 0 {
		return s, smpp.StatusInvalidESMClass // receipts and acknowledgements do not come from ESMEs
	}
	if prio > 3 {
		return s, smpp.StatusInvalidPriorityFlag
	}
	at, err := parseTime(sched, now)
	if err != nil {
		return s, smpp.StatusInvalidScheduleTime
	}
	if at.After(now) {
		s.sendAt = at
	}
	until, err := parseTime(validity, now)
	if err != nil {
		return s, smpp.StatusInvalidExpiry
	}
	if !until.IsZero() {
		if s.validity = until.Sub(now); !s.sendAt.IsZero() {
			s.validity = until.Sub(s.sendAt)
		}
		if s.validity <= 0 {
			return s, smpp.StatusInvalidExpiry // over before it could go out
		}
	}
	c, st := readContent(dc, esm&smpp.ESMClassUDHI != 0, sm, latin1)
	if st != smpp.StatusOK {
		return s, st
	}
	s.content = c
	for i, d := range s.dests {
		if s.refused[i] == smpp.StatusOK && recipient(d) == "" {
			s.refused[i] = smpp.StatusInvalidDestAddr
		}
	}
	if len(s.dests) == 1 && s.refused[0] != smpp.StatusOK {
		return s, s.refused[0]
	}
	return s, smpp.StatusOK
}

// wantsReceipt reports whether registered_delivery asks for a final
// receipt, on success or failure (0x01) or on failure only (0x02).
func wantsReceipt(registered uint8) bool {
	return registered&smpp.RegisteredDeliveryMask != 0
}
