// Package recordv1 holds the records tern writes to Kafka, its log of
// record (package tern.record.v1): Submit on the submit topics (accepted
// messages, keyed by recipient), Event on the events topic (every status
// change, keyed by message id), Receipt on the receipts topic (carriers'
// raw receipts, keyed by carrier message id) and Inbound on the MO topic
// (customers' replies, keyed by their number). Types are generated from
// record.proto beside this file with `make generate`; change the .proto,
// never record.pb.go. Records already written must stay readable, so
// fields are only added, never renumbered or reused.
//
// This file is not generated: buf generate writes only the *.pb.go files.
package recordv1
