package smpp

import "fmt"

// StatusCode renders s as SMPP writes it, e.g. "0x0000000B"; it makes a
// CommandStatus a carriers.Coded.
func (s CommandStatus) StatusCode() string { return fmt.Sprintf("0x%08X", uint32(s)) }
