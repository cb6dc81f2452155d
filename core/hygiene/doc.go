// Package hygiene decides which of a tenant's numbers are worth no more
// money: it sorts a number into a class from what tern knows about it —
// its shape and line type (core/phone), the error codes carriers answered
// it with, its recent outcomes and its consent — and maps carrier error
// codes to what they prove, per carrier.
//
// Classes, in the order they are decided (the first that applies wins):
//
//	invalid                  the number is not valid E.164 for its region, or a carrier said so
//	landline                 the line takes no SMS: a fixed line by number plan, or a carrier said so
//	unknown subscriber       a carrier said the subscriber does not exist
//	not allocated            a carrier said the number is not allocated
//	barred                   a carrier said the subscriber is barred from receiving
//	opted out                the number opted out (consent)
//	repeatedly undelivered   N of its last M finished attempts did not deliver (3 of 5)
//	never delivered          messaged in the last 30 days, nothing delivered in them
//
// The first five are permanent: list hygiene suppresses them for marketing
// (core/consent.State.Hygiene holds the class) until a later message is
// delivered or someone removes the suppression. The others are reported
// only.
//
// The package is pure: no I/O.
package hygiene
