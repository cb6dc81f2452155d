// Package ternv1 is tern's public API, package tern.v1: the services
// (MessageService, AnalyticsService, …), their requests and responses and
// the enums they share, as Go types generated from the .proto files beside
// this one. The .proto files are the contract: change them, never the
// generated .pb.go files, and run `make generate` (buf lint, then buf
// generate). Keep changes compatible with clients built before them: add
// fields and methods; never renumber, reuse or retype a field.
//
// ternv1connect holds the services' Connect clients and handler
// interfaces; package api serves them over gRPC, gRPC-Web and Connect.
//
// This file is not generated: buf generate writes only the *.pb.go files.
package ternv1
