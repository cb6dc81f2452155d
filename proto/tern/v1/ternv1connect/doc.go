// Package ternv1connect holds the Connect clients, handler interfaces
// and procedure names of tern.v1's services (package ternv1), generated
// by protoc-gen-connect-go from proto/tern/v1 with `make generate`. The
// *.connect.go files must not be edited by hand.
//
// This file is not generated: buf generate writes only the *.connect.go
// files.
package ternv1connect
