package smscsim

import (
	"context"
	"fmt"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/gsm"
)

// SendMO delivers a mobile-originated message from a handset (from) to
// an ESME number (to) on a receiver bound with systemID, and waits for
// the ESME to take it. Long texts go as concatenated parts with user
// data headers.
func (s *Server) SendMO(ctx context.Context, systemID, from, to, text string) error {
	msg := gsm.Split(text, uint16(s.nextID.Load()), gsm.Options{Packed: s.cfg.Packed})
	for _, part := range msg.Parts() {
		d := &smpp.DeliverSM{
			Source:       smpp.AddressOf(from),
			Dest:         smpp.AddressOf(to),
			DataCoding:   msg.DataCoding,
			ShortMessage: part,
		}
		if msg.UDHI {
			d.ESMClass = smpp.ESMClassUDHI
		}
		resp, err := s.Inject(ctx, systemID, d)
		if err != nil {
			return fmt.Errorf("mo to %s: %w", systemID, err)
		}
		if resp.Status != smpp.StatusOK {
			return fmt.Errorf("mo to %s: %w", systemID, resp.Status)
		}
	}
	return nil
}

// Inject sends any request the SMSC side may send (deliver_sm, data_sm)
// to a receiver bound with systemID and returns its answer: for tests of
// vendor receipt forms, SAR inbound messages and the like.
func (s *Server) Inject(ctx context.Context, systemID string, body smpp.Body) (smpp.PDU, error) {
	ss := s.receiver(systemID)
	if ss == nil {
		return smpp.PDU{}, fmt.Errorf("%s for %q: %w", body.CommandID(), systemID, ErrNoReceiver)
	}
	return ss.Send(ctx, body)
}
