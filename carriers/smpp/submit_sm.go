package smpp

import "fmt"

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
	var err error
	if dst, err = appendCString(dst, m.ServiceType, 6, "service_type"); err != nil {
		return dst, err
	}
	dst = append(dst, m.Source.TON, m.Source.NPI)
	if dst, err = appendCString(dst, m.Source.Addr, 21, "source_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.Dest.TON, m.Dest.NPI)
	if dst, err = appendCString(dst, m.Dest.Addr, 21, "destination_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.ESMClass, m.ProtocolID, m.PriorityFlag)
	if dst, err = appendCString(dst, m.ScheduleDeliveryTime, 17, "schedule_delivery_time"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.ValidityPeriod, 17, "validity_period"); err != nil {
		return dst, err
	}
	if len(m.ShortMessage) > MaxShortMessage {
		return dst, fmt.Errorf("short_message: %d octets, at most %d: %w", len(m.ShortMessage), MaxShortMessage, ErrFieldTooLong)
	}
	dst = append(dst, m.RegisteredDelivery, m.ReplaceIfPresentFlag, m.DataCoding, m.SMDefaultMsgID, byte(len(m.ShortMessage)))
	dst = append(dst, m.ShortMessage...)
	return appendTLVs(dst, m.TLVs)
}

func (m *SubmitSM) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.ServiceType = r.cstring("service_type")
	m.Source.TON = r.byte("source_addr_ton")
	m.Source.NPI = r.byte("source_addr_npi")
	m.Source.Addr = r.cstring("source_addr")
	m.Dest.TON = r.byte("dest_addr_ton")
	m.Dest.NPI = r.byte("dest_addr_npi")
	m.Dest.Addr = r.cstring("destination_addr")
	m.ESMClass = r.byte("esm_class")
	m.ProtocolID = r.byte("protocol_id")
	m.PriorityFlag = r.byte("priority_flag")
	m.ScheduleDeliveryTime = r.cstring("schedule_delivery_time")
	m.ValidityPeriod = r.cstring("validity_period")
	m.RegisteredDelivery = r.byte("registered_delivery")
	m.ReplaceIfPresentFlag = r.byte("replace_if_present_flag")
	m.DataCoding = r.byte("data_coding")
	m.SMDefaultMsgID = r.byte("sm_default_msg_id")
	n := r.byte("sm_length")
	m.ShortMessage = r.bytes(int(n), "short_message")
	m.TLVs = r.tlvs()
	return r.end("short message")
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
	dst, err := appendCString(dst, m.MessageID, 65, "message_id")
	if err != nil {
		return dst, err
	}
	return appendTLVs(dst, m.TLVs)
}

func (m *SubmitSMResp) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.MessageID = r.cstring("message_id")
	m.TLVs = r.tlvs()
	return r.end("submit_sm_resp")
}
