package price

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Amount is money in millionths of a currency unit.
type Amount int64

// scale is the number of Amount units in one currency unit.
const scale = 1_000_000

// ParseAmount reads a non-negative decimal such as "0.0079" or "12".
func ParseAmount(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" && frac == "" || len(frac) > 6 || len(whole) > 12 {
		return 0, fmt.Errorf("%q: %w", s, ErrAmount)
	}
	var w, f int64
	var err error
	if whole != "" {
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil || w < 0 || strings.ContainsAny(whole, "+-") {
			return 0, fmt.Errorf("%q: %w", s, ErrAmount)
		}
	}
	if frac != "" {
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 || strings.ContainsAny(frac, "+-") {
			return 0, fmt.Errorf("%q: %w", s, ErrAmount)
		}
		for range 6 - len(frac) {
			f *= 10
		}
	}
	return Amount(w*scale + f), nil
}

// String writes a with at least two and at most six decimals: "0.0079",
// "1.50".
func (a Amount) String() string {
	sign := ""
	if a < 0 {
		sign, a = "-", -a
	}
	s := fmt.Sprintf("%s%d.%06d", sign, a/scale, a%scale)
	for strings.HasSuffix(s, "0") && len(s)-strings.IndexByte(s, '.') > 3 {
		s = s[:len(s)-1]
	}
	return s
}

// MarshalText writes the String form, for JSON.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Times returns a × n, saturating instead of overflowing.
func (a Amount) Times(n int) Amount {
	if n != 0 && int64(a) > math.MaxInt64/int64(n) {
		return math.MaxInt64
	}
	return a * Amount(n)
}
