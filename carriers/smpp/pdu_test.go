package smpp_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

func samplePDUs() []struct {
	name string
	pdu  smpp.PDU
} {
	tlvs := smpp.TLVs{}
	tlvs.SetCString(smpp.TagReceiptedMessageID, "18e4f0a2b7c")
	tlvs.SetUint8(smpp.TagMessageState, uint8(smpp.StateDelivered))
	tlvs.Set(smpp.TagNetworkErrorCode, []byte{3, 0, 0})
	sar := smpp.TLVs{}
	sar.SetUint16(smpp.TagSARMsgRefNum, 0x1234)
	sar.SetUint8(smpp.TagSARTotalSegments, 2)
	sar.SetUint8(smpp.TagSARSegmentSeqnum, 1)
	sar.Set(smpp.Tag(0x1400), []byte("vendor")) // unknown tags survive
	bindResp := smpp.TLVs{}
	bindResp.SetUint8(smpp.TagSCInterfaceVersion, smpp.InterfaceVersion)
	return []struct {
		name string
		pdu  smpp.PDU
	}{
		{"bind_transceiver", smpp.PDU{Header: smpp.Header{Seq: 1}, Body: &smpp.Bind{Type: smpp.BindTransceiver, SystemID: "tern", Password: "secret", SystemType: "SMPP", InterfaceVersion: 0x34, AddrTON: 1, AddrNPI: 1, AddressRange: "^49"}}},
		{"bind_transmitter", smpp.PDU{Header: smpp.Header{Seq: 2}, Body: &smpp.Bind{Type: smpp.BindTransmitter, SystemID: "x"}}},
		{"bind_receiver", smpp.PDU{Header: smpp.Header{Seq: 3}, Body: &smpp.Bind{Type: smpp.BindReceiver}}},
		{"bind_transceiver_resp", smpp.PDU{Header: smpp.Header{Seq: 1}, Body: &smpp.BindResp{Type: smpp.BindTransceiver, SystemID: "smsc", TLVs: bindResp}}},
		{"bind_receiver_resp", smpp.PDU{Header: smpp.Header{Seq: 3}, Body: &smpp.BindResp{Type: smpp.BindReceiver, SystemID: "smsc"}}},
		{"bind_transmitter_resp error", smpp.PDU{Header: smpp.Header{Seq: 2, Status: smpp.StatusInvalidPassword}, Body: &smpp.BindResp{Type: smpp.BindTransmitter}}},
		{"submit_sm", smpp.PDU{Header: smpp.Header{Seq: 0x7FFFFFFF}, Body: &smpp.SubmitSM{
			ServiceType: "CMT", Source: smpp.Address{TON: 5, Addr: "ShopName"}, Dest: smpp.Address{TON: 1, NPI: 1, Addr: "4915112345678"},
			ESMClass: smpp.ESMClassUDHI, PriorityFlag: 1, ValidityPeriod: "000001000000000R", RegisteredDelivery: 1, DataCoding: 8,
			ShortMessage: []byte{5, 0, 3, 9, 2, 1, 0x04, 0x10}, TLVs: sar,
		}}},
		{"submit_sm minimal", smpp.PDU{Header: smpp.Header{Seq: 5}, Body: &smpp.SubmitSM{}}},
		{"submit_sm 254 octets", smpp.PDU{Header: smpp.Header{Seq: 5}, Body: &smpp.SubmitSM{ShortMessage: bytes.Repeat([]byte{'a'}, 254)}}},
		{"submit_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 6}, Body: &smpp.SubmitSMResp{MessageID: "18e4f0a2b7c"}}},
		{"submit_sm_resp error", smpp.PDU{Header: smpp.Header{Seq: 6, Status: smpp.StatusThrottled}, Body: &smpp.SubmitSMResp{}}},
		{"deliver_sm receipt", smpp.PDU{Header: smpp.Header{Seq: 7}, Body: &smpp.DeliverSM{
			Source: smpp.Address{TON: 1, NPI: 1, Addr: "4915112345678"}, ESMClass: smpp.ESMClassReceipt,
			ShortMessage: []byte("id:18e4f0a2b7c sub:001 dlvrd:001 submit date:2401021504 done date:2401021505 stat:DELIVRD err:000 text:hi"), TLVs: tlvs,
		}}},
		{"deliver_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 7}, Body: &smpp.DeliverSMResp{}}},
		{"deliver_sm_resp error", smpp.PDU{Header: smpp.Header{Seq: 7, Status: smpp.StatusTempAppError}, Body: &smpp.DeliverSMResp{}}},
		{"unbind", smpp.PDU{Header: smpp.Header{Seq: 8}, Body: &smpp.Unbind{}}},
		{"unbind_resp", smpp.PDU{Header: smpp.Header{Seq: 8}, Body: &smpp.UnbindResp{}}},
		{"enquire_link", smpp.PDU{Header: smpp.Header{Seq: 9}, Body: &smpp.EnquireLink{}}},
		{"enquire_link_resp", smpp.PDU{Header: smpp.Header{Seq: 9}, Body: &smpp.EnquireLinkResp{}}},
		{"generic_nack", smpp.PDU{Header: smpp.Header{Seq: 10, Status: smpp.StatusInvalidCmdID}, Body: &smpp.GenericNack{}}},
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range samplePDUs() {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.pdu.AppendTo(nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := smpp.Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			want := tt.pdu
			want.ID = want.Body.CommandID()
			want.Length = uint32(len(b))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("decoded\n%#v\nwant\n%#v", got, want)
			}
			again, err := got.AppendTo(nil)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("re-encoded %x, %v; want %x", again, err, b)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pdu  smpp.PDU
		hex  string
	}{
		{"enquire_link", smpp.PDU{Header: smpp.Header{Seq: 1}, Body: &smpp.EnquireLink{}}, "00000010" + "00000015" + "00000000" + "00000001"},
		{"generic_nack", smpp.PDU{Header: smpp.Header{ID: smpp.CmdGenericNack, Status: smpp.StatusInvalidCmdID, Seq: 7}}, "00000010" + "80000000" + "00000003" + "00000007"},
		{"bind_transceiver", smpp.PDU{Header: smpp.Header{Seq: 2}, Body: &smpp.Bind{Type: smpp.BindTransceiver, SystemID: "ab", Password: "c", InterfaceVersion: 0x34}},
			"0000001a" + "00000009" + "00000000" + "00000002" + "616200" + "6300" + "00" + "34" + "00" + "00" + "00"},
		{"submit_sm", smpp.PDU{Header: smpp.Header{Seq: 3}, Body: &smpp.SubmitSM{Source: smpp.Address{TON: 5, Addr: "A"}, Dest: smpp.Address{TON: 1, NPI: 1, Addr: "49"}, RegisteredDelivery: 1, ShortMessage: []byte("hi")}},
			"00000026" + "00000004" + "00000000" + "00000003" + "00" + "0500" + "4100" + "0101" + "343900" + "000000" + "00" + "00" + "01000000" + "02" + "6869"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.pdu.AppendTo(nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != tt.hex {
				t.Errorf("got  %s\nwant %s", got, tt.hex)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	frame := func(id smpp.CommandID, status smpp.CommandStatus, body ...byte) []byte {
		p := smpp.PDU{Header: smpp.Header{ID: id, Status: status, Seq: 42}}
		b, _ := p.AppendTo(nil)
		b = append(b, body...)
		b[3] = byte(len(b)) // every test frame is shorter than 256 octets
		return b
	}
	tests := []struct {
		name       string
		in         []byte
		want       error
		status     smpp.CommandStatus // the answer a malformed request gets
		headerRead bool
	}{
		{"short", []byte{0, 0, 0, 16, 0, 0}, smpp.ErrCommandLength, 0, false},
		{"length mismatch", append(frame(smpp.CmdEnquireLink, 0)[:3:3], 20, 0, 0, 0, 0x15, 0, 0, 0, 0, 0, 0, 0, 42), smpp.ErrCommandLength, 0, false},
		{"unknown command", frame(0x00000099, 0), smpp.ErrUnknownCommand, smpp.StatusInvalidCmdID, true},
		{"enquire_link with body", frame(smpp.CmdEnquireLink, 0, 1), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
		{"submit_sm empty", frame(smpp.CmdSubmitSM, 0), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
		{"submit_sm no NUL", frame(smpp.CmdSubmitSM, 0, 'C', 'M', 'T'), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
		{"submit_sm sm_length past end", frame(smpp.CmdSubmitSM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 200, 'x'), smpp.ErrMalformed, smpp.StatusInvalidMsgLength, true},
		{"submit_sm broken tlv", frame(smpp.CmdSubmitSM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x24, 0, 9, 1), smpp.ErrMalformed, smpp.StatusInvalidOptionalParamStream, true},
		{"submit_sm_resp ok without body", frame(smpp.CmdSubmitSMResp, 0), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := smpp.Decode(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if tt.status != 0 {
				var st smpp.CommandStatus
				if tt.want == smpp.ErrMalformed && (!errors.As(err, &st) || st != tt.status) {
					t.Errorf("status %v, want %v", st, tt.status)
				}
			}
			if tt.headerRead && p.Seq != 42 {
				t.Errorf("header not returned with the error: %+v", p.Header)
			}
		})
	}
}

func TestEncodeRejectsLongFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		body smpp.Body
	}{
		{"system_id", &smpp.Bind{Type: smpp.BindTransceiver, SystemID: "sixteen-chars-xx"}},
		{"password", &smpp.Bind{Type: smpp.BindTransceiver, Password: "ninechars"}},
		{"destination_addr", &smpp.SubmitSM{Dest: smpp.Address{Addr: "123456789012345678901"}}},
		{"short_message", &smpp.SubmitSM{ShortMessage: make([]byte, 255)}},
		{"tlv", &smpp.SubmitSM{TLVs: smpp.TLVs{{Tag: smpp.TagMessagePayload, Value: make([]byte, 70000)}}}},
		{"embedded NUL", &smpp.SubmitSMResp{MessageID: "a\x00b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := smpp.PDU{Body: tt.body}
			b, err := p.AppendTo([]byte("keep"))
			if !errors.Is(err, smpp.ErrFieldTooLong) {
				t.Fatalf("got %v, want ErrFieldTooLong", err)
			}
			if string(b) != "keep" {
				t.Errorf("dst changed to %q on error", b)
			}
		})
	}
}

func TestTLVs(t *testing.T) {
	t.Parallel()
	var ts smpp.TLVs
	ts.SetCString(smpp.TagReceiptedMessageID, "abc")
	ts.SetUint8(smpp.TagMessageState, 2)
	ts.SetUint16(smpp.TagSARMsgRefNum, 513)
	ts.SetCString(smpp.TagReceiptedMessageID, "def") // replaces
	if len(ts) != 3 {
		t.Fatalf("%d tlvs, want 3", len(ts))
	}
	if v, ok := ts.CString(smpp.TagReceiptedMessageID); !ok || v != "def" {
		t.Errorf("CString = %q, %v", v, ok)
	}
	if v, ok := ts.Uint8(smpp.TagMessageState); !ok || v != 2 {
		t.Errorf("Uint8 = %d, %v", v, ok)
	}
	if v, ok := ts.Uint16(smpp.TagSARMsgRefNum); !ok || v != 513 {
		t.Errorf("Uint16 = %d, %v", v, ok)
	}
	if _, ok := ts.Uint16(smpp.TagMessageState); ok {
		t.Error("Uint16 read a one-octet value")
	}
	if _, ok := ts.Get(smpp.TagMessagePayload); ok {
		t.Error("Get found a missing tag")
	}
	if got := smpp.TagMessageState.String(); got != "message_state" {
		t.Errorf("tag name %q", got)
	}
}

func TestCommandIDString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   smpp.CommandID
		want string
	}{
		{smpp.CmdSubmitSM, "submit_sm"},
		{smpp.CmdSubmitSM.Resp(), "submit_sm_resp"},
		{smpp.CmdGenericNack, "generic_nack"},
		{0x00000099, "command_id(0x00000099)"},
	}
	for _, tt := range tests {
		if got := tt.id.String(); got != tt.want {
			t.Errorf("%#x: %q, want %q", uint32(tt.id), got, tt.want)
		}
	}
}
