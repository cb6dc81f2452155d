package hygiene

import (
	"fmt"
	"strings"
)

// Class is why a number is on the hygiene report. The permanent classes
// (1–5) fit the four bits core/consent.State keeps for a suppression's
// reason; their values never change.
type Class uint8

const (
	// ClassNone: nothing against the number.
	ClassNone Class = iota
	ClassInvalid
	ClassLandline
	ClassUnknownSubscriber
	ClassNotAllocated
	ClassBarred
	ClassOptedOut
	ClassRepeatedlyUndelivered
	ClassNeverDelivered
)

// Classes lists every class but ClassNone, in the order Classify decides
// them.
var Classes = []Class{
	ClassInvalid, ClassLandline, ClassUnknownSubscriber, ClassNotAllocated, ClassBarred,
	ClassOptedOut, ClassRepeatedlyUndelivered, ClassNeverDelivered,
}

var classNames = [...]string{
	ClassNone:                  "none",
	ClassInvalid:               "invalid",
	ClassLandline:              "landline",
	ClassUnknownSubscriber:     "unknown subscriber",
	ClassNotAllocated:          "not allocated",
	ClassBarred:                "barred",
	ClassOptedOut:              "opted out",
	ClassRepeatedlyUndelivered: "repeatedly undelivered",
	ClassNeverDelivered:        "never delivered",
}

// String returns the class's name in words, e.g. "unknown subscriber".
func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("class(%d)", uint8(c))
}

// Key returns the name in snake_case, e.g. "unknown_subscriber", for CSV
// and query parameters.
func (c Class) Key() string { return strings.ReplaceAll(c.String(), " ", "_") }

// Reason is what a suppression of class c says: "hygiene: unknown
// subscriber".
func (c Class) Reason() string { return "hygiene: " + c.String() }

// Permanent reports whether c is a class that auto-suppression acts on:
// the number cannot take SMS, so marketing to it is money lost.
func (c Class) Permanent() bool {
	return c >= ClassInvalid && c <= ClassBarred
}

// ParseClass reads a class by its String or Key form.
func ParseClass(s string) (Class, error) {
	want := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "_", " ")
	for i, n := range classNames {
		if n == want {
			return Class(i), nil
		}
	}
	return ClassNone, fmt.Errorf("%w: %q", ErrUnknownClass, s)
}
