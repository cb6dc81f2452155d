package pipeline

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ternsms/tern/carriers"
	"github.com/ternsms/tern/core"
	"github.com/ternsms/tern/core/phone"
)

func TestCheck(t *testing.T) {
	t.Parallel()
	ok := Request{TenantID: "t", To: "+14155552671", Body: "Your order #4582 has shipped"}
	with := func(f func(*Request)) Request { r := ok; f(&r); return r }
	tests := []struct {
		name  string
		in    Request
		field string // "" means valid
	}{
		{"valid", ok, ""},
		{"missing to", with(func(r *Request) { r.To = "" }), "to"},
		{"to not a number", with(func(r *Request) { r.To = "hello" }), "to"},
		{"to without plus", with(func(r *Request) { r.To = "4155552671" }), "to"},
		{"to invalid for region", with(func(r *Request) { r.To = "+1415555" }), "to"},
		{"empty body", with(func(r *Request) { r.Body = "" }), "body"},
		{"body not utf8", with(func(r *Request) { r.Body = "\xff\xfe" }), "body"},
		{"body too long", with(func(r *Request) { r.Body = strings.Repeat("a", MaxBodyRunes+1) }), "body"},
		{"body at limit", with(func(r *Request) { r.Body = strings.Repeat("a", MaxBodyRunes) }), ""},
		{"alphanumeric sender", with(func(r *Request) { r.From = "MyShop" }), ""},
		{"numeric sender", with(func(r *Request) { r.From = "+14155550100" }), ""},
		{"short code sender", with(func(r *Request) { r.From = "12345" }), ""},
		{"sender too long", with(func(r *Request) { r.From = "MyVeryLongShop" }), "from"},
		{"sender with symbols", with(func(r *Request) { r.From = "shop!" }), "from"},
		{"plus then letters", with(func(r *Request) { r.From = "+shop" }), "from"},
		{"campaign too long", with(func(r *Request) { r.CampaignID = strings.Repeat("c", 129) }), "campaign_id"},
		{"idempotency key too long", with(func(r *Request) { r.IdempotencyKey = strings.Repeat("k", 256) }), "idempotency_key"},
		{"campaign with NUL", with(func(r *Request) { r.CampaignID = "\x00" }), "campaign_id"},
		{"campaign with a newline", with(func(r *Request) { r.CampaignID = "spring\nsale" }), "campaign_id"},
		{"campaign with a C1 control", with(func(r *Request) { r.CampaignID = "sale\u0085" }), "campaign_id"},
		{"campaign not utf8", with(func(r *Request) { r.CampaignID = "\xff" }), "campaign_id"},
		{"campaign in any script", with(func(r *Request) { r.CampaignID = "Весна 2025 🌷" }), ""},
		{"idempotency key with NUL", with(func(r *Request) { r.IdempotencyKey = "order-1\x00" }), "idempotency_key"},
		{"idempotency key with DEL", with(func(r *Request) { r.IdempotencyKey = "order-1\x7f" }), "idempotency_key"},
		{"sender with NUL", with(func(r *Request) { r.From = "Shop\x00" }), "from"},
		{"body with NUL is text like any", with(func(r *Request) { r.Body = "a\x00b" }), ""},
		{"unknown category", with(func(r *Request) { r.Category = core.Category(9) }), "category"},
		{"validity of a login code", with(func(r *Request) { r.Validity = 10 * time.Minute }), ""},
		{"negative validity", with(func(r *Request) { r.Validity = -time.Minute }), "validity"},
		{"raw unpacked septets", with(func(r *Request) { r.Raw = &carriers.Raw{ShortMessage: make([]byte, 159), UDHI: true} }), ""},
		{"raw septets too long", with(func(r *Request) { r.Raw = &carriers.Raw{ShortMessage: make([]byte, 161)} }), "short_message"},
		{"raw ucs2 too long", with(func(r *Request) { r.Raw = &carriers.Raw{DataCoding: 8, ShortMessage: make([]byte, 142)} }), "short_message"},
		{"raw empty", with(func(r *Request) { r.Raw = &carriers.Raw{} }), "short_message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := check(tt.in, phone.NewCache(10))
			if tt.field == "" {
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				return
			}
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !errors.Is(err, ErrInvalid) {
				t.Fatalf("check = %v, want a field error on %q", err, tt.field)
			}
			if !strings.HasPrefix(err.Error(), tt.field+": ") {
				t.Fatalf("error %q does not name the field first", err)
			}
		})
	}
}

func TestCheckNormalizes(t *testing.T) {
	t.Parallel()
	c, err := check(Request{To: "+44 20 7946 0958", Body: "hi €"}, phone.NewCache(10))
	if err != nil {
		t.Fatal(err)
	}
	if c.to.E164 != "+442079460958" || c.to.Region != "GB" {
		t.Fatalf("to = %+v", c.to)
	}
	if c.Category != core.CategoryTransactional {
		t.Fatalf("category = %v, want transactional by default", c.Category)
	}
	if c.info.Segments != 1 || c.info.Units != 5 {
		t.Fatalf("info = %+v, want 1 segment of 5 septets", c.info)
	}
}
