package smpp

// CancelSM is cancel_sm (section 4.9.1): withdraw a message the SMSC has
// not delivered yet, by MessageID or, with MessageID empty, every message
// from Source to Dest (and ServiceType, when set).
type CancelSM struct {
	ServiceType string
	MessageID   string
	Source      Address
	Dest        Address
}

func (*CancelSM) CommandID() CommandID { return CmdCancelSM }

func (m *CancelSM) AppendBinary(dst []byte) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, m.ServiceType, sizeServiceType, "service_type"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.MessageID, sizeMessageID, "message_id"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Source, sizeAddr, "source_addr"); err != nil {
		return dst, err
	}
	return appendAddress(dst, m.Dest, sizeAddr, "destination_addr")
}

func (m *CancelSM) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.ServiceType = r.cstring("service_type", sizeServiceType, StatusInvalidServiceType)
	m.MessageID = r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	m.Source = r.address("source_addr", sizeAddr, StatusInvalidSourceAddr)
	m.Dest = r.address("destination_addr", sizeAddr, StatusInvalidDestAddr)
	return r.end(CmdCancelSM)
}

// CancelSMResp answers CancelSM; it has no body.
type CancelSMResp struct{}

func (*CancelSMResp) CommandID() CommandID                    { return CmdCancelSMResp }
func (*CancelSMResp) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }
func (*CancelSMResp) UnmarshalBinary(b []byte) error          { return emptyBody(b, CmdCancelSMResp) }
