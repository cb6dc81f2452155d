package smpp

import "fmt"

// MaxDests is the most destinations one submit_multi may name.
const MaxDests = 254

// Destination flags of submit_multi (section 4.5.1.1).
const (
	destFlagSME      = 1
	destFlagDistList = 2
)

// SubmitMulti is submit_multi (section 4.5.1): one short message to up to
// MaxDests addresses or distribution lists. The fields after Dests mean
// what they mean in SubmitSM.
type SubmitMulti struct {
	ServiceType          string // at most 5 octets
	Source               Address
	Dests                []Dest // 1 to MaxDests
	ESMClass             uint8
	ProtocolID           uint8
	PriorityFlag         uint8
	ScheduleDeliveryTime string
	ValidityPeriod       string
	RegisteredDelivery   uint8
	ReplaceIfPresentFlag uint8
	DataCoding           uint8
	SMDefaultMsgID       uint8
	ShortMessage         []byte
	TLVs                 TLVs
}

// Dest is one destination of submit_multi: an SME address, or when
// DistList is set, the name of a distribution list (at most 20 octets)
// held at the SMSC.
type Dest struct {
	Addr     Address
	DistList string
}

func (*SubmitMulti) CommandID() CommandID { return CmdSubmitMulti }

func (m *SubmitMulti) AppendBinary(dst []byte) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, m.ServiceType, sizeServiceType, "service_type"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Source, sizeAddr, "source_addr"); err != nil {
		return dst, err
	}
	if len(m.Dests) == 0 || len(m.Dests) > MaxDests {
		return dst, fmt.Errorf("number_of_dests: %d, want 1 to %d: %w", len(m.Dests), MaxDests, ErrFieldTooLong)
	}
	dst = append(dst, byte(len(m.Dests)))
	for _, d := range m.Dests {
		if d.DistList != "" {
			dst = append(dst, destFlagDistList)
			if dst, err = appendCString(dst, d.DistList, sizeDLName, "dl_name"); err != nil {
				return dst, err
			}
			continue
		}
		dst = append(dst, destFlagSME)
		if dst, err = appendAddress(dst, d.Addr, sizeAddr, "destination_addr"); err != nil {
			return dst, err
		}
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
	return appendTLVs(dst, m.TLVs, CmdSubmitMulti)
}

func (m *SubmitMulti) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.ServiceType = r.cstring("service_type", sizeServiceType, StatusInvalidServiceType)
	m.Source = r.address("source_addr", sizeAddr, StatusInvalidSourceAddr)
	n := int(r.byte("number_of_dests"))
	if r.err == nil && (n == 0 || n > MaxDests) {
		r.err = malformed(StatusInvalidNumDests, "number_of_dests %d", n)
	}
	m.Dests = nil
	if r.err == nil {
		// Each destination takes at least 3 octets: no more can fit.
		m.Dests = make([]Dest, 0, min(n, (len(r.b)-r.off)/3))
	}
	for i := 0; i < n && r.err == nil; i++ {
		var d Dest
		switch flag := r.byte("dest_flag"); flag {
		case destFlagSME:
			d.Addr = r.address("destination_addr", sizeAddr, StatusInvalidDestAddr)
		case destFlagDistList:
			d.DistList = r.cstring("dl_name", sizeDLName, StatusInvalidDistListName)
			if r.err == nil && d.DistList == "" {
				r.err = malformed(StatusInvalidDistListName, "empty dl_name")
			}
		default:
			if r.err == nil {
				r.err = malformed(StatusInvalidDestFlag, "dest_flag %d", flag)
			}
		}
		m.Dests = append(m.Dests, d)
	}
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
	m.TLVs = r.tlvs(CmdSubmitMulti)
	return r.end(CmdSubmitMulti)
}

// Payload returns message_payload when present, short_message otherwise.
func (m *SubmitMulti) Payload() []byte {
	if v, ok := m.TLVs.Get(TagMessagePayload); ok {
		return v
	}
	return m.ShortMessage
}

// SubmitMultiResp answers SubmitMulti: the message id, and the
// destinations the SMSC could not take with why.
type SubmitMultiResp struct {
	MessageID string
	Unsuccess []Unsuccess
	// TLVs are not defined in 3.4 and kept when present.
	TLVs TLVs
}

// Unsuccess is one destination submit_multi did not reach.
type Unsuccess struct {
	Addr   Address
	Status CommandStatus
}

func (*SubmitMultiResp) CommandID() CommandID { return CmdSubmitMultiResp }

func (m *SubmitMultiResp) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendCString(dst, m.MessageID, sizeMessageID, "message_id")
	if err != nil {
		return dst, err
	}
	if len(m.Unsuccess) > MaxDests {
		return dst, fmt.Errorf("no_unsuccess: %d, at most %d: %w", len(m.Unsuccess), MaxDests, ErrFieldTooLong)
	}
	dst = append(dst, byte(len(m.Unsuccess)))
	for _, u := range m.Unsuccess {
		if dst, err = appendAddress(dst, u.Addr, sizeAddr, "destination_addr"); err != nil {
			return dst, err
		}
		dst = append(dst, byte(u.Status>>24), byte(u.Status>>16), byte(u.Status>>8), byte(u.Status))
	}
	return appendTLVs(dst, m.TLVs, CmdSubmitMultiResp)
}

func (m *SubmitMultiResp) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.MessageID = r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	n := int(r.byte("no_unsuccess"))
	m.Unsuccess = nil
	if r.err == nil && n > 0 {
		// Each entry takes at least 7 octets.
		m.Unsuccess = make([]Unsuccess, 0, min(n, (len(r.b)-r.off)/7))
	}
	for i := 0; i < n && r.err == nil; i++ {
		var u Unsuccess
		u.Addr = r.address("destination_addr", sizeAddr, StatusInvalidDestAddr)
		if b := r.bytes(4, "error_status_code"); b != nil {
			u.Status = CommandStatus(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
		}
		m.Unsuccess = append(m.Unsuccess, u)
	}
	m.TLVs = r.tlvs(CmdSubmitMultiResp)
	return r.end(CmdSubmitMultiResp)
}
