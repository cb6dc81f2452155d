package gateway

import (
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core/gsm"
)

// Data codings the gateway reads.
const (
	dcDefault = 0x00 // GSM 03.38 unpacked, or Latin-1 for accounts that say so
	dcIA5     = 0x01 // ASCII
	dcLatin1  = 0x03
	dcUCS2    = 0x08
)

// content is a message's text as the gateway read it.
type content struct {
	// text is the decoded text: the whole message, or the customer's own
	// part.
	text string
	// raw, when set, is the customer's encoded part (it carried a user
	// data header): it goes to the carrier as it is, not re-split.
	raw *carriers.Raw
}

// readContent decodes a short message (or message_payload) in data_coding
// dc, with a user data header in front when udhi.
func readContent(dc uint8, udhi bool, sm []byte, latin1 bool) (content, smpp.CommandStatus) {
	if len(sm) == 0 {
		return content{}, smpp.StatusInvalidMsgLength
	}
	switch dc {
	case dcDefault, dcIA5, dcLatin1, dcUCS2:
	default:
		return content{}, statusInvalidDCS
	}
	body, hdr := sm, 0
	var udh gsm.UDH
	if udhi {
		h, n, err := gsm.ParseUDH(sm)
		if err != nil {
			return content{}, smpp.StatusInvalidMsgLength
		}
		udh, body, hdr = h, sm[n:], n
	}
	var text string
	switch {
	case dc == dcDefault && !latin1:
		t, err := gsm.DecodeSeptets(body, udh.Locking, udh.Single)
		if err != nil {
			return content{}, statusInvalidDCS
		}
		text = t
	case dc == dcIA5:
		for _, c := range body {
			if c > 0x7F {
				return content{}, statusInvalidDCS
			}
		}
		text = latin1Text(body)
	case dc == dcUCS2:
		if len(body)%2 != 0 {
			return content{}, smpp.StatusInvalidMsgLength
		}
		u := make([]uint16, len(body)/2)
		for i := range u {
			u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		}
		text = string(utf16.Decode(u))
	default: // Latin-1, or data_coding 0 for an account that says so
		text = latin1Text(body)
	}
	if text == "" || !utf8.ValidString(text) {
		return content{}, smpp.StatusInvalidMsgLength
	}
	if !udhi {
		return content{text: text}, smpp.StatusOK
	}
	raw := &carriers.Raw{DataCoding: dc, UDHI: true, ShortMessage: sm}
	if dc == dcIA5 || (dc == dcDefault && latin1) {
		// Carriers read data_coding 0 as GSM: send the text in the default
		// alphabet when it has it, else as Latin-1.
		raw = transcode(sm[:hdr], text)
	}
	if !fits(raw, hdr) {
		return content{}, smpp.StatusInvalidMsgLength
	}
	return content{text: text, raw: raw}, smpp.StatusOK
}

// statusInvalidDCS answers a data_coding the gateway does not take, or
// octets that are not text in it.
const statusInvalidDCS = smpp.StatusInvalidDataCoding

// transcode re-encodes a Latin-1 or ASCII part after its header hdr: in
// GSM septets (data_coding 0) when the text has them, else Latin-1.
func transcode(hdr []byte, text string) *carriers.Raw {
	if info := gsm.Analyze(text, gsm.Options{}); info.Encoding == gsm.GSM7 && info.Segments == 1 {
		enc := gsm.Encode(text, gsm.Options{})
		if len(enc.Parts) == 1 && enc.Locking == gsm.Default && enc.Single == gsm.Default {
			return &carriers.Raw{DataCoding: dcDefault, UDHI: true, ShortMessage: append(append([]byte(nil), hdr...), enc.Parts[0]...)}
		}
	}
	sm := append([]byte(nil), hdr...)
	for _, r := range text {
		sm = append(sm, byte(r))
	}
	return &carriers.Raw{DataCoding: dcLatin1, UDHI: true, ShortMessage: sm}
}

// fits reports whether a raw part fits one SMS: 140 octets, or for GSM
// septets 160 less the septets its header of hdr octets takes.
func fits(r *carriers.Raw, hdr int) bool {
	if r.DataCoding == dcDefault {
		return len(r.ShortMessage)-hdr <= 160-(hdr*8+6)/7
	}
	return len(r.ShortMessage) <= 140
}

// latin1Text decodes ISO-8859-1 octets.
func latin1Text(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
