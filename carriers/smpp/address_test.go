package smpp_test

import (
	"testing"

	"github.com/ternsms/tern/carriers/smpp"
)

func TestAddressOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want smpp.Address
		back string
	}{
		{"+4915112345678", smpp.Address{TON: smpp.TONInternational, NPI: smpp.NPIISDN, Addr: "4915112345678"}, "+4915112345678"},
		{"ShopName", smpp.Address{TON: smpp.TONAlphanumeric, NPI: smpp.NPIUnknown, Addr: "ShopName"}, "ShopName"},
		{"Shop 24", smpp.Address{TON: smpp.TONAlphanumeric, NPI: smpp.NPIUnknown, Addr: "Shop 24"}, "Shop 24"},
		{"+49abc", smpp.Address{TON: smpp.TONAlphanumeric, NPI: smpp.NPIUnknown, Addr: "+49abc"}, "+49abc"},
		{"12345", smpp.Address{TON: smpp.TONUnknown, NPI: smpp.NPIISDN, Addr: "12345"}, "12345"},
		{"", smpp.Address{}, ""},
	}
	for _, tt := range tests {
		got := smpp.AddressOf(tt.in)
		if got != tt.want {
			t.Errorf("AddressOf(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if s := got.String(); s != tt.back {
			t.Errorf("AddressOf(%q).String() = %q, want %q", tt.in, s, tt.back)
		}
	}
}
