package smpp

// Outbind is outbind (section 4.1.7): an SMSC that opened the connection
// asks the ESME to bind as receiver. It has no response.
type Outbind struct {
	SystemID string // at most 15 octets
	Password string // at most 8 octets
}

func (*Outbind) CommandID() CommandID { return CmdOutbind }

func (m *Outbind) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendCString(dst, m.SystemID, sizeSystemID, "system_id")
	if err != nil {
		return dst, err
	}
	return appendCString(dst, m.Password, sizePassword, "password")
}

func (m *Outbind) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.SystemID = r.cstring("system_id", sizeSystemID, StatusInvalidSystemID)
	m.Password = r.cstring("password", sizePassword, StatusInvalidPassword)
	return r.end(CmdOutbind)
}
