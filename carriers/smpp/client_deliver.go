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
// deliver_sm goes to the dispatch workers; the SMSC's own window bounds
// how many wait, and a full inbox holds the reader back.
func (c *Client) onRequest(cn *conn, inbox chan<- PDU, p PDU) {
	switch p.ID {
	case CmdDeliverSM:
		select {
		case inbox <- p:
		case <-cn.done:
		}
	case CmdUnbind:
		c.log.Info("smpp unbind from smsc")
		_ = cn.respondAndClose(Header{ID: CmdUnbindResp, Seq: p.Seq}, &UnbindResp{})
	default:
		_ = cn.respond(Header{ID: CmdGenericNack, Status: StatusInvalidCmdID, Seq: p.Seq}, nil)
	}
}

// dispatch hands each deliver_sm to its handler and answers it with the
// outcome, until the connection ends.
func (c *Client) dispatch(ctx context.Context, cn *conn, inbox <-chan PDU) {
	for {
		select {
		case <-cn.done:
			return
		case p := <-inbox:
			st := c.deliver(ctx, p.Body.(*DeliverSM))
			if err := cn.respond(Header{ID: CmdDeliverSMResp, Status: st, Seq: p.Seq}, &DeliverSMResp{}); err != nil {
				return
			}
		}
	}
}

// deliver passes one deliver_sm to the receipt or inbound handler and
// returns the status to answer with: ESME_RX_T_APPN when the handler
// failed (the SMSC will try again), ESME_RX_P_APPN when the PDU cannot
// be read (trying again cannot help).
func (c *Client) deliver(ctx context.Context, d *DeliverSM) CommandStatus {
	if IsReceipt(d.ESMClass) {
		r, err := ReceiptOf(d)
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
	in, err := InboundOf(d)
	if err != nil {
		c.log.Warn("smpp unreadable inbound message", "err", err)
		return StatusPermAppError
	}
	in.Carrier = c.cfg.Name
	if c.opts.onInbound == nil {
		return StatusOK
	}
	if err := c.opts.onInbound(ctx, in); err != nil {
		c.log.Warn("smpp inbound handler failed; smsc will redeliver", "err", err)
		return StatusTempAppError
	}
	return StatusOK
}

// ReceiptOf reads a receipt deliver_sm. The receipted_message_id and
// message_state parameters win over the text's id and stat when present;
// network_error_code fills Err when the text has none. The id is
// normalized with carriers.NormalizeID; Carrier is left empty.
func ReceiptOf(d *DeliverSM) (carriers.Receipt, error) {
	rt, _ := ParseReceiptText(string(d.Payload()))
	id, state := rt.ID, rt.Stat
	if v, ok := d.TLVs.CString(TagReceiptedMessageID); ok && v != "" {
		id = v
	}
	if v, ok := d.TLVs.Uint8(TagMessageState); ok {
		state = MessageState(v).Stat()
	}
	if id == "" {
		return carriers.Receipt{}, fmt.Errorf("deliver_sm: %w", ErrNoReceipt)
	}
	errCode := rt.Err
	if v, ok := d.TLVs.Get(TagNetworkErrorCode); ok && len(v) == 3 && (errCode == "" || errCode == "000") {
		if code := binary.BigEndian.Uint16(v[1:]); code != 0 {
			errCode = strconv.Itoa(int(code))
		}
	}
	return carriers.Receipt{
		ID:     carriers.NormalizeID(id),
		Status: core.ReceiptStatus(state),
		State:  state,
		Err:    errCode,
		Done:   rt.DoneDate,
	}, nil
}

// InboundOf reads a mobile-originated deliver_sm: addresses in tern's form
// and the text decoded after any user data header. Carrier is left empty.
func InboundOf(d *DeliverSM) (carriers.Inbound, error) {
	payload := d.Payload()
	if d.ESMClass&ESMClassUDHI != 0 && len(payload) > 0 {
		l := int(payload[0]) + 1
		if l > len(payload) {
			return carriers.Inbound{}, fmt.Errorf("deliver_sm: user data header of %d octets in %d", l, len(payload))
		}
		payload = payload[l:]
	}
	text, err := gsm.Decode(d.DataCoding, payload)
	if err != nil {
		return carriers.Inbound{}, fmt.Errorf("deliver_sm: %w", err)
	}
	return carriers.Inbound{
		From:     d.Source.String(),
		To:       d.Dest.String(),
		Text:     text,
		Received: time.Now(),
	}, nil
}
