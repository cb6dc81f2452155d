// Package api is tern's front door: the Connect handlers for
// tern.v1.MessageService and tern.v1.AnalyticsService, served as gRPC,
// gRPC-Web and Connect on one listener (h2c, or TLS), with gRPC health and
// server reflection, and API-key authentication that decides each call's
// tenant before its body is read.
//
// api validates nothing itself beyond the wire: requests go to the
// pipeline's shared intake, reports come from analytics. It is the only
// package that turns errors into Connect codes (errors.go), and nothing
// imports it.
package api
