package smpp

import (
	"encoding"
	"encoding/binary"
	"fmt"
)

// Body is the command-specific part of a PDU. Implementations are
// pointers to the structs in this package (*SubmitSM, *EnquireLink, …).
//
// AppendBinary appends the body alone, without header; UnmarshalBinary
// reads a body and copies what it keeps, so the caller may reuse the
// bytes.
type Body interface {
	CommandID() CommandID
	encoding.BinaryAppender
	encoding.BinaryUnmarshaler
}

// PDU is one SMPP protocol data unit.
type PDU struct {
	Header
	// Body is never nil after Decode. When encoding, a nil Body sends the
	// header alone (an error response without body); otherwise the
	// header's ID is taken from the body.
	Body Body
}

// AppendTo appends the encoded PDU to dst, computing command_length.
func (p *PDU) AppendTo(dst []byte) ([]byte, error) {
	start := len(dst)
	h := p.Header
	if p.Body != nil {
		h.ID = p.Body.CommandID()
	}
	dst = h.append(dst)
	if p.Body != nil {
		var err error
		if dst, err = p.Body.AppendBinary(dst); err != nil {
			return dst[:start], fmt.Errorf("%s: %w", h.ID, err)
		}
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	return dst, nil
}

// Decode parses one whole frame (as returned by Reader.ReadFrame). It
// never panics and allocates only for the fields it keeps.
//
// When the header is readable but the body is not, Decode returns the
// PDU with its header filled in along with the error, so the caller can
// answer the sequence number: errors wrap ErrUnknownCommand (answer
// generic_nack with StatusInvalidCmdID) or ErrMalformed (the error also
// wraps the CommandStatus to answer with). ErrCommandLength means the
// frame itself is wrong.
func Decode(frame []byte) (PDU, error) {
	if len(frame) < HeaderLen {
		return PDU{}, fmt.Errorf("%d octets: %w", len(frame), ErrCommandLength)
	}
	h := parseHeader(frame)
	if int64(h.Length) != int64(len(frame)) {
		return PDU{}, fmt.Errorf("command_length %d for a %d-octet frame: %w", h.Length, len(frame), ErrCommandLength)
	}
	body := NewBody(h.ID)
	if body == nil {
		return PDU{Header: h}, fmt.Errorf("%s: %w", h.ID, ErrUnknownCommand)
	}
	p := PDU{Header: h, Body: body}
	b := frame[HeaderLen:]
	// An error response may omit its body (section 3.3: submit_sm_resp,
	// bind_*_resp and others carry no body when command_status is set).
	if len(b) == 0 && h.ID.IsResponse() && h.Status != StatusOK {
		return p, nil
	}
	if err := body.UnmarshalBinary(b); err != nil {
		return p, fmt.Errorf("%s: %w", h.ID, err)
	}
	return p, nil
}

// NewBody returns an empty body for id, or nil for ids SMPP 3.4 does not
// define.
func NewBody(id CommandID) Body {
	switch id {
	case CmdGenericNack:
		return &GenericNack{}
	case CmdBindReceiver:
		return &Bind{Type: BindReceiver}
	case CmdBindTransmitter:
		return &Bind{Type: BindTransmitter}
	case CmdBindTransceiver:
		return &Bind{Type: BindTransceiver}
	case CmdBindReceiverResp:
		return &BindResp{Type: BindReceiver}
	case CmdBindTransmitterResp:
		return &BindResp{Type: BindTransmitter}
	case CmdBindTransceiverResp:
		return &BindResp{Type: BindTransceiver}
	case CmdSubmitSM:
		return &SubmitSM{}
	case CmdSubmitSMResp:
		return &SubmitSMResp{}
	case CmdDeliverSM:
		return &DeliverSM{}
	case CmdDeliverSMResp:
		return &DeliverSMResp{}
	case CmdUnbind:
		return &Unbind{}
	case CmdUnbindResp:
		return &UnbindResp{}
	case CmdEnquireLink:
		return &EnquireLink{}
	case CmdEnquireLinkResp:
		return &EnquireLinkResp{}
	case CmdSubmitMulti:
		return &SubmitMulti{}
	case CmdSubmitMultiResp:
		return &SubmitMultiResp{}
	case CmdDataSM:
		return &DataSM{}
	case CmdDataSMResp:
		return &DataSMResp{}
	case CmdQuerySM:
		return &QuerySM{}
	case CmdQuerySMResp:
		return &QuerySMResp{}
	case CmdCancelSM:
		return &CancelSM{}
	case CmdCancelSMResp:
		return &CancelSMResp{}
	case CmdReplaceSM:
		return &ReplaceSM{}
	case CmdReplaceSMResp:
		return &ReplaceSMResp{}
	case CmdOutbind:
		return &Outbind{}
	case CmdAlertNotification:
		return &AlertNotification{}
	}
	return nil
}
