// Package contacts is a tenant's contact book in PostgreSQL: contacts
// (E.164 number, name, language, time zone, custom attributes, tags, and
// when they last got a message and clicked a link), static lists,
// segments, and CSV imports.
//
// A segment is a filter (tern.v1.SegmentFilter), compiled to SQL whose
// every value is a bind parameter (filter.go): nothing from a request is
// ever spliced into a statement. Filters are evaluated when used, so a
// campaign to a segment goes to whoever matches when it is expanded.
//
// An import is a CSV file taken in chunks (import.go): each chunk's rows,
// their list memberships and their consent (recorded in the consent
// ledger with method import) commit in one transaction with the import's
// progress, so an import resumes at the byte where its last chunk ended
// and a chunk sent twice imports nothing twice. Memory is bounded by a
// chunk and one row.
//
// A contact's consent state is the consent ledger's (pipeline/consent),
// read from its tables in the same database; this package never writes
// it except through the ledger.
package contacts
