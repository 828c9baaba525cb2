package web

import (
	"context"
	"encoding/json"
	"math"
	"time"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/ttlcache"
)

// statsCache keeps the published releases in memory so that the public
// page and API answer without a database round trip: the latest release
// and the list for ttl (several replicas each notice a new release within
// ttl; the replica that made it forgets at once), and releases by id for
// good (they never change).
type statsCache struct {
	st     *store.Store // nil when the server runs without one (tests of the lookup pages): no releases
	latest *ttlcache.Cache[string, found[*publicRelease]]
	list   *ttlcache.Cache[string, []byte]
	byID   *ttlcache.Cache[int64, *publicRelease] // never stale: a release never changes
}

// publicRelease is a release as the public sees it, with its API body
// encoded once.
type publicRelease struct {
	store.Release
	body []byte
}

// releaseJSON is the public shape of a release: the casestats figures with
// the release id, its date and whether it is synthetic.
type releaseJSON struct {
	ReleaseID int64  `json:"release_id"`
	AsOf      string `json:"as_of"`
	Synthetic bool   `json:"synthetic"`
	*casestats.Figures
}

type releaseListJSON struct {
	ReleaseID int64      `json:"release_id"`
	AsOf      string     `json:"as_of"`
	Synthetic bool       `json:"synthetic"`
	Params    paramsJSON `json:"params"`
}

type paramsJSON struct {
	Threshold      int `json:"threshold"`
	Rounding       int `json:"rounding"`
	MinDenominator int `json:"min_denominator"`
}

func asOf(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func newStatsCache(st *store.Store, now func() time.Time, ttl time.Duration) *statsCache {
	return &statsCache{st: st, latest: ttlcache.New[string, found[*publicRelease]](ttl, 1, now),
		list: ttlcache.New[string, []byte](ttl, 1, now), byID: ttlcache.New[int64, *publicRelease](math.MaxInt64, 64, now)}
}

func newPublicRelease(r store.Release) (*publicRelease, error) {
	b, err := json.Marshal(releaseJSON{ReleaseID: r.ID, AsOf: asOf(r.CreatedAt), Synthetic: r.Synthetic, Figures: r.Figures})
	if err != nil {
		return nil, err
	}
	return &publicRelease{Release: r, body: b}, nil
}

// Latest returns the newest release, or store.ErrNotFound.
func (c *statsCache) Latest(ctx context.Context) (*publicRelease, error) {
	return loadFound(ctx, c.latest, "latest", func(ctx context.Context) (*publicRelease, error) {
		if c.st == nil {
			return nil, store.ErrNotFound
		}
		r, err := c.st.LatestRelease(ctx)
		if err != nil {
			return nil, err
		}
		return newPublicRelease(r)
	})
}

// ByID returns one release, or store.ErrNotFound.
func (c *statsCache) ByID(ctx context.Context, id int64) (*publicRelease, error) {
	return c.byID.Load(ctx, id, func(ctx context.Context) (*publicRelease, error) {
		if c.st == nil {
			return nil, store.ErrNotFound
		}
		r, err := c.st.ReleaseByID(ctx, id)
		if err != nil {
			return nil, err
		}
		return newPublicRelease(r)
	})
}

// List returns the API body listing the releases (no counts of anything).
func (c *statsCache) List(ctx context.Context) ([]byte, error) {
	return c.list.Load(ctx, "list", c.loadList)
}

func (c *statsCache) loadList(ctx context.Context) ([]byte, error) {
	var rels []store.Release
	if c.st != nil {
		var err error
		if rels, err = c.st.Releases(ctx, 1000); err != nil {
			return nil, err
		}
	}
	out := struct {
		Releases []releaseListJSON `json:"releases"`
	}{Releases: make([]releaseListJSON, len(rels))}
	for i, r := range rels {
		out.Releases[i] = releaseListJSON{ReleaseID: r.ID, AsOf: asOf(r.CreatedAt), Synthetic: r.Synthetic,
			Params: paramsJSON{r.Params.Threshold, r.Params.Rounding, r.Params.MinDenominator}}
	}
	return json.Marshal(out)
}

// Invalidate forgets the latest release and the list (after creating one).
func (c *statsCache) Invalidate() {
	c.latest.Clear()
	c.list.Clear()
}
