package smpp

// esm_class bits (section 5.2.12).
const (
	// ESMClassTypeMask selects the message type bits 5-2.
	ESMClassTypeMask uint8 = 0x3C
	// ESMClassReceipt marks a deliver_sm that carries an SMSC delivery
	// receipt.
	ESMClassReceipt uint8 = 0x04
	// ESMClassIntermediate marks an intermediate delivery notification.
	ESMClassIntermediate uint8 = 0x20
	// ESMClassUDHI says short_message starts with a user data header.
	ESMClassUDHI uint8 = 0x40
)

// IsReceipt reports whether a deliver_sm's esm_class marks a delivery
// receipt or an intermediate notification rather than a message.
func IsReceipt(esmClass uint8) bool {
	t := esmClass & ESMClassTypeMask
	return t == ESMClassReceipt || t == ESMClassIntermediate
}

// RegisteredDelivery values (section 5.2.17), the SMSC receipt bits.
const (
	RegisteredDeliveryNone      uint8 = 0x00
	RegisteredDeliveryFinal     uint8 = 0x01 // receipt on success or failure
	RegisteredDeliveryOnFailure uint8 = 0x02 // receipt on failure only
	RegisteredDeliveryMask      uint8 = 0x03
)
