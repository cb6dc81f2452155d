// Package gsm owns SMS text: which alphabet a text needs (the GSM 7 bit
// default alphabet, a national language shift table or UCS-2, 3GPP
// TS 23.038), how it splits into concatenated parts (TS 23.040 user data
// headers) and the bytes SMPP carries. Counting here decides what a
// message costs, so it must be exact.
//
// Rules, in the order they are applied:
//
//   - A text every character of which is in the default alphabet or its
//     extension table is GSM-7; extension characters (\f ^ { } \ [ ~ ] | €)
//     cost two septets. Only the ten Greek capitals of the table
//     (Δ Φ Γ Λ Ω Π Ψ Σ Θ Ξ) are GSM.
//   - With Options.Smart, typographic look-alikes are replaced when that
//     makes the text GSM-7, and the replacements are reported.
//   - With Options.Languages, national locking and single shift tables
//     (annex A: Turkish, Spanish, Portuguese) are tried when the text
//     would otherwise be UCS-2; the best is used only if it gives fewer
//     parts than UCS-2, counting the 3 UDH octets each table takes.
//   - Otherwise the text is UCS-2 (UTF-16; characters outside the BMP cost
//     two units).
//
// One part carries 160 septets or 70 units; concatenated parts 153/67
// with an 8-bit reference, 152/66 with a 16-bit one, less for national
// shift elements. Parts end on grapheme cluster boundaries where the
// cluster fits a part, and never inside an escape or surrogate pair.
//
// The package is pure and allocation-conscious: Analyze does not
// allocate and Split makes one allocation per message.
package gsm
