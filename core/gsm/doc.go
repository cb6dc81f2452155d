// Package gsm owns SMS text: which alphabet a text needs (GSM 03.38 default
// alphabet or UCS-2, 3GPP TS 23.038), how it splits into concatenated parts
// (TS 23.040 user data headers) and how it turns into the bytes SMPP
// carries. Counting here decides what a message costs, so it must be exact.
//
// The package is pure and allocation-conscious: it is on every message's path.
package gsm
