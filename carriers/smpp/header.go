package smpp

import "encoding/binary"

// HeaderLen is the size of a PDU header: command_length, command_id,
// command_status and sequence_number, four octets each.
const HeaderLen = 16

// MaxSeq is the highest sequence number; numbering wraps from it to 1.
const MaxSeq = 0x7FFFFFFF

// Header is the fixed part of every PDU.
type Header struct {
	// Length is command_length: header plus body. Encoding sets it.
	Length uint32
	ID     CommandID
	Status CommandStatus
	Seq    uint32
}

func (h Header) append(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, h.Length)
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.ID))
	dst = binary.BigEndian.AppendUint32(dst, uint32(h.Status))
	return binary.BigEndian.AppendUint32(dst, h.Seq)
}

// parseHeader reads a header from b, which holds at least HeaderLen bytes.
func parseHeader(b []byte) Header {
	return Header{
		Length: binary.BigEndian.Uint32(b),
		ID:     CommandID(binary.BigEndian.Uint32(b[4:])),
		Status: CommandStatus(binary.BigEndian.Uint32(b[8:])),
		Seq:    binary.BigEndian.Uint32(b[12:]),
	}
}
