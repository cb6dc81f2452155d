package keyword

import (
	"errors"
	"testing"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want Intent
	}{
		// English, CTIA and FCC 24-24.
		{"stop", "STOP", OptOut},
		{"stop lower with punctuation", "  stop!! ", OptOut},
		{"stop with emoji", "Stop 😡", OptOut},
		{"stopall", "StopAll", OptOut},
		{"stop all", "stop all", OptOut},
		{"unsubscribe", "Unsubscribe.", OptOut},
		{"end", "END", OptOut},
		{"quit", "quit", OptOut},
		{"cancel", "Cancel", OptOut},
		{"revoke", "REVOKE", OptOut},
		{"optout", "OPTOUT", OptOut},
		{"opt out", "opt out", OptOut},
		{"opt-out", "Opt-Out", OptOut},
		{"stop texting me", "Stop texting me", OptOut},
		{"please stop", "please stop", OptOut},
		{"stop please", "STOP PLEASE!", OptOut},
		{"stop now thanks", "stop now, thanks", OptOut},
		{"stop stop", "stop stop stop", OptOut},
		{"remove me from your list", "Remove me from your list.", OptOut},
		{"dont text me", "Don't text me", OptOut},
		{"curly apostrophe", "Don’t text me again", OptOut},
		{"start", "START", OptIn},
		{"unstop", "unstop", OptIn},
		{"yes is opt in whatever was asked", "Yes", OptIn},
		{"yes please", "yes please", OptIn},
		{"help", "HELP", Help},
		{"info", "info?", Help},
		// Spanish.
		{"alto", "ALTO", OptOut},
		{"parar", "Parar", OptOut},
		{"baja", "BAJA", OptOut},
		{"cancelar por favor", "cancelar por favor", OptOut},
		{"no mas with accent", "No más", OptOut},
		{"ayuda", "Ayuda", Help},
		{"si with accent", "Sí", OptIn},
		// French.
		{"arret", "ARRET", OptOut},
		{"arret accented", "Arrêt", OptOut},
		{"desabonner", "Désabonner", OptOut},
		{"stop svp", "STOP svp", OptOut},
		{"aide", "aide", Help},
		{"oui", "Oui", OptIn},
		// German.
		{"stopp", "STOPP", OptOut},
		{"abmelden", "abmelden", OptOut},
		{"kundigen", "Kündigen", OptOut},
		{"hilfe", "Hilfe", Help},
		{"ja bitte", "Ja bitte", OptIn},
		// Ordinary replies.
		{"where is my order", "Where is my order?", None},
		{"cancel my order", "Cancel my order", None},
		{"stop by the store", "I'll stop by the store tomorrow", None},
		{"help with delivery sentence", "Can you help me change the delivery address?", None},
		{"empty", "", None},
		{"punctuation only", "?!", None},
		{"filler only", "thanks", None},
		{"ok", "ok", None},
		{"long text", "stop " + string(make([]byte, 200)), None},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Classify(tt.in); got.Intent != tt.want {
				t.Fatalf("Classify(%q) = %+v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestResultNamesSource(t *testing.T) {
	t.Parallel()
	got := Classify("Désabonner!")
	if got != (Result{Intent: OptOut, Keyword: "desabonner", Language: "fr"}) {
		t.Fatalf("Classify = %+v", got)
	}
}

// TestConfirms: the words that answer a double opt-in's question, in
// every built-in language, and the opt-in words that do not.
func TestConfirms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		confirm bool
	}{
		{"Y", true}, {"yes", true}, {"YES!", true}, {"Yes please", true}, {"I agree", true},
		{"Sí", true}, {"si acepto", true}, {"OUI", true}, {"J'accepte", true}, {"Ja", true}, {"Bestätigen", true},
		{"START", false}, {"unstop", false}, {"subscribe", false}, {"alta", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got := Classify(tt.in)
			if got.Intent != OptIn || got.Confirms != tt.confirm {
				t.Fatalf("Classify(%q) = %+v, want opt_in with Confirms %v", tt.in, got, tt.confirm)
			}
		})
	}
	c, err := New(Config{Confirm: []string{"jawohl"}, Remove: []string{"y"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Classify("Jawohl"); !got.Confirms {
		t.Fatalf("tenant confirm word: %+v", got)
	}
	if got := c.Classify("y"); got.Intent != None {
		t.Fatalf("removed y: %+v", got)
	}
}

func TestTenantConfig(t *testing.T) {
	t.Parallel()
	c, err := New(Config{
		Languages: []string{"de"},
		OptOut:    []string{"Tschüss"},
		Help:      []string{"Kundendienst"},
		Remove:    []string{"ja"},
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want Intent
	}{
		{"tschuss", OptOut},
		{"Kundendienst", Help},
		{"ja", None},
		{"STOP", OptOut}, // understood everywhere
		{"alto", None},   // Spanish not chosen
		{"abmelden", OptOut},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			if got := c.Classify(tt.in); got.Intent != tt.want {
				t.Fatalf("Classify(%q) = %+v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		want error
	}{
		{"conflict with built-in", Config{OptIn: []string{"STOP"}}, ErrConflict},
		{"conflict within tenant", Config{OptOut: []string{"bye"}, Help: []string{"Bye!"}}, ErrConflict},
		{"unknown language", Config{Languages: []string{"xx"}}, ErrLanguage},
		{"empty keyword", Config{OptOut: []string{"!!"}}, ErrEmpty},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := New(tt.cfg); !errors.Is(err, tt.want) {
				t.Fatalf("New error %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzClassify(f *testing.F) {
	for _, s := range []string{"STOP", "please stop", "Where is my order?", "Arrêt", "stop stop", "  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := Classify(s)
		if (r.Intent == None) != (r.Keyword == "") {
			t.Fatalf("Classify(%q) = %+v", s, r)
		}
	})
}

func BenchmarkClassify(b *testing.B) {
	c := Default()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify("Stop texting me, please!")
	}
}
