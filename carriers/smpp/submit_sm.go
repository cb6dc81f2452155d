package smpp

// MaxShortMessage is the most octets short_message can hold; longer
// content travels in the message_payload parameter.
const MaxShortMessage = 254

// SubmitSM is submit_sm (section 4.4.1): one short message from an ESME to
// the SMSC. DeliverSM shares its layout.
type SubmitSM struct {
	ServiceType          string // at most 5 octets
	Source               Address
	Dest                 Address
	ESMClass             uint8
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string // "" or 16 characters
	ValidityPeriod       string // "" or 16 characters
	RegisteredDelivery   uint8
	ReplaceIfPresentFlag uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	// ShortMessage holds the user data header (if ESMClassUDHI) and the
	// payload, at most MaxShortMessage octets.
	ShortMessage []byte
	TLVs         TLVs
}

func (*SubmitSM) CommandID() CommandID { return CmdSubmitSM }

func (m *SubmitSM) AppendBinary(dst []byte) ([]byte, error) {
	return m.appendAs(dst, CmdSubmitSM)
}

func (m *SubmitSM) UnmarshalBinary(data []byte) error {
	return m.unmarshalAs(data, CmdSubmitSM)
}

// appendAs encodes the layout submit_sm and deliver_sm share; cmd decides
// which parameters are allowed.
func (m *SubmitSM) appendAs(dst []byte, cmd CommandID) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, m.ServiceType, sizeServiceType, "service_type"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Source, sizeAddr, "source_addr"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Dest, sizeAddr, "destination_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.ESMClass, m.ProtocolID, m.PriorityFlag)
	if dst, err = appendCString(dst, m.ScheduleDeliveryTime, sizeTime, "schedule_delivery_time"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.ValidityPeriod, sizeTime, "validity_period"); err != nil {
		return dst, err
	}
	dst = append(dst, m.RegisteredDelivery, m.ReplaceIfPresentFlag, m.DataCoding, m.SMDefaultMsgID)
	if dst, err = appendShortMessage(dst, m.ShortMessage); err != nil {
		return dst, err
	}
	return appendTLVs(dst, m.TLVs, cmd)
}

func (m *SubmitSM) unmarshalAs(data []byte, cmd CommandID) error {
	r := bodyReader{b: data}
	m.ServiceType = r.cstring("service_type", sizeServiceType, StatusInvalidServiceType)
	m.Source = r.address("source_addr", sizeAddr, StatusInvalidSourceAddr)
	m.Dest = r.address("destination_addr", sizeAddr, StatusInvalidDestAddr)
	m.ESMClass = r.byte("esm_class")
	m.ProtocolID = r.byte("protocol_id")
	m.PriorityFlag = r.byte("priority_flag")
	m.ScheduleDeliveryTime = r.cstring("schedule_delivery_time", sizeTime, StatusInvalidScheduleTime)
	m.ValidityPeriod = r.cstring("validity_period", sizeTime, StatusInvalidExpiry)
	m.RegisteredDelivery = r.byte("registered_delivery")
	m.ReplaceIfPresentFlag = r.byte("replace_if_present_flag")
	m.DataCoding = r.byte("data_coding")
	m.SMDefaultMsgID = r.byte("sm_default_msg_id")
	m.ShortMessage = r.shortMessage()
	m.TLVs = r.tlvs(cmd)
	return r.end(cmd)
}

// Payload returns the message content: message_payload when present,
// short_message otherwise, with the user data header (if any) still in
// front.
func (m *SubmitSM) Payload() []byte {
	if v, ok := m.TLVs.Get(TagMessagePayload); ok {
		return v
	}
	return m.ShortMessage
}

// SubmitSMResp answers SubmitSM with the SMSC's message id.
type SubmitSMResp struct {
	MessageID string // at most 64 octets
	// TLVs are not defined for submit_sm_resp in 3.4; SMSCs speaking
	// later versions send some, and they are kept.
	TLVs TLVs
}

func (*SubmitSMResp) CommandID() CommandID { return CmdSubmitSMResp }

func (m *SubmitSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDResp(dst, m.MessageID, m.TLVs, CmdSubmitSMResp)
}

func (m *SubmitSMResp) UnmarshalBinary(data []byte) error {
	var err error
	m.MessageID, m.TLVs, err = unmarshalMessageIDResp(data, CmdSubmitSMResp)
	return err
}

// appendMessageIDResp encodes the message_id-and-parameters layout of
// submit_sm_resp, deliver_sm_resp and data_sm_resp.
func appendMessageIDResp(dst []byte, id string, ts TLVs, cmd CommandID) ([]byte, error) {
	dst, err := appendCString(dst, id, sizeMessageID, "message_id")
	if err != nil {
		return dst, err
	}
	return appendTLVs(dst, ts, cmd)
}

func unmarshalMessageIDResp(data []byte, cmd CommandID) (string, TLVs, error) {
	r := bodyReader{b: data}
	id := r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	ts := r.tlvs(cmd)
	return id, ts, r.end(cmd)
}
