package campaign

import (
	"errors"
	"testing"
)

func TestNext(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from State
		a    Action
		due  bool
		want State
		ok   bool
	}{
		{Draft, Launch, true, Running, true},
		{Draft, Launch, false, Scheduled, true},
		{Running, Launch, true, Running, false},
		{Running, Pause, true, Paused, true},
		{Scheduled, Pause, false, Paused, true},
		{Paused, Pause, true, Paused, true},
		{Draft, Pause, true, Draft, false},
		{Paused, Resume, true, Running, true},
		{Paused, Resume, false, Scheduled, true},
		{Running, Resume, true, Running, true},
		{Completed, Resume, true, Completed, false},
		{Draft, Cancel, true, Canceled, true},
		{Paused, Cancel, true, Canceled, true},
		{Canceled, Cancel, true, Canceled, true},
		{Completed, Cancel, true, Completed, false},
		{Scheduled, Start, true, Running, true},
		{Paused, Start, true, Paused, false},
		{Running, Complete, true, Completed, true},
		{Paused, Complete, true, Paused, false},
	}
	for _, tt := range tests {
		t.Run(tt.from.String()+" "+tt.a.String(), func(t *testing.T) {
			t.Parallel()
			got, err := Next(tt.from, tt.a, tt.due)
			if got != tt.want || (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrTransition)) {
				t.Fatalf("Next(%v, %v, %v) = %v, %v; want %v ok=%v", tt.from, tt.a, tt.due, got, err, tt.want, tt.ok)
			}
		})
	}
}
