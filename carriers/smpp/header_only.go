package smpp

// Header-only PDUs: their body is empty.

// GenericNack answers a PDU whose header could be read but whose command
// is unknown or whose body is broken.
type GenericNack struct{}

// Unbind asks the peer to end the session.
type Unbind struct{}

// UnbindResp answers Unbind.
type UnbindResp struct{}

// EnquireLink checks that the peer is alive.
type EnquireLink struct{}

// EnquireLinkResp answers EnquireLink.
type EnquireLinkResp struct{}

func (*GenericNack) CommandID() CommandID     { return CmdGenericNack }
func (*Unbind) CommandID() CommandID          { return CmdUnbind }
func (*UnbindResp) CommandID() CommandID      { return CmdUnbindResp }
func (*EnquireLink) CommandID() CommandID     { return CmdEnquireLink }
func (*EnquireLinkResp) CommandID() CommandID { return CmdEnquireLinkResp }

func (*GenericNack) AppendBinary(dst []byte) ([]byte, error)     { return dst, nil }
func (*Unbind) AppendBinary(dst []byte) ([]byte, error)          { return dst, nil }
func (*UnbindResp) AppendBinary(dst []byte) ([]byte, error)      { return dst, nil }
func (*EnquireLink) AppendBinary(dst []byte) ([]byte, error)     { return dst, nil }
func (*EnquireLinkResp) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

func (*GenericNack) UnmarshalBinary(b []byte) error     { return emptyBody(b, CmdGenericNack) }
func (*Unbind) UnmarshalBinary(b []byte) error          { return emptyBody(b, CmdUnbind) }
func (*UnbindResp) UnmarshalBinary(b []byte) error      { return emptyBody(b, CmdUnbindResp) }
func (*EnquireLink) UnmarshalBinary(b []byte) error     { return emptyBody(b, CmdEnquireLink) }
func (*EnquireLinkResp) UnmarshalBinary(b []byte) error { return emptyBody(b, CmdEnquireLinkResp) }

// emptyBody checks the body of a PDU that has none.
func emptyBody(b []byte, id CommandID) error {
	if len(b) != 0 {
		return malformed(StatusInvalidCmdLength, "%s takes no body, got %d octets", id, len(b))
	}
	return nil
}
