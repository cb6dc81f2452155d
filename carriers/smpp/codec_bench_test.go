package smpp_test

import (
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

func benchSubmitSM() smpp.PDU {
	return smpp.PDU{Header: smpp.Header{Seq: 42}, Body: &smpp.SubmitSM{
		Source: smpp.AddressOf("Shop"), Dest: smpp.AddressOf("+4915112345678"),
		RegisteredDelivery: smpp.RegisteredDeliveryFinal, ShortMessage: []byte("Your code is 493021"),
	}}
}

func BenchmarkEncodeSubmitSM(b *testing.B) {
	p := benchSubmitSM()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = p.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeSubmitSM(b *testing.B) {
	p := benchSubmitSM()
	frame, err := p.AppendTo(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := smpp.Decode(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReceipt(b *testing.B) {
	d := &smpp.DeliverSM{ESMClass: smpp.ESMClassReceipt,
		ShortMessage: []byte("id:18e4f0a2b7c sub:001 dlvrd:001 submit date:2401021504 done date:2401021506 stat:DELIVRD err:000 text:Your code is 4930")}
	d.TLVs.SetCString(smpp.TagReceiptedMessageID, "18e4f0a2b7c")
	d.TLVs.SetUint8(smpp.TagMessageState, uint8(smpp.StateDelivered))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := smpp.ParseReceipt(d, smpp.IDAuto, smpp.IDAuto); err != nil {
			b.Fatal(err)
		}
	}
}
