package smscsim

import (
	"context"
	"fmt"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/gsm"
)

// SendMO delivers a mobile-originated message from a handset (from) to
// an ESME number (to) on a receiver bound with systemID, and waits for
// the ESME to take it. Long texts go as concatenated parts.
func (s *Server) SendMO(ctx context.Context, systemID, from, to, text string) error {
	ss := s.receiver(systemID)
	if ss == nil {
		return fmt.Errorf("mo for %q: %w", systemID, ErrNoReceiver)
	}
	enc := gsm.Encode(text, gsm.Options{})
	n := len(enc.Parts)
	ref := uint16(s.nextID.Load())
	for i, part := range enc.Parts {
		d := &smpp.DeliverSM{
			Source:     smpp.AddressOf(from),
			Dest:       smpp.AddressOf(to),
			DataCoding: enc.DataCoding,
		}
		if n > 1 {
			d.ESMClass = smpp.ESMClassUDHI
			d.ShortMessage = gsm.AppendConcatUDH(nil, ref, n, i+1, false)
		}
		d.ShortMessage = append(d.ShortMessage, part...)
		resp, err := ss.Send(ctx, d)
		if err != nil {
			return fmt.Errorf("mo to %s: %w", systemID, err)
		}
		if resp.Status != smpp.StatusOK {
			return fmt.Errorf("mo to %s: %w", systemID, resp.Status)
		}
	}
	return nil
}
