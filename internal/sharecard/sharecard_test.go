package sharecard

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"

	"golang.org/x/image/font"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds().Dx() != Width || img.Bounds().Dy() != Height {
		t.Fatalf("size %v, want %dx%d", img.Bounds(), Width, Height)
	}
	return img
}

func same(a, b color.Color) bool {
	r1, g1, b1, _ := a.RGBA()
	r2, g2, b2, _ := b.RGBA()
	return r1 == r2 && g1 == g2 && b1 == b2
}

// TestPNG: the card is a 1200×630 PNG; what it says changes its pixels;
// a synthetic release puts the yellow banner above the title.
func TestPNG(t *testing.T) {
	base := Card{Title: "Reunite separated families", Figure: "1,240", FigureLabel: "children separated from their parents", Footer: "Families Together · Figures as of 2026-12-01"}
	b1, err := PNG(base)
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b1)
	other := base
	other.Figure = "1,310"
	b2, _ := PNG(other)
	if bytes.Equal(b1, b2) {
		t.Error("another figure drew the same image")
	}
	if !same(img.At(100, 80), brand) {
		t.Errorf("no banner: pixel %v, want the background", img.At(100, 80))
	}
	syn := base
	syn.Synthetic = "Demonstration figures, not real data"
	b3, _ := PNG(syn)
	if got := decode(t, b3).At(100, 80); !same(got, yellow) {
		t.Errorf("synthetic card: pixel %v at the banner, want yellow", got)
	}
	// Text is drawn: the title area is not all background.
	ink := 0
	for x := 80; x < 700; x++ {
		if !same(img.At(x, 120), brand) {
			ink++
		}
	}
	if ink == 0 {
		t.Error("no title drawn")
	}
}

// TestLongTextFits: a long title and label are wrapped and cut with "…",
// never drawn past the card's margins.
func TestLongTextFits(t *testing.T) {
	f, err := load()
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("Separaciones familiares en la frontera sur ", 8)
	lines := wrap(f.title, long, Width-160, 3)
	if len(lines) != 3 || !strings.HasSuffix(lines[2], "…") {
		t.Fatalf("lines = %q", lines)
	}
	for _, l := range lines {
		if w := font.MeasureString(f.title, l).Ceil(); w > Width-160 {
			t.Errorf("line %q is %d px wide", l, w)
		}
	}
	b, err := PNG(Card{Title: long, Figure: "12", FigureLabel: long, Footer: long})
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b)
	// The right margin stays background.
	img := decode(t, b)
	for y := 0; y < Height-96; y++ {
		if c := img.At(Width-10, y); !same(c, brand) {
			t.Fatalf("pixel (%d,%d) = %v: text ran into the margin", Width-10, y, c)
		}
	}
}
