package smpp

// DeliverSM is deliver_sm (section 4.6.1): a mobile-originated message or a
// delivery receipt from the SMSC to an ESME. Its fields mean what they mean
// in SubmitSM; ESMClass tells a receipt (IsReceipt) from a message.
type DeliverSM SubmitSM

func (*DeliverSM) CommandID() CommandID { return CmdDeliverSM }

func (m *DeliverSM) AppendBinary(dst []byte) ([]byte, error) {
	return (*SubmitSM)(m).appendAs(dst, CmdDeliverSM)
}

func (m *DeliverSM) UnmarshalBinary(data []byte) error {
	return (*SubmitSM)(m).unmarshalAs(data, CmdDeliverSM)
}

// Payload returns message_payload when present, short_message otherwise.
func (m *DeliverSM) Payload() []byte { return (*SubmitSM)(m).Payload() }

// DeliverSMResp answers DeliverSM. Its message_id is unused and empty.
type DeliverSMResp struct {
	MessageID string
	TLVs      TLVs
}

func (*DeliverSMResp) CommandID() CommandID { return CmdDeliverSMResp }

func (m *DeliverSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDResp(dst, m.MessageID, m.TLVs, CmdDeliverSMResp)
}

func (m *DeliverSMResp) UnmarshalBinary(data []byte) error {
	var err error
	m.MessageID, m.TLVs, err = unmarshalMessageIDResp(data, CmdDeliverSMResp)
	return err
}
