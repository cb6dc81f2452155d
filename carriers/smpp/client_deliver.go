package smpp

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// onRequest runs on the connection's reader for requests from the SMSC.
// deliver_sm and data_sm go to the dispatch workers; the SMSC's own
// window bounds how many wait, and a full inbox holds the reader back.
func (c *Client) onRequest(cn *conn, inbox chan<- PDU, p PDU) {
	switch p.ID {
	case CmdDeliverSM, CmdDataSM:
		select {
		case inbox <- p:
		case <-cn.done:
		}
	case CmdUnbind:
		c.log.Info("smpp unbind from smsc")
		_ = cn.respondAndClose(Header{ID: CmdUnbindResp, Seq: p.Seq}, &UnbindResp{})
	case CmdAlertNotification, CmdOutbind:
		// Never answered; tern does not ask for alerts nor listen for
		// outbind.
		c.log.Debug("smpp request ignored", "command", p.ID)
	default:
		_ = cn.respond(Header{ID: CmdGenericNack, Status: StatusInvalidCmdID, Seq: p.Seq}, nil)
	}
}

// dispatch hands each deliver_sm or data_sm to its handler and answers it
// with the outcome, until the connection ends.
func (c *Client) dispatch(ctx context.Context, cn *conn, inbox <-chan PDU) {
	for {
		select {
		case <-cn.done:
			return
		case p := <-inbox:
			var err error
			switch m := p.Body.(type) {
			case *DeliverSM:
				st := c.deliver(ctx, m)
				err = cn.respond(Header{ID: CmdDeliverSMResp, Status: st, Seq: p.Seq}, &DeliverSMResp{})
			case *DataSM:
				st := c.deliver(ctx, m.DeliverSM())
				err = cn.respond(Header{ID: CmdDataSMResp, Status: st, Seq: p.Seq}, &DataSMResp{})
			}
			if err != nil {
				return
			}
		}
	}
}

// isReceipt tells a receipt from an inbound message: by esm_class, or by
// the receipted_message_id parameter some SMSCs send without it.
func isReceipt(d *DeliverSM) bool {
	if IsReceipt(d.ESMClass) {
		return true
	}
	_, ok := d.TLVs.Get(TagReceiptedMessageID)
	return ok
}

// deliver passes one deliver_sm to the receipt or inbound handler and
// returns the status to answer with: ESME_RX_T_APPN when the handler
// failed (the SMSC will try again), ESME_RX_P_APPN when the PDU cannot
// be read (trying again cannot help).
func (c *Client) deliver(ctx context.Context, d *DeliverSM) CommandStatus {
	if isReceipt(d) {
		r, err := ParseReceipt(d, c.cfg.ResponseIDFormat, c.cfg.ReceiptIDFormat)
		if err != nil {
			c.log.Warn("smpp unreadable receipt", "err", err)
			return StatusPermAppError
		}
		r.Carrier = c.cfg.Name
		if c.opts.onReceipt == nil {
			return StatusOK
		}
		if err := c.opts.onReceipt(ctx, r); err != nil {
			c.log.Warn("smpp receipt handler failed; smsc will redeliver", "id", r.ID, "err", err)
			return StatusTempAppError
		}
		return StatusOK
	}
	return c.deliverInbound(ctx, d)
}

// deliverInbound passes an inbound message to its handler, joining the
// parts of a multipart one first.
func (c *Client) deliverInbound(ctx context.Context, d *DeliverSM) CommandStatus {
	pt, err := readInbound(d, c.cfg.Packed)
	if err != nil {
		c.log.Warn("smpp unreadable inbound message", "err", err)
		return StatusPermAppError
	}
	in := carriers.Inbound{Carrier: c.cfg.Name, From: d.Source.String(), To: d.Dest.String(), Text: pt.text, Received: time.Now()}
	if pt.total <= 1 {
		return c.handInbound(ctx, in)
	}
	key := moKey{from: in.From, to: in.To, ref: pt.ref, total: pt.total}
	whole, complete, evicted := c.inbound.add(key, pt.seq, pt.text, in, in.Received)
	for _, e := range evicted {
		c.log.Warn("smpp inbound parts given up: too many messages waiting", "from", e.From)
		c.handInbound(ctx, e)
	}
	if !complete {
		return StatusOK
	}
	st := c.handInbound(ctx, whole)
	if st == StatusOK {
		c.inbound.done(key)
	}
	return st
}

// handInbound calls the inbound handler.
func (c *Client) handInbound(ctx context.Context, in carriers.Inbound) CommandStatus {
	if c.opts.onInbound == nil {
		return StatusOK
	}
	if err := c.opts.onInbound(ctx, in); err != nil {
		c.log.Warn("smpp inbound handler failed; smsc will redeliver", "err", err)
		return StatusTempAppError
	}
	return StatusOK
}

