package phone

import (
	"regexp"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The number plans, from libphonenumber's metadata, matched the way
// phonenumbers.GetRegionCodeForNumber and GetNumberType match them, with
// two differences that change the cost and not the answer: each pattern
// is matched once (the library matches every pattern twice, once to test
// a possible number and once to classify it), and a number's plan is
// matched once for both its region and its type (GetNumberType looks the
// region up again, so a +1 number matched the US plan three times).
// TestInspectAgreesWithLibrary holds the answers to the library's.

// plan is one region's number plan, its patterns compiled on first use.
type plan struct {
	md   *phonenumbers.PhoneMetadata
	once sync.Once
	// leading, if set, is enough to tell a number of a shared calling code
	// belongs to this region.
	leading *regexp.Regexp
	// nationalPrefix matches a national prefix the library would try to
	// strip from the national number; nil when the plan has none.
	nationalPrefix *regexp.Regexp
	general        desc
	// kinds in the order the library tries them, before fixed line and
	// mobile.
	kinds  [8]desc
	fixed  desc
	mobile desc
}

// kindTypes are the types of plan.kinds, in order.
var kindTypes = [8]phonenumbers.PhoneNumberType{
	phonenumbers.PREMIUM_RATE, phonenumbers.TOLL_FREE, phonenumbers.SHARED_COST, phonenumbers.VOIP,
	phonenumbers.PERSONAL_NUMBER, phonenumbers.PAGER, phonenumbers.UAN, phonenumbers.VOICEMAIL,
}

// desc is one kind of number in a plan: its possible lengths (any, when
// empty) and its whole-number pattern.
type desc struct {
	lengths []int32
	re      *regexp.Regexp
}

func newDesc(d *phonenumbers.PhoneNumberDesc) desc {
	return desc{lengths: d.GetPossibleLength(), re: regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

func (d *desc) matches(nsn string) bool {
	if len(d.lengths) > 0 {
		found := false
		for _, l := range d.lengths {
			if int(l) == len(nsn) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

func (p *plan) compile() {
	p.once.Do(func() {
		md := p.md
		if ld := md.GetLeadingDigits(); ld != "" {
			p.leading = regexp.MustCompile("^(?:" + ld + ")")
		}
		if np := md.GetNationalPrefixForParsing(); np != "" {
			p.nationalPrefix = regexp.MustCompile("^(?:" + np + ")")
		}
		p.general = newDesc(md.GetGeneralDesc())
		for i, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
		} {
			p.kinds[i] = newDesc(d)
		}
		p.fixed = newDesc(md.GetFixedLine())
		p.mobile = newDesc(md.GetMobile())
	})
}

// typeOf is the library's getNumberTypeHelper.
func (p *plan) typeOf(nsn string) phonenumbers.PhoneNumberType {
	p.compile()
	if !p.general.matches(nsn) {
		return phonenumbers.UNKNOWN
	}
	for i := range p.kinds {
		if p.kinds[i].matches(nsn) {
			return kindTypes[i]
		}
	}
	same := p.md.GetSameMobileAndFixedLinePattern()
	if p.fixed.matches(nsn) {
		if same || p.mobile.matches(nsn) {
			return phonenumbers.FIXED_LINE_OR_MOBILE
		}
		return phonenumbers.FIXED_LINE
	}
	if !same && p.mobile.matches(nsn) {
		return phonenumbers.MOBILE
	}
	return phonenumbers.UNKNOWN
}

// plans holds every region's plan, and the non-geographic entities' by
// calling code.
var plans struct {
	once    sync.Once
	region  map[string]*plan
	nonGeo  map[int]*plan
	maxCode int
}

func loadPlans() {
	plans.once.Do(func() {
		coll, err := phonenumbers.MetadataCollection()
		if err != nil {
			// The library panics on the same embedded data at init.
			panic("phone: libphonenumber metadata: " + err.Error())
		}
		plans.region = map[string]*plan{}
		plans.nonGeo = map[int]*plan{}
		for _, md := range coll.GetMetadata() {
			if md.GetId() == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
				plans.nonGeo[int(md.GetCountryCode())] = &plan{md: md}
			} else {
				plans.region[md.GetId()] = &plan{md: md}
			}
		}
	})
}

// planFor is the library's getMetadataForRegionOrCallingCode.
func planFor(code int, region string) *plan {
	loadPlans()
	if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		return plans.nonGeo[code]
	}
	return plans.region[region]
}

// classify returns the region and type of the number with calling code
// code and national significant number nsn: the library's
// GetRegionCodeForNumber and GetNumberType in one pass.
func classify(code int, nsn string) (string, phonenumbers.PhoneNumberType) {
	regions := phonenumbers.GetRegionCodesForCountryCode(code)
	region := ""
	switch len(regions) {
	case 0:
	case 1:
		region = regions[0]
	default:
		for _, r := range regions {
			p := planFor(code, r)
			p.compile()
			if p.leading != nil {
				if p.leading.MatchString(nsn) {
					region = r
					break
				}
			} else if t := p.typeOf(nsn); t != phonenumbers.UNKNOWN {
				return r, t
			}
		}
	}
	p := planFor(code, region)
	if p == nil {
		return region, phonenumbers.UNKNOWN
	}
	return region, p.typeOf(nsn)
}

// parseE164 parses raw when it is "+" and ASCII digits only, the way
// phonenumbers.Parse would, and reports false for anything it leaves to
// the library: other forms, numbers whose calling code it does not find,
// and national numbers that begin with something the plan's national
// prefix rule might strip.
func parseE164(raw string) (code int, nsn string, ok bool) {
	if len(raw) < 4 || raw[0] != '+' || raw[1] == '0' {
		return 0, "", false
	}
	for i := 1; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return 0, "", false
		}
	}
	digits := raw[1:]
	for i := 1; i <= 3 && i < len(digits); i++ {
		c, _ := strconv.Atoi(digits[:i])
		if len(phonenumbers.GetRegionCodesForCountryCode(c)) > 0 {
			code, nsn = c, digits[i:]
			break
		}
	}
	if code == 0 || len(nsn) < 2 || len(nsn) > 17 {
		return 0, "", false
	}
	p := planFor(code, phonenumbers.GetRegionCodeForCountryCode(code))
	if p == nil {
		return 0, "", false
	}
	p.compile()
	if p.nationalPrefix != nil && p.nationalPrefix.MatchString(nsn) {
		return 0, "", false
	}
	return code, nsn, true
}
