package gsm

import (
	"strings"
	"testing"
)

// The tables below are 3GPP TS 23.038 §6.2.1, §6.2.1.1 and annex A laid
// out as the specification prints them: one line per row b4b3b2b1
// (0x0-0xF), one column per b7b6b5 (0x00, 0x10, ... 0x70). "-" is an
// empty or reserved position of a single shift table, ESC the escape, SP space, LF, CR and FF the
// controls. They are typed from the specification independently of the
// row-major tables the package uses, so a slip in either shows here.
var specGrids = []struct {
	name  string
	table *table
	grid  string
}{
	{"6.2.1 default alphabet", defaultAlphabet, `
@ Δ SP 0 ¡ P ¿ p
£ _ ! 1 A Q a q
$ Φ " 2 B R b r
¥ Γ # 3 C S c s
è Λ ¤ 4 D T d t
é Ω % 5 E U e u
ù Π & 6 F V f v
ì Ψ ' 7 G W g w
ò Σ ( 8 H X h x
Ç Θ ) 9 I Y i y
LF Ξ * : J Z j z
Ø ESC + ; K Ä k ä
ø Æ , < L Ö l ö
CR æ - = M Ñ m ñ
Å ß . > N Ü n ü
å É / ? O § o à`},
	{"6.2.1.1 extension table", defaultExtension, `
- - - - | - - -
- - - - - - - -
- - - - - - - -
- - - - - - - -
- ^ - - - - - -
- - - - - - € -
- - - - - - - -
- - - - - - - -
- - { - - - - -
- - } - - - - -
FF - - - - - - -
- ESC - - - - - -
- - - [ - - - -
- - - ~ - - - -
- - - ] - - - -
- - \ - - - - -`},
	{"A.3.1 Turkish locking shift", turkishLocking, `
@ Δ SP 0 İ P ç p
£ _ ! 1 A Q a q
$ Φ " 2 B R b r
¥ Γ # 3 C S c s
€ Λ ¤ 4 D T d t
é Ω % 5 E U e u
ù Π & 6 F V f v
ı Ψ ' 7 G W g w
ò Σ ( 8 H X h x
Ç Θ ) 9 I Y i y
LF Ξ * : J Z j z
Ğ ESC + ; K Ä k ä
ğ Ş , < L Ö l ö
CR ş - = M Ñ m ñ
Å ß . > N Ü n ü
å É / ? O § o à`},
	{"A.3.3 Portuguese locking shift", portugueseLocking, `
@ Δ SP 0 Í P ~ p
£ _ ! 1 A Q a q
$ ª " 2 B R b r
¥ Ç # 3 C S c s
ê À º 4 D T d t
é ∞ % 5 E U e u
ú ^ & 6 F V f v
í \ ' 7 G W g w
ó € ( 8 H X h x
ç Ó ) 9 I Y i y
LF | * : J Z j z
Ô ESC + ; K Ã k ã
ô Â , < L Õ l õ
CR â - = M Ú m ` + "`" + `
Á Ê . > N Ü n ü
á É / ? O § o à`},
	{"A.2.1 Turkish single shift", turkishSingle, `
- - - - | - - -
- - - - - - - -
- - - - - - - -
- - - - - Ş ç ş
- ^ - - - - - -
- - - - - - € -
- - - - - - - -
- - - - Ğ - ğ -
- - { - - - - -
- - } - İ - ı -
FF - - - - - - -
- ESC - - - - - -
- - - [ - - - -
- - - ~ - - - -
- - - ] - - - -
- - \ - - - - -`},
	{"A.2.2 Spanish single shift", spanishSingle, `
- - - - | - - -
- - - - Á - á -
- - - - - - - -
- - - - - - - -
- ^ - - - - - -
- - - - - Ú € ú
- - - - - - - -
- - - - - - - -
- - { - - - - -
ç - } - Í - í -
FF - - - - - - -
- ESC - - - - - -
- - - [ - - - -
- - - ~ - - - -
- - - ] - - - -
- - \ - Ó - ó -`},
	{"A.2.3 Portuguese single shift", portugueseSingle, `
- - - - | - - -
- - - - À - Â -
- Φ - - - - - -
- Γ - - - - - -
- ^ - - - - - -
ê Ω - - - Ú € ú
- Π - - - - - -
- Ψ - - - - - -
- Σ { - - - - -
ç Θ } - Í - í -
FF - - - - - - -
Ô ESC - - - Ã - ã
ô - - [ - Õ - õ
- - - ~ - - - -
Á - - ] - - - -
á Ê \ - Ó - ó â`},
}

func TestSpecTables(t *testing.T) {
	t.Parallel()
	for _, g := range specGrids {
		names := map[string]rune{"SP": ' ', "LF": '\n', "CR": '\r', "FF": '\f', "ESC": 0}
		if g.table.chars['-'] != '-' {
			names["-"] = 0 // a single shift table: "-" marks no character
		}
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			rows := strings.Split(strings.TrimSpace(g.grid), "\n")
			if len(rows) != 16 {
				t.Fatalf("%d rows, want 16", len(rows))
			}
			for row, line := range rows {
				cells := strings.Fields(line)
				if len(cells) != 8 {
					t.Fatalf("row %X has %d cells, want 8", row, len(cells))
				}
				for col, cell := range cells {
					want, ok := names[cell]
					if !ok {
						want = []rune(cell)[0]
					}
					s := byte(col<<4 | row)
					if got := g.table.chars[s]; got != want {
						t.Errorf("septet 0x%02X = %q, spec %q", s, got, want)
					}
					if want != 0 {
						if got, ok := g.table.septet(want); !ok || got != s && g.table.chars[got] != want {
							t.Errorf("septet(%q) = 0x%02X, %v; want 0x%02X", want, got, ok, s)
						}
					}
				}
			}
		})
	}
}
