// Package sender classifies sender ids and checks them against each
// destination country's rules: which kinds of sender a country's carriers
// accept for application-to-person SMS.
//
// The built-in table (DefaultRules) holds the countries whose rules differ
// from the common case, where every kind of sender is accepted. It follows
// the country guidance that SMS aggregators publish for their customers
// (2024) and the regulators behind it:
//
//	country          alphanumeric          numbers
//	US, CA, PR       not allowed           long code, toll-free, short code (CTIA; CRTC / CWTA)
//	MX, BR, AR, CL   not allowed           long code, short code
//	CN               not allowed           long code, short code (MIIT: registered templates)
//	IN               registration required long code, short code (TRAI DLT headers)
//	AE, SA, QA, KW,  registration required any (TRA/TDRA, CST, CRA, CITRA, TRA Oman)
//	OM, BH
//	TR, VN, ID,      registration required any (BTK, MIC, Kominfo, NTC, NBTC)
//	PH, TH
//	EG, JO, NG, KE,  registration required any
//	LK, BD, PK
//	anywhere else    allowed               any
//
// Carriers change these rules; a tenant overrides a country's row (or adds
// one) with Rules.With, and registers alphanumeric ids for the countries
// that require it with Rules.Register. The package is pure: no I/O.
package sender
