package smpp

// ReplaceSM is replace_sm (section 4.10.1): change a message the SMSC has
// not delivered yet.
type ReplaceSM struct {
	MessageID            string
	Source               Address
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
}

func (*ReplaceSM) CommandID() CommandID { return CmdReplaceSM }

func (m *ReplaceSM) AppendBinary(dst []byte) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, m.MessageID, sizeMessageID, "message_id"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Source, sizeAddr, "source_addr"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.ScheduleDeliveryTime, sizeTime, "schedule_delivery_time"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.ValidityPeriod, sizeTime, "validity_period"); err != nil {
		return dst, err
	}
	dst = append(dst, m.RegisteredDelivery, m.SMDefaultMsgID)
	return appendShortMessage(dst, m.ShortMessage)
}

func (m *ReplaceSM) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.MessageID = r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	m.Source = r.address("source_addr", sizeAddr, StatusInvalidSourceAddr)
	m.ScheduleDeliveryTime = r.cstring("schedule_delivery_time", sizeTime, StatusInvalidScheduleTime)
	m.ValidityPeriod = r.cstring("validity_period", sizeTime, StatusInvalidExpiry)
	m.RegisteredDelivery = r.byte("registered_delivery")
	m.SMDefaultMsgID = r.byte("sm_default_msg_id")
	m.ShortMessage = r.shortMessage()
	return r.end(CmdReplaceSM)
}

// ReplaceSMResp answers ReplaceSM; it has no body.
type ReplaceSMResp struct{}

func (*ReplaceSMResp) CommandID() CommandID                    { return CmdReplaceSMResp }
func (*ReplaceSMResp) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }
func (*ReplaceSMResp) UnmarshalBinary(b []byte) error          { return emptyBody(b, CmdReplaceSMResp) }