// sweepInbound delivers multipart inbound messages whose parts stopped
// coming, until ctx ends.
func (c *Client) sweepInbound(ctx context.Context) {
	tick := min(max(c.cfg.InboundTimeout/4, 10*time.Millisecond), 10*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, in := range c.inbound.expire(now) {
				c.log.Warn("smpp inbound parts given up: timed out", "from", in.From, "after", c.cfg.InboundTimeout)
				if st := c.handInbound(ctx, in); st != StatusOK {
					c.log.Error("smpp partial inbound message dropped", "from", in.From)
				}
			}
		}
	}
}

// inboundPart is one read inbound short message.
type inboundPart struct {
	text       string
	ref        uint16
	total, seq int // total ≤ 1 for a message in one part
}

// readInbound decodes an inbound deliver_sm: its text in the header's
// national tables, and its place in a multipart message from the
// concatenation header or the sar_* parameters.
func readInbound(d *DeliverSM, packed bool) (inboundPart, error) {
	payload := d.Payload()
	udhi := d.ESMClass&ESMClassUDHI != 0 && len(payload) > 0
	p, err := gsm.DecodePart(d.DataCoding, udhi, packed, payload)
	if err != nil {
		return inboundPart{}, fmt.Errorf("deliver_sm: %w", err)
	}
	out := inboundPart{text: p.Text, ref: p.UDH.Ref, total: p.UDH.Total, seq: p.UDH.Seq}
	if out.total == 0 {
		ref, ok1 := d.TLVs.Uint16(TagSARMsgRefNum)
		total, ok2 := d.TLVs.Uint8(TagSARTotalSegments)
		seq, ok3 := d.TLVs.Uint8(TagSARSegmentSeqnum)
		if ok1 && ok2 && ok3 {
			if seq == 0 || seq > total {
				return inboundPart{}, fmt.Errorf("deliver_sm: sar segment %d of %d", seq, total)
			}
			out.ref, out.total, out.seq = ref, int(total), int(seq)
		}
	}
	return out, nil
}

// InboundOf reads one mobile-originated deliver_sm on its own: addresses
// in tern's form and the text decoded after any user data header, in the
// header's national tables. Parts of a multipart message come back one by
// one (the client joins them). Carrier is left empty.
func InboundOf(d *DeliverSM) (carriers.Inbound, error) {
	pt, err := readInbound(d, false)
	if err != nil {
		return carriers.Inbound{}, err
	}
	return carriers.Inbound{
		From:     d.Source.String(),
		To:       d.Dest.String(),
		Text:     pt.text,
		Received: time.Now(),
	}, nil
}

// ReceiptOf reads a receipt deliver_sm with ids in IDAuto form; see
// ParseReceipt.
func ReceiptOf(d *DeliverSM) (carriers.Receipt, error) {
	return ParseReceipt(d, IDAuto, IDAuto)
}

// ParseReceipt reads a receipt deliver_sm (or a data_sm as DeliverSM). The
// receipted_message_id and message_state parameters win over the text's
// id and stat when present; network_error_code fills Err when the text
// has none. The receipted_message_id parameter repeats the id of the
// submit_sm_resp, so it is normalized as responseIDs says; an id read
// from the text is normalized as receiptIDs says. Carrier is left empty.
func ParseReceipt(d *DeliverSM, responseIDs, receiptIDs IDFormat) (carriers.Receipt, error) {
	text := d.Payload()
	if d.DataCoding == gsm.DataCodingUCS2 {
		if t, err := gsm.Decode(d.DataCoding, text); err == nil {
			text = []byte(t)
		}
	}
	rt, _ := ParseReceiptText(string(text))
	id := receiptIDs.Normalize(rt.ID)
	state := rt.Stat
	if v, ok := d.TLVs.CString(TagReceiptedMessageID); ok && v != "" {
		id = responseIDs.Normalize(v)
	}
	if v, ok := d.TLVs.Uint8(TagMessageState); ok {
		state = MessageState(v).Stat()
	}
	if id == "" {
		return carriers.Receipt{}, fmt.Errorf("deliver_sm: %w", ErrNoReceipt)
	}
	errCode := rt.Err
	if v, ok := d.TLVs.Get(TagNetworkErrorCode); ok && len(v) == 3 && (errCode == "" || isZeros(errCode)) {
		if code := binary.BigEndian.Uint16(v[1:]); code != 0 {
			errCode = strconv.Itoa(int(code))
		}
	}
	return carriers.Receipt{
		ID:     id,
		Status: core.ReceiptStatus(state),
		State:  state,
		Err:    errCode,
		Done:   rt.DoneDate,
	}, nil
}

func isZeros(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}
