module github.com/ternsms/tern

go 1.26.0

require (
	connectrpc.com/connect v1.21.1 // indirect
	github.com/nyaruka/phonenumbers v1.8.1 // indirect
	golang.org/x/text v0.23.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
