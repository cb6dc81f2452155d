package smpp

import "fmt"

// InterfaceVersion is the interface_version tern speaks: SMPP 3.4.
const InterfaceVersion = 0x34

// BindType is the kind of session a bind asks for.
type BindType uint8

const (
	BindTransmitter BindType = iota + 1
	BindReceiver
	BindTransceiver
)

// CanSubmit reports whether a session of this type may send submit_sm.
func (t BindType) CanSubmit() bool { return t == BindTransmitter || t == BindTransceiver }

// CanReceive reports whether a session of this type receives deliver_sm.
func (t BindType) CanReceive() bool { return t == BindReceiver || t == BindTransceiver }

func (t BindType) String() string {
	switch t {
	case BindTransmitter:
		return "transmitter"
	case BindReceiver:
		return "receiver"
	case BindTransceiver:
		return "transceiver"
	}
	return fmt.Sprintf("bind_type(%d)", uint8(t))
}

func (t BindType) command() CommandID {
	switch t {
	case BindReceiver:
		return CmdBindReceiver
	case BindTransceiver:
		return CmdBindTransceiver
	}
	return CmdBindTransmitter
}

// Bind is bind_transmitter, bind_receiver or bind_transceiver
// (section 4.1), chosen by Type.
type Bind struct {
	Type             BindType
	SystemID         string // at most 15 octets
	Password         string // at most 8 octets
	SystemType       string // at most 12 octets
	InterfaceVersion uint8
	AddrTON, AddrNPI uint8
	AddressRange     string // at most 40 octets
}

func (b *Bind) CommandID() CommandID { return b.Type.command() }

func (b *Bind) AppendBinary(dst []byte) ([]byte, error) {
	var err error
	if dst, err = appendCString(dst, b.SystemID, sizeSystemID, "system_id"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, b.Password, sizePassword, "password"); err != nil {
		return dst, err
	}
	if dst, err = appendCString(dst, b.SystemType, sizeSystemType, "system_type"); err != nil {
		return dst, err
	}
	dst = append(dst, b.InterfaceVersion, b.AddrTON, b.AddrNPI)
	return appendCString(dst, b.AddressRange, sizeAddressRange, "address_range")
}

func (b *Bind) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	b.SystemID = r.cstring("system_id", sizeSystemID, StatusInvalidSystemID)
	b.Password = r.cstring("password", sizePassword, StatusInvalidPassword)
	b.SystemType = r.cstring("system_type", sizeSystemType, StatusInvalidSystemType)
	b.InterfaceVersion = r.byte("interface_version")
	b.AddrTON = r.byte("addr_ton")
	b.AddrNPI = r.byte("addr_npi")
	b.AddressRange = r.cstring("address_range", sizeAddressRange, StatusInvalidCmdLength)
	return r.end(b.CommandID())
}

// BindResp answers a Bind of the same Type.
type BindResp struct {
	Type     BindType
	SystemID string // the SMSC's id, at most 15 octets
	// TLVs may carry sc_interface_version.
	TLVs TLVs
}

func (b *BindResp) CommandID() CommandID { return b.Type.command().Resp() }

func (b *BindResp) AppendBinary(dst []byte) ([]byte, error) {
	dst, err := appendCString(dst, b.SystemID, sizeSystemID, "system_id")
	if err != nil {
		return dst, err
	}
	return appendTLVs(dst, b.TLVs, b.CommandID())
}

func (b *BindResp) UnmarshalBinary(data []byte) error {
	r := bodyReader{b: data}
	b.SystemID = r.cstring("system_id", sizeSystemID, StatusInvalidSystemID)
	b.TLVs = r.tlvs(b.CommandID())
	return r.end(b.CommandID())
}
