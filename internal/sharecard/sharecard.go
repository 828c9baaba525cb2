// Package sharecard draws the image social networks and messaging apps show
// beside a link to a campaign (og:image): 1200×630 pixels, the campaign's
// title and one headline figure, with Go's own fonts embedded in the
// binary, so the server needs no font files and no browser to make it.
package sharecard

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

// Width and Height are the size the Open Graph and Twitter cards use
// (1.91:1).
const (
	Width  = 1200
	Height = 630
)

// Card is what one image says. Figure and FigureLabel are empty when the
// current release publishes none of the headline figures; Synthetic marks
// a demonstration release, which the image says in words on a banner so
// that a figure never travels without it.
type Card struct {
	Title       string
	Figure      string // "1,240"
	FigureLabel string // "children separated from their parents"
	Synthetic   string // the banner's text when the figures are synthetic; "" when real
	Footer      string // the organization and the date of the figures
}

var (
	brand  = color.RGBA{0x0b, 0x4f, 0x8a, 0xff} // the site's --brand
	dark   = color.RGBA{0x08, 0x3a, 0x66, 0xff}
	white  = color.RGBA{0xff, 0xff, 0xff, 0xff}
	pale   = color.RGBA{0xd6, 0xe6, 0xf5, 0xff}
	yellow = color.RGBA{0xff, 0xbf, 0x47, 0xff} // the site's --focus
	ink    = color.RGBA{0x1b, 0x1f, 0x24, 0xff}
)

type faces struct{ title, titleSmall, figure, label, small, banner font.Face }

var (
	loadOnce sync.Once
	loaded   faces
	loadErr  error
)

func load() (faces, error) {
	loadOnce.Do(func() {
		bold, err := opentype.Parse(gobold.TTF)
		if err != nil {
			loadErr = err
			return
		}
		regular, err := opentype.Parse(goregular.TTF)
		if err != nil {
			loadErr = err
			return
		}
		face := func(f *opentype.Font, size float64) font.Face {
			if loadErr != nil {
				return nil
			}
			fc, err := opentype.NewFace(f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
			if err != nil {
				loadErr = err
			}
			return fc
		}
		loaded = faces{title: face(bold, 62), titleSmall: face(bold, 50), figure: face(bold, 132), label: face(regular, 36),
			small: face(regular, 28), banner: face(bold, 30)}
	})
	return loaded, loadErr
}

// drawMu serializes drawing: an opentype face keeps a glyph cache that is
// not safe for concurrent use. Cards are cached by the caller, so this
// is rarely contended.
var drawMu sync.Mutex

// PNG draws c. Text too long for its place is wrapped, and cut with "…"
// after its last line.
func PNG(c Card) ([]byte, error) {
	f, err := load()
	if err != nil {
		return nil, err
	}
	drawMu.Lock()
	defer drawMu.Unlock()
	img := image.NewRGBA(image.Rect(0, 0, Width, Height))
	draw.Draw(img, img.Bounds(), image.NewUniform(brand), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, Height-96, Width, Height), image.NewUniform(dark), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(0, 0, 24, Height-96), image.NewUniform(yellow), image.Point{}, draw.Src)

	const left, right = 80, Width - 80
	y := 70
	if c.Synthetic != "" {
		draw.Draw(img, image.Rect(left-16, y-8, right, y+48), image.NewUniform(yellow), image.Point{}, draw.Src)
		text(img, f.banner, ink, left, y+30, fit(f.banner, c.Synthetic, right-left-16))
		y += 80
	} else {
		y += 10
	}
	titleFace, lines := f.title, 3
	if c.Figure == "" {
		lines = 5
	}
	tl := wrap(f.title, c.Title, right-left, lines)
	if len(tl) == lines && c.Figure != "" {
		titleFace = f.titleSmall
		tl = wrap(f.titleSmall, c.Title, right-left, lines)
	}
	lh := titleFace.Metrics().Height.Ceil() + 6
	for _, l := range tl {
		y += lh
		text(img, titleFace, white, left, y, l)
	}
	if c.Figure != "" {
		y += 30 + f.figure.Metrics().Ascent.Ceil()
		text(img, f.figure, yellow, left, y, fit(f.figure, c.Figure, right-left))
		ll := wrap(f.label, c.FigureLabel, right-left, 2)
		for _, l := range ll {
			y += f.label.Metrics().Height.Ceil() + 4
			text(img, f.label, pale, left, y, l)
		}
	}
	text(img, f.small, white, left, Height-38, fit(f.small, c.Footer, right-left))

	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func text(img draw.Image, face font.Face, col color.Color, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(col), Face: face, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

// wrap breaks s into at most max lines of at most width pixels; the last
// line ends with "…" when text was left out.
func wrap(face font.Face, s string, width, max int) []string {
	words := strings.Fields(s)
	var lines []string
	cur := ""
	for i, w := range words {
		try := w
		if cur != "" {
			try = cur + " " + w
		}
		if font.MeasureString(face, try).Ceil() <= width || cur == "" {
			cur = try
			continue
		}
		lines = append(lines, cur)
		cur = w
		if len(lines) == max {
			lines[max-1] = fit(face, lines[max-1]+" "+strings.Join(words[i:], " "), width)
			return lines
		}
	}
	if cur != "" {
		lines = append(lines, fit(face, cur, width))
	}
	if len(lines) > max {
		lines = lines[:max]
	}
	return lines
}

// fit cuts s to width pixels, ending it with "…" when it was cut.
func fit(face font.Face, s string, width int) string {
	if font.MeasureString(face, s).Ceil() <= width {
		return s
	}
	r := []rune(s)
	for len(r) > 0 && font.MeasureString(face, string(r)+"…").Ceil() > width {
		r = r[:len(r)-1]
	}
	return strings.TrimRight(string(r), " ,.;:") + "…"
}
