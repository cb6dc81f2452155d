package smpp

// DataSM is data_sm (section 4.7.1): a message in either direction whose
// content is in message_payload; SMSCs also send receipts with it.
type DataSM struct {
	ServiceType        string  // at most 5 octets
	Source             Address // at most 64 octets
	Dest               Address // at most 64 octets
	ESMClass           uint8
	RegisteredDelivery uint8
	DataCoding         uint8
	TLVs               TLVs
}

func (*DataSM) CommandID() CommandID { return CmdDataSM }

func (m *DataSM) AppendBinary(dst []byte) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, m.ServiceType, sizeServiceType, "service_type"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Source, sizeAddr65, "source_addr"); err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.Dest, sizeAddr65, "destination_addr"); err != nil {
		return dst, err
	}
	dst = append(dst, m.ESMClass, m.RegisteredDelivery, m.DataCoding)
	return appendTLVs(dst, m.TLVs, CmdDataSM)
}

func (m *DataSM) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.ServiceType = r.cstring("service_type", sizeServiceType, StatusInvalidServiceType)
	m.Source = r.address("source_addr", sizeAddr65, StatusInvalidSourceAddr)
	m.Dest = r.address("destination_addr", sizeAddr65, StatusInvalidDestAddr)
	m.ESMClass = r.byte("esm_class")
	m.RegisteredDelivery = r.byte("registered_delivery")
	m.DataCoding = r.byte("data_coding")
	m.TLVs = r.tlvs(CmdDataSM)
	return r.end(CmdDataSM)
}

// Payload returns message_payload (data_sm has no short_message).
func (m *DataSM) Payload() []byte {
	v, _ := m.TLVs.Get(TagMessagePayload)
	return v
}

// DeliverSM returns the data_sm as the deliver_sm that would carry the
// same content, so receipts and inbound messages are read one way.
func (m *DataSM) DeliverSM() *DeliverSM {
	return &DeliverSM{
		ServiceType:        m.ServiceType,
		Source:             m.Source,
		Dest:               m.Dest,
		ESMClass:           m.ESMClass,
		RegisteredDelivery: m.RegisteredDelivery,
		DataCoding:         m.DataCoding,
		TLVs:               m.TLVs,
	}
}

// DataSMResp answers DataSM.
type DataSMResp struct {
	MessageID string
	// TLVs may carry delivery_failure_reason, network_error_code,
	// additional_status_info_text and dpf_result.
	TLVs TLVs
}

func (*DataSMResp) CommandID() CommandID { return CmdDataSMResp }

func (m *DataSMResp) AppendBinary(dst []byte) ([]byte, error) {
	return appendMessageIDResp(dst, m.MessageID, m.TLVs, CmdDataSMResp)
}

func (m *DataSMResp) UnmarshalBinary(data []byte) error {
	var err error
	m.MessageID, m.TLVs, err = unmarshalMessageIDResp(data, CmdDataSMResp)
	return err
}
