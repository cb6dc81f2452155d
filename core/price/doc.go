// Package price holds what a segment costs per destination country, and
// optionally per carrier route, and estimates messages: segments × price.
//
// A price table is loaded from a CSV file with a header naming the
// columns country, route, price and currency (in any order):
//
//	country,route,price,currency
//	US,,0.0079,USD
//	US,premium,0.0110,USD
//	GB,,0.0350,USD
//	*,,0.0500,USD
//
// country is an ISO 3166-1 alpha-2 code or "*" for every other country;
// route is empty for the country's default; price is a decimal with at
// most six places, per segment; currency is an ISO 4217 code and the same
// on every line. Blank lines and lines starting with # are skipped.
//
// Amounts are exact integers of millionths of the currency unit, never
// floats. The package is pure.
package price
