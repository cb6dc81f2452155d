package main

import (
	"fmt"
	"math/rand/v2"

	"github.com/ternsms/tern/core/phone"
	ternv1 "github.com/ternsms/tern/proto/tern/v1"
)

// payloads builds the requests every run sends, in the same order: n
// distinct valid recipients (80 % US, 10 % DE, 10 % GB mobiles) with
// one-part GSM-7 order, shipping and login-code texts, from the tenant's
// default sender (a number: the US takes no alphanumeric sender ids).
// Marketing is left out on purpose: quiet hours would hold it back and
// the run would time the clock, not tern.
func payloads(n int, campaign string) ([]*ternv1.SendRequest, error) {
	rng := rand.New(rand.NewPCG(7, 11))
	areas := []int{212, 213, 305, 312, 415, 503, 617, 702, 718, 917}
	seen := make(map[string]bool, n)
	out := make([]*ternv1.SendRequest, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries > 10*n {
			return nil, fmt.Errorf("only %d valid recipients after %d tries", len(out), tries)
		}
		var to string
		switch k := rng.IntN(10); {
		case k < 8:
			to = fmt.Sprintf("+1%d%d%06d", areas[rng.IntN(len(areas))], 2+rng.IntN(8), rng.IntN(1_000_000))
		case k < 9:
			to = fmt.Sprintf("+49151%08d", rng.IntN(100_000_000))
		default:
			to = fmt.Sprintf("+4479%08d", rng.IntN(100_000_000))
		}
		if seen[to] {
			continue
		}
		if _, err := phone.Parse(to, ""); err != nil {
			continue
		}
		seen[to] = true
		i := len(out)
		req := &ternv1.SendRequest{To: to, CampaignId: campaign, Category: ternv1.Category_CATEGORY_TRANSACTIONAL}
		switch i % 4 {
		case 0:
			req.Body = fmt.Sprintf("Your order #%d has shipped. Track it at https://shop.example/t/%06x", 40000+i, rng.IntN(1<<24))
		case 1:
			req.Body = fmt.Sprintf("Your login code is %06d. It expires in 10 minutes.", rng.IntN(1_000_000))
			req.Category = ternv1.Category_CATEGORY_OTP
		case 2:
			req.Body = fmt.Sprintf("Order #%d arrives today between 14:00 and 16:00.", 40000+i)
		default:
			req.Body = fmt.Sprintf("We received your payment of $%d.%02d for order #%d. Thank you!", 5+rng.IntN(300), rng.IntN(100), 40000+i)
		}
		out = append(out, req)
	}
	return out, nil
}
