package smpp_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
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
	payload := smpp.TLVs{}
	payload.Set(smpp.TagMessagePayload, bytes.Repeat([]byte("long "), 100))
	payload.SetUint16(smpp.TagUserMessageReference, 77)
	dataReceipt := smpp.TLVs{}
	dataReceipt.SetCString(smpp.TagReceiptedMessageID, "4d2")
	dataReceipt.SetUint8(smpp.TagMessageState, uint8(smpp.StateUndeliverable))
	dataReceipt.Set(smpp.TagNetworkErrorCode, []byte{1, 0, 34})
	dataResp := smpp.TLVs{}
	dataResp.SetUint8(smpp.TagDeliveryFailureReason, 2)
	dataResp.SetCString(smpp.TagAdditionalStatusInfoText, "queued")
	alert := smpp.TLVs{}
	alert.SetUint8(smpp.TagMSAvailabilityStatus, 0)
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
		{"submit_sm message_payload", smpp.PDU{Header: smpp.Header{Seq: 11}, Body: &smpp.SubmitSM{Dest: smpp.AddressOf("+4915112345678"), DataCoding: 0, TLVs: payload}}},
		{"submit_sm longest fields", smpp.PDU{Header: smpp.Header{Seq: 12}, Body: &smpp.SubmitSM{
			ServiceType: "12345", Source: smpp.Address{Addr: strings.Repeat("1", 20)}, Dest: smpp.Address{Addr: strings.Repeat("2", 20)},
			ScheduleDeliveryTime: "000001000000000R", ValidityPeriod: "240102150405000+",
		}}},
		{"submit_multi", smpp.PDU{Header: smpp.Header{Seq: 13}, Body: &smpp.SubmitMulti{
			ServiceType: "CMT", Source: smpp.AddressOf("Shop"),
			Dests:    []smpp.Dest{{Addr: smpp.AddressOf("+4915112345678")}, {DistList: "vip"}, {Addr: smpp.AddressOf("+4915112345679")}},
			ESMClass: smpp.ESMClassUDHI, RegisteredDelivery: 1, DataCoding: 8, ShortMessage: []byte{5, 0, 3, 1, 2, 1, 0, 'h'}, TLVs: sar[:3],
		}}},
		{"submit_multi_resp", smpp.PDU{Header: smpp.Header{Seq: 13}, Body: &smpp.SubmitMultiResp{MessageID: "m1"}}},
		{"submit_multi_resp unsuccess", smpp.PDU{Header: smpp.Header{Seq: 13}, Body: &smpp.SubmitMultiResp{MessageID: "m2", Unsuccess: []smpp.Unsuccess{
			{Addr: smpp.AddressOf("+4915112345679"), Status: smpp.StatusInvalidDestAddr},
			{Addr: smpp.AddressOf("+4915112345670"), Status: smpp.StatusMessageQueueFull},
		}}}},
		{"data_sm", smpp.PDU{Header: smpp.Header{Seq: 14}, Body: &smpp.DataSM{ServiceType: "WAP", Source: smpp.AddressOf("Shop"), Dest: smpp.AddressOf("+4915112345678"), RegisteredDelivery: 1, DataCoding: 4, TLVs: payload}}},
		{"data_sm receipt", smpp.PDU{Header: smpp.Header{Seq: 15}, Body: &smpp.DataSM{Source: smpp.AddressOf("+4915112345678"), ESMClass: smpp.ESMClassReceipt, TLVs: dataReceipt}}},
		{"data_sm long addresses", smpp.PDU{Header: smpp.Header{Seq: 16}, Body: &smpp.DataSM{Source: smpp.Address{TON: 5, Addr: strings.Repeat("s", 64)}, Dest: smpp.Address{Addr: strings.Repeat("9", 64)}}}},
		{"data_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 14}, Body: &smpp.DataSMResp{MessageID: "abc", TLVs: dataResp}}},
		{"data_sm_resp error", smpp.PDU{Header: smpp.Header{Seq: 14, Status: smpp.StatusDeliveryFailure}, Body: &smpp.DataSMResp{}}},
		{"query_sm", smpp.PDU{Header: smpp.Header{Seq: 17}, Body: &smpp.QuerySM{MessageID: "18e4f0a2b7c", Source: smpp.AddressOf("Shop")}}},
		{"query_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 17}, Body: &smpp.QuerySMResp{MessageID: "18e4f0a2b7c", FinalDate: "240102150405000+", State: smpp.StateDelivered, ErrorCode: 0}}},
		{"query_sm_resp enroute", smpp.PDU{Header: smpp.Header{Seq: 17}, Body: &smpp.QuerySMResp{MessageID: "x", State: smpp.StateEnroute}}},
		{"cancel_sm", smpp.PDU{Header: smpp.Header{Seq: 18}, Body: &smpp.CancelSM{ServiceType: "CMT", MessageID: "18e4f0a2b7c", Source: smpp.AddressOf("Shop"), Dest: smpp.AddressOf("+4915112345678")}}},
		{"cancel_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 18}, Body: &smpp.CancelSMResp{}}},
		{"cancel_sm_resp error", smpp.PDU{Header: smpp.Header{Seq: 18, Status: smpp.StatusCancelFailed}, Body: &smpp.CancelSMResp{}}},
		{"replace_sm", smpp.PDU{Header: smpp.Header{Seq: 19}, Body: &smpp.ReplaceSM{MessageID: "18e4f0a2b7c", Source: smpp.AddressOf("Shop"), ValidityPeriod: "000002000000000R", RegisteredDelivery: 1, ShortMessage: []byte("new text")}}},
		{"replace_sm_resp", smpp.PDU{Header: smpp.Header{Seq: 19}, Body: &smpp.ReplaceSMResp{}}},
		{"outbind", smpp.PDU{Header: smpp.Header{Seq: 20}, Body: &smpp.Outbind{SystemID: "smsc", Password: "pw"}}},
		{"alert_notification", smpp.PDU{Header: smpp.Header{Seq: 21}, Body: &smpp.AlertNotification{Source: smpp.AddressOf("+4915112345678"), ESME: smpp.AddressOf("12345"), TLVs: alert}}},
	}
}

// TestEveryCommandRoundTrips checks that the samples cover every command
// SMPP 3.4 defines.
func TestEveryCommandRoundTrips(t *testing.T) {
	t.Parallel()
	covered := map[smpp.CommandID]bool{}
	for _, s := range samplePDUs() {
		covered[s.pdu.Body.CommandID()] = true
	}
	for id := smpp.CommandID(0); id <= 0x200; id++ {
		for _, c := range []smpp.CommandID{id, id.Resp()} {
			if smpp.NewBody(c) != nil && !covered[c] {
				t.Errorf("no round-trip sample for %s", c)
			}
		}
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
		binary.BigEndian.PutUint32(b, uint32(len(b)))
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
		{"submit_sm sm_length 255", frame(smpp.CmdSubmitSM, 0, append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 255}, make([]byte, 255)...)...), smpp.ErrMalformed, smpp.StatusInvalidMsgLength, true},
		{"bind system_id too long", frame(smpp.CmdBindTransceiver, 0, append(append([]byte("sixteen-octets-x"), 0), 0, 0, 0x34, 0, 0, 0)...), smpp.ErrMalformed, smpp.StatusInvalidSystemID, true},
		{"bind password too long", frame(smpp.CmdBindTransmitter, 0, append([]byte{'a', 0}, append(append([]byte("ninechars"), 0), 0, 0x34, 0, 0, 0)...)...), smpp.ErrMalformed, smpp.StatusInvalidPassword, true},
		{"submit_sm destination too long", frame(smpp.CmdSubmitSM, 0, append(append([]byte{0, 1, 1, '1', 0, 1, 1}, []byte(strings.Repeat("4", 21))...), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)...), smpp.ErrMalformed, smpp.StatusInvalidDestAddr, true},
		{"submit_sm validity too long", frame(smpp.CmdSubmitSM, 0, append(append([]byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, []byte(strings.Repeat("0", 17))...), 0, 0, 0, 0, 0, 0)...), smpp.ErrMalformed, smpp.StatusInvalidExpiry, true},
		{"submit_sm message_state not allowed", frame(smpp.CmdSubmitSM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x27, 0, 1, 2), smpp.ErrMalformed, smpp.StatusOptionalParamNotAllowed, true},
		{"submit_sm sar_msg_ref_num of 3 octets", frame(smpp.CmdSubmitSM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x0C, 0, 3, 1, 2, 3), smpp.ErrMalformed, smpp.StatusInvalidParamLength, true},
		{"deliver_sm network_error_code of 2 octets", frame(smpp.CmdDeliverSM, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x04, 0x23, 0, 2, 3, 0), smpp.ErrMalformed, smpp.StatusInvalidParamLength, true},
		{"submit_multi no destinations", frame(smpp.CmdSubmitMulti, 0, 0, 0, 0, 0, 0), smpp.ErrMalformed, smpp.StatusInvalidNumDests, true},
		{"submit_multi bad dest_flag", frame(smpp.CmdSubmitMulti, 0, 0, 0, 0, 0, 1, 3, 0), smpp.ErrMalformed, smpp.StatusInvalidDestFlag, true},
		{"submit_multi lying number_of_dests", frame(smpp.CmdSubmitMulti, 0, 0, 0, 0, 0, 200, 1, 0, 0, '1', 0), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
		{"query_sm trailing octets", frame(smpp.CmdQuerySM, 0, '1', 0, 0, 0, 0, 9), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
		{"outbind with body cut", frame(smpp.CmdOutbind, 0, 's'), smpp.ErrMalformed, smpp.StatusInvalidCmdLength, true},
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
		{"data_sm source", &smpp.DataSM{Source: smpp.Address{Addr: strings.Repeat("s", 65)}}},
		{"submit_multi no destination", &smpp.SubmitMulti{}},
		{"submit_multi 255 destinations", &smpp.SubmitMulti{Dests: make([]smpp.Dest, 255)}},
		{"query_sm message_id", &smpp.QuerySM{MessageID: strings.Repeat("f", 65)}},
		{"tlv of the wrong length", &smpp.SubmitSM{TLVs: smpp.TLVs{{Tag: smpp.TagSARTotalSegments, Value: []byte{1, 2}}}}},
		{"tlv not allowed", &smpp.SubmitSM{TLVs: smpp.TLVs{{Tag: smpp.TagMessageState, Value: []byte{2}}}}},
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
