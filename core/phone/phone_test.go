package phone

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

func TestInspect(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		raw    string
		region string
		want   Number
	}{
		{"us e164", "+12125550123", "", Number{E164: "+12125550123", Region: "US", CountryCode: 1, Valid: true,
			Type: TypeFixedLineOrMobile, TimeZones: []string{"America/New_York"}}},
		{"us national with region", "(415) 555-2671", "us", Number{E164: "+14155552671", Region: "US", CountryCode: 1, Valid: true,
			Type: TypeFixedLineOrMobile, TimeZones: []string{"America/Los_Angeles"}}},
		{"uk mobile", "07400 123456", "GB", Number{E164: "+447400123456", Region: "GB", CountryCode: 44, Valid: true,
			Type: TypeMobile, TimeZones: []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/London"}}},
		{"german mobile international", "0049 1512 3456789", "DE", Number{E164: "+4915123456789", Region: "DE", CountryCode: 49, Valid: true,
			Type: TypeMobile, TimeZones: []string{"Europe/Berlin"}}},
		{"us toll free", "+1 800 555 0199", "", Number{E164: "+18005550199", Region: "US", CountryCode: 1, Valid: true, Type: TypeTollFree}},
		{"french fixed line", "+33 1 42 68 53 00", "", Number{E164: "+33142685300", Region: "FR", CountryCode: 33, Valid: true,
			Type: TypeFixedLine, TimeZones: []string{"Europe/Paris"}}},
		{"parses but invalid", "+1 212 055 0123", "", Number{E164: "+12120550123", Region: "US", CountryCode: 1, Valid: false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Inspect(tt.raw, tt.region)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want.Type == TypeTollFree {
				// Toll-free numbers carry every zone of the plan.
				if len(got.TimeZones) < 4 {
					t.Fatalf("toll-free zones %v", got.TimeZones)
				}
				got.TimeZones = nil
			}
			if !tt.want.Valid {
				got.Type, got.TimeZones = 0, nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Inspect(%q, %q) = %+v, want %+v", tt.raw, tt.region, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, region string
	}{
		{"empty", "", ""},
		{"spaces", "   ", "US"},
		{"national without region", "2125550123", ""},
		{"letters", "call me", "US"},
		{"invalid for region", "+12120550123", ""},
		{"too short", "+1 2", ""},
		{"absurdly long", "+1" + fmt.Sprint(make([]int, 40)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if n, err := Parse(tt.raw, tt.region); !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %+v, %v; want ErrInvalid", tt.raw, n, err)
			}
		})
	}
}

func TestTypeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   Type
		want string
	}{
		{TypeMobile, "mobile"},
		{TypeFixedLineOrMobile, "fixed_line_or_mobile"},
		{TypeVoIP, "voip"},
		{Type(99), "type(99)"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			if got := tt.in.String(); got != tt.want {
				t.Fatalf("String = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCache(t *testing.T) {
	t.Parallel()
	c := NewCache(64)
	for _, raw := range []string{"+12125550123", "+447400123456", "+12120550123", "junk"} {
		want, wantErr := Parse(raw, "")
		for range 3 {
			got, err := c.Parse(raw, "")
			if !reflect.DeepEqual(got, want) || !errors.Is(err, ErrInvalid) != (wantErr == nil) {
				t.Fatalf("cached Parse(%q) = %+v, %v; want %+v, %v", raw, got, err, want, wantErr)
			}
		}
	}
	// Fill far past the size: the cache stays bounded and correct.
	for i := range 3000 {
		raw := fmt.Sprintf("+1212555%04d", i)
		n, err := c.Parse(raw, "")
		if err != nil || n.E164 != raw {
			t.Fatalf("Parse(%q) = %+v, %v", raw, n, err)
		}
	}
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].cur) + len(c.shards[i].old)
	}
	if total > 2*64+2*cacheShards {
		t.Fatalf("cache holds %d entries, size 64", total)
	}
}

func TestCacheConcurrent(t *testing.T) {
	t.Parallel()
	c := NewCache(128)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				raw := fmt.Sprintf("+4474001%05d", (i*7+g)%300)
				if _, err := c.Parse(raw, ""); err != nil {
					t.Errorf("Parse(%q): %v", raw, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzInspect checks that any input parses or fails with ErrInvalid, as
// the library alone answers, and that a parsed number's E.164 form parses
// to itself.
func FuzzInspect(f *testing.F) {
	f.Add("+12125550123", "")
	f.Add("(415) 555-2671", "US")
	f.Add("0049 1512 3456789", "DE")
	f.Add("++--12", "ZZ")
	f.Add("+390612345678", "")
	f.Add("+5491123456789", "AR")
	f.Fuzz(func(t *testing.T, raw, region string) {
		n, err := Inspect(raw, region)
		if len(raw) <= 64 {
			want, werr := libraryInspect(raw, region)
			if (err == nil) != (werr == nil) || (err == nil && !reflect.DeepEqual(n, want)) {
				t.Fatalf("Inspect(%q, %q) = %+v, %v; library %+v, %v", raw, region, n, err, want, werr)
			}
		}
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		if n.Valid {
			back, err := Parse(n.E164, "")
			if err != nil || back.E164 != n.E164 {
				t.Fatalf("E164 %q parses to %+v, %v", n.E164, back, err)
			}
		}
	})
}

// TestValidAgreesWithLibrary checks that Inspect's Valid, derived from
// the number's type, says what phonenumbers.IsValidNumber says, over
// random digits behind calling codes with one region, several regions
// (+1, +7, +44) and none (+800, +999).
func TestValidAgreesWithLibrary(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	codes := []string{"1", "7", "44", "49", "33", "55", "61", "81", "86", "91", "234", "358", "800", "882", "999"}
	valid := 0
	for i := range 20000 {
		raw := "+" + codes[i%len(codes)]
		for range 6 + r.IntN(7) {
			raw += string(rune('0' + r.IntN(10)))
		}
		n, err := Inspect(raw, "")
		pn, perr := phonenumbers.Parse(raw, "")
		if (err == nil) != (perr == nil) {
			t.Fatalf("%s: Inspect error %v, library error %v", raw, err, perr)
		}
		if err != nil {
			continue
		}
		if want := phonenumbers.IsValidNumber(pn); n.Valid != want {
			t.Fatalf("%s: Valid %v, IsValidNumber %v (type %v, region %q)", raw, n.Valid, want, n.Type, n.Region)
		}
		if n.Valid {
			valid++
		}
	}
	if valid < 1000 {
		t.Fatalf("only %d of 20000 random numbers valid: the check saw too few valid ones to mean anything", valid)
	}
}

func BenchmarkParse(b *testing.B) {
	numbers := make([]string, 1000)
	for i := range numbers {
		numbers[i] = fmt.Sprintf("+1212555%04d", i)
	}
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := Parse(numbers[i%len(numbers)], ""); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("uncached national form", func(b *testing.B) {
		national := make([]string, len(numbers))
		for i := range national {
			national[i] = fmt.Sprintf("(212) 555-%04d", i)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := Parse(national[i%len(national)], "US"); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		c := NewCache(10000)
		for _, raw := range numbers {
			c.Parse(raw, "")
		}
		i := 0
		for b.Loop() {
			if _, err := c.Parse(numbers[i%len(numbers)], ""); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// libraryInspect is Inspect as the library alone answers it: Parse, then
// GetNumberType, GetRegionCodeForNumber and GetTimezonesForNumber.
func libraryInspect(raw, defaultRegion string) (Number, error) {
	pn, err := phonenumbers.Parse(strings.TrimSpace(raw), strings.ToUpper(defaultRegion))
	if err != nil {
		return Number{}, err
	}
	t := phonenumbers.GetNumberType(pn)
	n := Number{
		E164:        phonenumbers.Format(pn, phonenumbers.E164),
		Region:      phonenumbers.GetRegionCodeForNumber(pn),
		CountryCode: int(pn.GetCountryCode()),
		Valid:       t != phonenumbers.UNKNOWN,
		Type:        typeOf(t),
	}
	if n.Region == "" {
		n.Region = phonenumbers.GetRegionCodeForCountryCode(n.CountryCode)
		if n.Region == "ZZ" {
			n.Region = ""
		}
	}
	if tz, err := phonenumbers.GetTimezonesForNumber(pn); err == nil {
		for _, z := range tz {
			if z != phonenumbers.UNKNOWN_TIMEZONE {
				n.TimeZones = append(n.TimeZones, z)
			}
		}
	}
	return n, nil
}

// TestInspectAgreesWithLibrary holds Inspect, with its own E.164 parsing
// and one pass over the number plan, to what the library answers: the
// example number of every type in every region and non-geographic entity,
// in E.164, international and national form, each with its last digits
// changed, and random digits behind every calling code.
func TestInspectAgreesWithLibrary(t *testing.T) {
	t.Parallel()
	type input struct{ raw, region string }
	var inputs []input
	r := rand.New(rand.NewPCG(3, 4))
	mutate := func(s string) string {
		b := []byte(s)
		for i := len(b) - 1; i >= len(b)-3 && i > 0; i-- {
			if b[i] >= '0' && b[i] <= '9' {
				b[i] = byte('0' + r.IntN(10))
			}
		}
		return string(b)
	}
	add := func(pn *phonenumbers.PhoneNumber, region string) {
		if pn == nil {
			return
		}
		e164 := phonenumbers.Format(pn, phonenumbers.E164)
		intl := phonenumbers.Format(pn, phonenumbers.INTERNATIONAL)
		national := phonenumbers.Format(pn, phonenumbers.NATIONAL)
		for _, raw := range []string{e164, intl, mutate(e164), mutate(e164), e164 + "9", e164[:len(e164)-1]} {
			inputs = append(inputs, input{raw, ""})
		}
		if region != "" {
			inputs = append(inputs, input{national, region}, input{mutate(national), region}, input{e164, region})
		}
	}
	types := []phonenumbers.PhoneNumberType{
		phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.TOLL_FREE, phonenumbers.PREMIUM_RATE,
		phonenumbers.SHARED_COST, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER,
		phonenumbers.UAN, phonenumbers.VOICEMAIL,
	}
	for region := range phonenumbers.GetSupportedRegions() {
		for _, typ := range types {
			add(phonenumbers.GetExampleNumberForType(region, typ), region)
		}
	}
	for code := range phonenumbers.GetSupportedGlobalNetworkCallingCodes() {
		add(phonenumbers.GetExampleNumberForNonGeoEntity(code), "")
	}
	for code := range phonenumbers.GetSupportedCallingCodes() {
		for range 20 {
			raw := fmt.Sprintf("+%d", code)
			for range 1 + r.IntN(15) {
				raw += string(rune('0' + r.IntN(10)))
			}
			inputs = append(inputs, input{raw, ""})
		}
	}
	inputs = append(inputs, input{"+1", ""}, input{"+12", ""}, input{"+123", ""}, input{"+0123456789", ""},
		input{"+99912345678", ""}, input{"+3906123456789", ""}, input{"+390612345678", ""}, input{"+4400000000", ""})

	fast, valid := 0, 0
	for _, in := range inputs {
		got, err := Inspect(in.raw, in.region)
		want, werr := libraryInspect(in.raw, in.region)
		if (err == nil) != (werr == nil) {
			t.Fatalf("Inspect(%q, %q): error %v, library error %v", in.raw, in.region, err, werr)
		}
		if err != nil {
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Inspect(%q, %q) = %+v, library %+v", in.raw, in.region, got, want)
		}
		if _, _, ok := parseE164(strings.TrimSpace(in.raw)); ok {
			fast++
		}
		if got.Valid {
			valid++
		}
	}
	// The comparison means something only if both paths and both answers
	// were taken often.
	if fast < len(inputs)/3 || valid < len(inputs)/4 || fast == len(inputs) {
		t.Fatalf("of %d inputs, %d took the E.164 path and %d were valid: too few to compare", len(inputs), fast, valid)
	}
	t.Logf("%d inputs agree: %d through the E.164 path, %d valid", len(inputs), fast, valid)
}
