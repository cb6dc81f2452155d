package smpp

// AlertNotification is alert_notification (section 4.12.1): the SMSC
// tells an ESME that a handset it asked about (set_dpf) is reachable
// again. It has no response.
type AlertNotification struct {
	Source Address // the handset, at most 64 octets
	ESME   Address // the ESME's address, at most 64 octets
	// TLVs may carry ms_availability_status.
	TLVs TLVs
}

func (*AlertNotification) CommandID() CommandID { return CmdAlertNotification }

func (m *AlertNotification) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendAddress(dst, m.Source, sizeAddr65, "source_addr")
	if err != nil {
		return dst, err
	}
	if dst, err = appendAddress(dst, m.ESME, sizeAddr65, "esme_addr"); err != nil {
		return dst, err
	}
	return appendTLVs(dst, m.TLVs, CmdAlertNotification)
}

func (m *AlertNotification) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.Source = r.address("source_addr", sizeAddr65, StatusInvalidSourceAddr)
	m.ESME = r.address("esme_addr", sizeAddr65, StatusInvalidDestAddr)
	m.TLVs = r.tlvs(CmdAlertNotification)
	return r.end(CmdAlertNotification)
}
