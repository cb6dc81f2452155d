package smpp

// QuerySM is query_sm (section 4.8.1): the state of a message submitted
// earlier.
type QuerySM struct {
	MessageID string  // at most 64 octets
	Source    Address // as in the original submit_sm
}

func (*QuerySM) CommandID() CommandID { return CmdQuerySM }

func (m *QuerySM) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendCString(dst, m.MessageID, sizeMessageID, "message_id")
	if err != nil {
		return dst, err
	}
	return appendAddress(dst, m.Source, sizeAddr, "source_addr")
}

func (m *QuerySM) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.MessageID = r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	m.Source = r.address("source_addr", sizeAddr, StatusInvalidSourceAddr)
	return r.end(CmdQuerySM)
}

// QuerySMResp answers QuerySM.
type QuerySMResp struct {
	MessageID string
	// FinalDate is when the message reached a final state, "" while it
	// has not (absolute time format, section 7.1.1).
	FinalDate string
	State     MessageState
	// ErrorCode is the network error code of a failed delivery.
	ErrorCode uint8
}

func (*QuerySMResp) CommandID() CommandID { return CmdQuerySMResp }

func (m *QuerySMResp) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendCString(dst, m.MessageID, sizeMessageID, "message_id")
	if err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, m.FinalDate, sizeTime, "final_date"); err != nil {
		return dst, err
	}
	return append(dst, byte(m.State), m.ErrorCode), nil
}

func (m *QuerySMResp) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	m.MessageID = r.cstring("message_id", sizeMessageID, StatusInvalidMessageID)
	m.FinalDate = r.cstring("final_date", sizeTime, StatusInvalidCmdLength)
	m.State = MessageState(r.byte("message_state"))
	m.ErrorCode = r.byte("error_code")
	return r.end(CmdQuerySMResp)
}
