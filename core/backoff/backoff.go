// Package backoff computes the waits of exponential backoff with equal
// jitter: the wait before retry n is drawn uniformly from the upper half
// of Base·2^(n-1), capped at Max. The half kept makes waits grow with
// every failure; the half drawn spreads out clients that failed together,
// so that they do not come back together. (Full jitter, a draw from zero
// to the cap, would let some waits be near zero after many failures.)
//
// The package only computes waits: callers wait on their own timer and
// context, and count their own attempts.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Exponential is exponential backoff with equal jitter, from Base
// doubling up to Max.
type Exponential struct {
	Base time.Duration
	Max  time.Duration
}

// Ceiling returns the longest wait before retry n (from 1): Base·2^(n-1),
// at most Max. An n below 1 counts as 1.
func (e Exponential) Ceiling(n int) time.Duration {
	shift := max(n-1, 0)
	if shift < 63 && e.Base <= e.Max>>shift {
		return e.Base << shift
	}
	return e.Max
}

// Delay returns the wait before retry n (from 1), drawn uniformly from
// the upper half of Ceiling(n).
func (e Exponential) Delay(n int) time.Duration {
	return e.At(n, rand.Float64())
}

// At is Delay for the draw u, in [0, 1): Ceiling(n)/2 + u·Ceiling(n)/2.
func (e Exponential) At(n int, u float64) time.Duration {
	half := e.Ceiling(n) / 2
	return half + time.Duration(u*float64(half))
}
