package web

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/outreach-org/outreach/internal/casestats"
	"github.com/outreach-org/outreach/internal/store"
)

// statsCache keeps the published releases in memory so that the public
// page and API answer without a database round trip: the latest release
// and the list for ttl (several replicas each notice a new release within
// ttl; the replica that made it forgets at once), and releases by id for
// good (they never change).
type statsCache struct {
	st  *store.Store // nil when the server runs without one (tests of the lookup pages): no releases
	now func() time.Time
	ttl time.Duration

	mu       sync.Mutex
	latest   *publicRelease // nil with latestAt set: there is none
	latestAt time.Time
	list     []byte
	listAt   time.Time
	byID     map[int64]*publicRelease
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
	return &statsCache{st: st, now: now, ttl: ttl, byID: map[int64]*publicRelease{}}
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
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.latestAt.IsZero() && c.now().Sub(c.latestAt) < c.ttl {
		if c.latest == nil {
			return nil, store.ErrNotFound
		}
		return c.latest, nil
	}
	if c.st == nil {
		return nil, store.ErrNotFound
	}
	r, err := c.st.LatestRelease(ctx)
	if errors.Is(err, store.ErrNotFound) {
		c.latest, c.latestAt = nil, c.now()
		return nil, err
	}
	if err != nil {
		return nil, err // database errors are not remembered
	}
	pr, err := newPublicRelease(r)
	if err != nil {
		return nil, err
	}
	c.latest, c.latestAt = pr, c.now()
	return pr, nil
}

// ByID returns one release, or store.ErrNotFound.
func (c *statsCache) ByID(ctx context.Context, id int64) (*publicRelease, error) {
	c.mu.Lock()
	pr, ok := c.byID[id]
	c.mu.Unlock()
	if ok {
		return pr, nil
	}
	if c.st == nil {
		return nil, store.ErrNotFound
	}
	r, err := c.st.ReleaseByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if pr, err = newPublicRelease(r); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.byID) >= 64 {
		clear(c.byID)
	}
	c.byID[id] = pr
	c.mu.Unlock()
	return pr, nil
}

// List returns the API body listing the releases (no counts of anything).
func (c *statsCache) List(ctx context.Context) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.list != nil && c.now().Sub(c.listAt) < c.ttl {
		return c.list, nil
	}
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
	b, err := json.Marshal(out)
	if err != nil {
		return nil, err
	}
	c.list, c.listAt = b, c.now()
	return b, nil
}

// Invalidate forgets the latest release and the list (after creating one).
func (c *statsCache) Invalidate() {
	c.mu.Lock()
	c.latest, c.latestAt, c.list = nil, time.Time{}, nil
	c.mu.Unlock()
}
