package congress

import "math"

// Point lookup works in the quantized integer space of the boundary file:
// the query point is mapped into it once, then tested against int32
// vertices. A bounding box per district and per ring rejects almost all
// rings before the even-odd crossing test runs.

// nearKm is how far outside every polygon a point may be and still be
// given the nearest district. The Census 1:500k boundaries are clipped to
// the shoreline, so piers, beaches and small islands can fall just outside;
// 10 km absorbs that without claiming points far out at sea.
const nearKm = 10.0

const kmPerDegree = 111.32 // length of one degree of latitude, roughly

type box struct{ minX, minY, maxX, maxY int32 }

func emptyBox() box {
	return box{math.MaxInt32, math.MaxInt32, math.MinInt32, math.MinInt32}
}

func (b *box) add(x, y int32) {
	b.minX, b.maxX = min(b.minX, x), max(b.maxX, x)
	b.minY, b.maxY = min(b.minY, y), max(b.maxY, y)
}

func (b *box) union(o box) {
	b.minX, b.maxX = min(b.minX, o.minX), max(b.maxX, o.maxX)
	b.minY, b.maxY = min(b.minY, o.minY), max(b.maxY, o.maxY)
}

// contains reports whether (x, y) is in the box grown by mx, my.
func (b box) contains(x, y, mx, my float64) bool {
	return x >= float64(b.minX)-mx && x <= float64(b.maxX)+mx &&
		y >= float64(b.minY)-my && y <= float64(b.maxY)+my
}

type geoRing struct {
	lo, hi int32 // point index range in geoIndex.pts (pairs)
	bbox   box
}

type geoDist struct {
	d        District
	res      *Result // filled in when the Directory is built
	rlo, rhi int32   // ring index range in geoIndex.rings
	bbox     box
}

// geoIndex holds all district boundaries in three flat slices, so the
// whole map costs one allocation per slice and the GC has few pointers to
// scan.
type geoIndex struct {
	tr    geoTransform
	pts   []int32 // x0, y0, x1, y1, ... quantized
	rings []geoRing
	dists []geoDist
}

// locate returns the index in g.dists of the district containing
// (lat, lon), or of the nearest district within nearKm, or -1.
func (g *geoIndex) locate(lat, lon float64) int {
	x := (lon - g.tr.TranslateX) / g.tr.ScaleX
	y := (lat - g.tr.TranslateY) / g.tr.ScaleY
	for i := range g.dists {
		gd := &g.dists[i]
		if gd.bbox.contains(x, y, 0, 0) && g.inside(gd, x, y) {
			return i
		}
	}
	// Nearest within nearKm, measured on a local equirectangular
	// projection (good to well under 1% at this distance).
	kx := g.tr.ScaleX * kmPerDegree * max(math.Cos(lat*math.Pi/180), 0.01) // km per quantized x unit
	ky := g.tr.ScaleY * kmPerDegree
	mx, my := nearKm/kx, nearKm/ky
	best, bestD2 := -1, nearKm*nearKm
	for i := range g.dists {
		gd := &g.dists[i]
		if !gd.bbox.contains(x, y, mx, my) {
			continue
		}
		for _, r := range g.rings[gd.rlo:gd.rhi] {
			if !r.bbox.contains(x, y, mx, my) {
				continue
			}
			if d2 := g.ringDist2(r, x, y, kx, ky); d2 <= bestD2 {
				best, bestD2 = i, d2
			}
		}
	}
	return best
}

// inside is the even-odd rule over all rings of the district. A ring whose
// box does not hold the point adds an even number of crossings, so it is
// skipped.
func (g *geoIndex) inside(gd *geoDist, x, y float64) bool {
	in := false
	for _, r := range g.rings[gd.rlo:gd.rhi] {
		if !r.bbox.contains(x, y, 0, 0) {
			continue
		}
		pts := g.pts[2*r.lo : 2*r.hi]
		n := len(pts)
		xj, yj := float64(pts[n-2]), float64(pts[n-1])
		for k := 0; k < n; k += 2 {
			xi, yi := float64(pts[k]), float64(pts[k+1])
			if (yi > y) != (yj > y) && x < (xj-xi)*(y-yi)/(yj-yi)+xi {
				in = !in
			}
			xj, yj = xi, yi
		}
	}
	return in
}

// ringDist2 is the squared distance in km² from (x, y) to the ring's
// edges, with kx, ky converting quantized units to km.
func (g *geoIndex) ringDist2(r geoRing, x, y, kx, ky float64) float64 {
	pts := g.pts[2*r.lo : 2*r.hi]
	n := len(pts)
	best := math.Inf(1)
	ax, ay := (float64(pts[n-2])-x)*kx, (float64(pts[n-1])-y)*ky
	for k := 0; k < n; k += 2 {
		bx, by := (float64(pts[k])-x)*kx, (float64(pts[k+1])-y)*ky
		// Distance from the origin (the query point) to segment a-b.
		dx, dy := bx-ax, by-ay
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = min(max(-(ax*dx+ay*dy)/l2, 0), 1)
		}
		px, py := ax+t*dx, ay+t*dy
		best = min(best, px*px+py*py)
		ax, ay = bx, by
	}
	return best
}
