package gsm

// fillBits returns the padding bits between a UDH of udh octets and the
// first septet, which starts on a septet boundary (TS 23.040 §9.2.3.24).
func fillBits(udh int) int {
	if udh == 0 {
		return 0
	}
	return (7 - udh*8%7) % 7
}

// appendPacked appends septets packed least significant bit first
// (TS 23.038 §6.1.2.1.1) after fill zero bits, in at most room octets.
// Padding follows §6.1.2.3.1: when the last octet would end with 7 spare
// bits a CR septet fills them, so that a receiver does not read an '@';
// when the text itself ends with CR on an octet boundary another CR
// follows it (if room allows), so that the receiver does not take the
// wanted CR for padding. Receivers show a doubled CR as one.
func appendPacked(dst []byte, septets []byte, fill, room int) []byte {
	bits := fill + 7*len(septets)
	n := (bits + 7) / 8
	extraCR := len(septets) > 0 && bits%8 == 0 && septets[len(septets)-1] == '\r' && n < room
	if extraCR {
		n++
	}
	start := len(dst)
	for range n {
		dst = append(dst, 0)
	}
	out := dst[start:]
	pos := fill
	put := func(s byte) {
		i, sh := pos/8, pos%8
		out[i] |= s << sh
		if sh > 1 && i+1 < len(out) {
			out[i+1] |= s >> (8 - sh)
		}
		pos += 7
	}
	for _, s := range septets {
		put(s & 0x7F)
	}
	if extraCR || 8*n-bits == 7 {
		put('\r') // CR is septet 0x0D in every locking table
	}
	return dst
}

// unpack reads the septets packed in b after fill bits. A CR that exactly
// fills the last octet's spare bits is the padding of appendPacked and is
// dropped.
func unpack(b []byte, fill int) []byte {
	bits := 8*len(b) - fill
	if bits < 7 {
		return nil
	}
	n := bits / 7
	out := make([]byte, n)
	pos := fill
	for k := range out {
		i, sh := pos/8, pos%8
		v := uint16(b[i]) >> sh
		if sh > 1 && i+1 < len(b) {
			v |= uint16(b[i+1]) << (8 - sh)
		}
		out[k] = byte(v) & 0x7F
		pos += 7
	}
	if bits%7 == 0 && out[n-1] == '\r' {
		out = out[:n-1]
	}
	return out
}

// AppendPacked appends unpacked septets packed 8 into 7 octets (TS 23.038
// §6.1.2.1.1) as they follow a user data header of udh octets (0 for
// none): after the fill bits that put the first septet on a septet
// boundary, in at most room octets, padded as §6.1.2.3.1 says. It is for
// senders that build their own parts, such as SMPP's SAR and
// message_payload forms.
func AppendPacked(dst, septets []byte, udh, room int) []byte {
	return appendPacked(dst, septets, fillBits(udh), room)
}
