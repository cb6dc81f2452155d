package gateway

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/ternsms/tern/carriers/smpp"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/gsm"
)

// deliverPDU builds the deliver_sm that carries r to its customer.
func deliverPDU(r outboxRow, latin1 bool) *smpp.DeliverSM {
	if r.kind == kindMO {
		return moPDU(r, latin1)
	}
	return receiptPDU(r)
}

// stateOf maps a final status onto the receipt state that tells it.
func stateOf(s core.Status) smpp.MessageState {
	switch s {
	case core.StatusDelivered:
		return smpp.StateDelivered
	case core.StatusUndelivered:
		return smpp.StateUndeliverable
	case core.StatusExpired:
		return smpp.StateExpired
	case core.StatusRejected, core.StatusFailed:
		return smpp.StateRejected
	case core.StatusCanceled:
		return smpp.StateDeleted // withdrawn with cancel_sm or Cancel
	}
	return smpp.StateUnknown
}

// receiptPDU is a delivery receipt in the appendix B text, from the
// recipient to the customer's source address, with tern's id as the
// receipt id (the message_id the customer got) and the
// receipted_message_id, message_state and network_error_code parameters.
func receiptPDU(r outboxRow) *smpp.DeliverSM {
	state := stateOf(r.status)
	dlvrd := "000"
	if state == smpp.StateDelivered {
		dlvrd = "001"
	}
	code := errorNumber(r.errorCode)
	text := smpp.FormatReceiptText(smpp.ReceiptText{
		ID:         r.receiptID,
		Sub:        "001",
		Dlvrd:      dlvrd,
		SubmitDate: r.submitted,
		DoneDate:   r.done,
		Stat:       state.Stat(),
		Err:        fmt.Sprintf("%03d", code),
		Text:       plainText(r.text, 20),
	})
	d := &smpp.DeliverSM{
		Source:       r.source,
		Dest:         r.dest,
		ESMClass:     smpp.ESMClassReceipt,
		ShortMessage: []byte(text),
	}
	d.TLVs.SetCString(smpp.TagReceiptedMessageID, r.receiptID)
	d.TLVs.SetUint8(smpp.TagMessageState, uint8(state))
	if code != 0 {
		d.TLVs.Set(smpp.TagNetworkErrorCode, []byte{3, byte(code >> 8), byte(code)}) // 3: GSM
	}
	return d
}

// errorNumber reads an event's error code (a receipt's err digits, or an
// SMPP command_status as 0x0000000B) as a number for a receipt's three
// err digits; 0 when there is none.
func errorNumber(code string) int {
	return int(errorValue(code) % 1000)
}

// errorValue reads an event's error code as a number, 0 when there is
// none.
func errorValue(code string) uint64 {
	code = strings.TrimSpace(code)
	var v uint64
	var err error
	if h, ok := strings.CutPrefix(strings.ToLower(code), "0x"); ok {
		v, err = strconv.ParseUint(h, 16, 32)
	} else {
		v, err = strconv.ParseUint(code, 10, 32)
	}
	if err != nil {
		return 0
	}
	return v
}

// plainText returns up to n characters of s, keeping the characters that
// read the same in ASCII and in the GSM default alphabet and writing '?'
// for the others, so that a receipt reads alike in either.
func plainText(s string, n int) string {
	b := make([]byte, 0, n)
	for _, r := range s {
		if len(b) == n {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune(" !\"#%&'()*+,-./:;<=>?", r):
		default:
			r = '?'
		}
		b = append(b, byte(r))
	}
	return string(b)
}

// moPDU is a customer's reply: the default alphabet (or Latin-1 for an
// account that reads data_coding 0 so) when the text has it, else UCS-2;
// in short_message when it fits one message, else in message_payload.
func moPDU(r outboxRow, latin1 bool) *smpp.DeliverSM {
	d := &smpp.DeliverSM{Source: r.source, Dest: r.dest}
	dc, data, limit := encodeText(r.text, latin1)
	d.DataCoding = dc
	if len(data) <= limit {
		d.ShortMessage = data
	} else {
		d.TLVs.Set(smpp.TagMessagePayload, data)
	}
	return d
}

// encodeText encodes a reply for the customer and says how many octets
// one short_message holds in that coding.
func encodeText(text string, latin1 bool) (dc byte, data []byte, limit int) {
	if latin1 {
		if b, ok := latin1Bytes(text); ok {
			return dcDefault, b, 140
		}
	} else if info := gsm.Analyze(text, gsm.Options{}); info.Encoding == gsm.GSM7 && info.Locking == gsm.Default && info.Single == gsm.Default {
		enc := gsm.Encode(text, gsm.Options{})
		for _, p := range enc.Parts {
			data = append(data, p...)
		}
		return dcDefault, data, 160
	}
	for _, u := range utf16.Encode([]rune(text)) {
		data = append(data, byte(u>>8), byte(u))
	}
	return dcUCS2, data, 140
}

func latin1Bytes(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		if r > 0xFF {
			return nil, false
		}
		b = append(b, byte(r))
	}
	return b, true
}
