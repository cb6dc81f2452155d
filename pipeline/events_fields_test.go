package pipeline

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/ternsms/tern/core"
	recordv1 "github.com/ternsms/tern/proto/tern/record/v1"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// benchSubmit is a typical marketing message's submit record.
var benchSubmit = &recordv1.Submit{Id: "01JBENCHEVENT00000000000000", TenantId: "shop-1", To: "+4915112345678", From: "SHOP",
	Body: "Spring sale: 20% off today", CampaignId: "spring", Category: ternv1.Category_CATEGORY_MARKETING, Segments: 1,
	AcceptedAt: timestamppb.Now(), Region: "DE", PriceMicros: 79_000, Currency: "EUR", Origin: "campaign/spring"}

// BenchmarkSubmitEvent builds a message's SUBMITTED event from its
// submit record and encodes it, as the delivery does once a carrier
// accepts. One op is one event.
func BenchmarkSubmitEvent(b *testing.B) {
	at := time.Now()
	for b.Loop() {
		ev := submitEvent(benchSubmit, core.StatusSubmitted, at)
		ev.Carrier, ev.CarrierMessageId = "carrier-a", "4f1c2a9e"
		if _, err := proto.Marshal(ev); err != nil {
			b.Fatal(err)
		}
	}
}

// TestSubmitEventCarriesAcceptance: every event made from a submit
// record names the message's sender, price and acceptance, for the
// analytics writer's enrichment.
func TestSubmitEventCarriesAcceptance(t *testing.T) {
	t.Parallel()
	for _, st := range []core.Status{core.StatusQueued, core.StatusSubmitted, core.StatusFailed, core.StatusExpired, core.StatusCanceled} {
		ev := submitEvent(benchSubmit, st, time.Now())
		if ev.GetFrom() != "SHOP" || ev.GetPriceMicros() != 79_000 || ev.GetCurrency() != "EUR" ||
			!ev.GetAcceptedAt().AsTime().Equal(benchSubmit.GetAcceptedAt().AsTime()) {
			t.Errorf("%v event %v: want the submit's sender, price and acceptance", st, ev)
		}
	}
}
