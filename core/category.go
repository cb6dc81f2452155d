package core

import "strconv"

// Category says why a message is sent; it decides which rules apply.
// The values equal the tern.v1 Category enum.
type Category uint8

const (
	CategoryUnspecified Category = iota
	CategoryTransactional
	CategoryMarketing
	CategoryOTP
)

func (c Category) String() string {
	switch c {
	case CategoryTransactional, CategoryUnspecified:
		return "transactional"
	case CategoryMarketing:
		return "marketing"
	case CategoryOTP:
		return "otp"
	}
	return "category(" + strconv.Itoa(int(c)) + ")"
}

// Normalize maps CategoryUnspecified to CategoryTransactional.
func (c Category) Normalize() Category {
	if c == CategoryUnspecified {
		return CategoryTransactional
	}
	return c
}
