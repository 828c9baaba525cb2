package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/outreach-org/outreach/internal/casestats"
)

// Statistics releases are immutable snapshots of the figures computed from
// the case records under disclosure control (casestats). The database
// refuses UPDATE and DELETE on them (migration 00004).

// Errors of release creation, meant for people.
var (
	ErrNoCases = errors.New("there are no case records to publish figures from")
	// ErrMixedData: the synthetic demonstration data set is public (a fixed
	// seed in the source code), so a release over demonstration and real
	// records together would let anyone subtract the known demonstration
	// counts and learn about the real ones.
	ErrMixedData = errors.New("the case records mix synthetic demonstration records with real ones: remove the demonstration records before publishing figures")
	// ErrReleaseChanged: the figures differ from the ones previewed (the
	// records changed in between); preview again.
	ErrReleaseChanged = errors.New("the case records changed since the preview: check the new figures and confirm again")
	// ErrRealData: seed-demo does not add demonstration records to real ones.
	ErrRealData = errors.New("the database already holds real case records: demonstration data is not mixed with them")
)

// Release is one published snapshot.
type Release struct {
	ID        int64
	CreatedAt time.Time
	CreatedBy int64 // staff user id; 0 for the command line or a scheduler
	Params    casestats.Params
	CaseCount int64 // exact number of records: for staff, never published
	Synthetic bool  // computed from synthetic demonstration records
	// Figures is the public content (nil in lists from Releases).
	Figures *casestats.Figures
	// JSON is the stored public JSON of Figures, byte for byte.
	JSON []byte
	// HeldBack: set by CreateRelease only (see ReleasePreview.HeldBack).
	HeldBack []string
}

type releaseRow struct {
	ID        int64 `gorm:"primaryKey"`
	CreatedAt time.Time
	CreatedBy *int64
	Params    string
	CaseCount int64
	Synthetic bool
	Figures   string
}

func (releaseRow) TableName() string { return "stats_releases" }

type paramsJSON struct {
	Threshold      int `json:"threshold"`
	Rounding       int `json:"rounding"`
	MinDenominator int `json:"min_denominator"`
}

func (r releaseRow) release(withFigures bool) (Release, error) {
	rel := Release{ID: r.ID, CreatedAt: r.CreatedAt.UTC(), CaseCount: r.CaseCount, Synthetic: r.Synthetic}
	if r.CreatedBy != nil {
		rel.CreatedBy = *r.CreatedBy
	}
	var p paramsJSON
	if err := json.Unmarshal([]byte(r.Params), &p); err != nil {
		return rel, fmt.Errorf("release %d: params: %w", r.ID, err)
	}
	rel.Params = casestats.Params{Threshold: p.Threshold, Rounding: p.Rounding, MinDenominator: p.MinDenominator}
	if withFigures {
		var f casestats.Figures
		if err := json.Unmarshal([]byte(r.Figures), &f); err != nil {
			return rel, fmt.Errorf("release %d: figures: %w", r.ID, err)
		}
		rel.Figures, rel.JSON = &f, []byte(r.Figures)
	}
	return rel, nil
}

// lockReleases serialises release creation across replicas, so that
// every new release is checked against all earlier ones.
func (s *Store) lockReleases(tx *gorm.DB) error { return s.xactLock(tx, lockReleases) }

// ReleasePreview is what a release would publish now.
type ReleasePreview struct {
	Params      casestats.Params // with defaults applied
	Figures     *casestats.Figures
	CaseCount   int64
	Synthetic   bool
	Fingerprint string // of the figures: CreateRelease can insist on them
	// HeldBack lists the keys of the counts held back because of an
	// earlier release (for staff: which changes were too small to show).
	HeldBack []string
}

// ReleaseRequest asks for a new release.
type ReleaseRequest struct {
	Params casestats.Params
	// Expect, when set, is the Fingerprint of a preview: the release is
	// made only if its figures are exactly the previewed ones
	// (ErrReleaseChanged otherwise).
	Expect string
}

// Fingerprint identifies a release's figures (the hash of their JSON).
func Fingerprint(figuresJSON []byte) string {
	sum := sha256.Sum256(figuresJSON)
	return hex.EncodeToString(sum[:16])
}

// PreviewRelease computes the figures a release would publish now,
// without storing anything.
func (s *Store) PreviewRelease(ctx context.Context, p casestats.Params) (ReleasePreview, error) {
	var pv ReleasePreview
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		pv, _, err = s.computeRelease(tx, p)
		return err
	})
	return pv, err
}

// CreateRelease computes the figures from all case records and stores them
// as a new release, with an audit entry (a.Action defaults to
// "stats.release"; a.ActorID is recorded as the creator). It is what the
// command line, the staff page and a scheduler call.
func (s *Store) CreateRelease(ctx context.Context, req ReleaseRequest, a Audit) (Release, error) {
	var rel Release
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var err error
		rel, err = s.createReleaseTx(tx, req, a)
		return err
	})
	return rel, err
}

func (s *Store) createReleaseTx(tx *gorm.DB, req ReleaseRequest, a Audit) (Release, error) {
	if err := s.lockReleases(tx); err != nil {
		return Release{}, err
	}
	pv, js, err := s.computeRelease(tx, req.Params)
	if err != nil {
		return Release{}, err
	}
	if req.Expect != "" && req.Expect != pv.Fingerprint {
		return Release{}, ErrReleaseChanged
	}
	pj, _ := json.Marshal(paramsJSON{pv.Params.Threshold, pv.Params.Rounding, pv.Params.MinDenominator})
	row := releaseRow{CreatedAt: time.Now().UTC().Truncate(time.Microsecond), Params: string(pj), CaseCount: pv.CaseCount,
		Synthetic: pv.Synthetic, Figures: string(js)}
	if a.ActorID != 0 {
		id := a.ActorID
		row.CreatedBy = &id
	}
	if err := tx.Create(&row).Error; err != nil {
		return Release{}, fmt.Errorf("store: create release tx: %w", err)
	}
	if a.Action == "" {
		a.Action = "stats.release"
	}
	a.ObjectType, a.ObjectID = "stats_release", strconv.FormatInt(row.ID, 10)
	a.Detail = "synthetic=" + strconv.FormatBool(row.Synthetic)
	if err := writeAudit(tx, a); err != nil {
		return Release{}, err
	}
	rel := Release{ID: row.ID, CreatedAt: row.CreatedAt, CreatedBy: a.ActorID, Params: pv.Params, CaseCount: pv.CaseCount,
		Synthetic: pv.Synthetic, Figures: pv.Figures, JSON: js, HeldBack: pv.HeldBack}
	// Campaigns whose letters print a figure this release does not
	// publish are held; those it publishes again are released.
	if err := s.refreshHolds(tx, &rel, 0); err != nil {
		return Release{}, err
	}
	return rel, nil
}

// computeRelease counts the records and applies disclosure control,
// checking against the earlier releases of the same kind (synthetic or
// real).
func (s *Store) computeRelease(tx *gorm.DB, p casestats.Params) (ReleasePreview, []byte, error) {
	p, err := p.WithDefaults()
	if err != nil {
		return ReleasePreview{}, nil, err
	}
	c, counts, err := countRecords(tx)
	if err != nil {
		return ReleasePreview{}, nil, err
	}
	if counts.Total == 0 {
		return ReleasePreview{}, nil, ErrNoCases
	}
	if counts.Synthetic > 0 && counts.Synthetic < counts.Total {
		return ReleasePreview{}, nil, ErrMixedData
	}
	synthetic := counts.Synthetic > 0
	var prevRows []releaseRow
	if err := tx.Select("id", "figures").Where("synthetic = ?", synthetic).Order("id").Find(&prevRows).Error; err != nil {
		return ReleasePreview{}, nil, fmt.Errorf("store: compute release: %w", err)
	}
	prev := make([]*casestats.Figures, 0, len(prevRows))
	for _, r := range prevRows {
		var f casestats.Figures
		if err := json.Unmarshal([]byte(r.Figures), &f); err != nil {
			return ReleasePreview{}, nil, fmt.Errorf("decode release %d: %w", r.ID, err)
		}
		prev = append(prev, &f)
	}
	f, err := c.Figures(p, prev...)
	var tooClose *casestats.TooCloseError
	if errors.As(err, &tooClose) && tooClose.Previous >= 0 && tooClose.Previous < len(prevRows) {
		tooClose.ReleaseID = prevRows[tooClose.Previous].ID
	}
	if err != nil {
		return ReleasePreview{}, nil, err
	}
	js, err := json.Marshal(f)
	if err != nil {
		return ReleasePreview{}, nil, err
	}
	return ReleasePreview{Params: p, Figures: f, CaseCount: counts.Total, Synthetic: synthetic, Fingerprint: Fingerprint(js),
		HeldBack: f.HeldBack()}, js, nil
}

// aggregateSQL counts the records in one statement (one snapshot) with two
// GROUP BYs: over the table fields (and the synthetic flag), and over all
// the other fields. Each is a union of casestats margins, and together they
// determine the figures (casestats.Counter.AddMargin): far fewer groups
// than a GROUP BY over all 13 columns, and PostgreSQL runs the two halves
// in parallel.
var tableFields, otherFields = func() ([]string, []string) {
	t := casestats.TableFields()
	var o []string
	for _, f := range casestats.Fields {
		if !slices.Contains(t, f) {
			o = append(o, f)
		}
	}
	return t, o
}()

var aggregateSQL = func() string {
	sel := func(part int, group []string, synthetic string) string {
		cols := make([]string, 0, len(casestats.Fields))
		for _, f := range casestats.Fields {
			if slices.Contains(group, f) {
				cols = append(cols, f)
			} else {
				cols = append(cols, "'' AS "+f)
			}
		}
		g := strings.Join(group, ", ")
		if synthetic == "synthetic" {
			g += ", synthetic"
		}
		return fmt.Sprintf("SELECT %d AS part, %s, %s AS synthetic, COUNT(*) AS n FROM case_records GROUP BY %s",
			part, strings.Join(cols, ", "), synthetic, g)
	}
	return sel(1, tableFields, "synthetic") + " UNION ALL " + sel(2, otherFields, "FALSE")
}()

func countRecords(tx *gorm.DB) (*casestats.Counter, CaseCounts, error) {
	var c casestats.Counter
	var counts CaseCounts
	rows, err := tx.Raw(aggregateSQL).Rows()
	if err != nil {
		return nil, counts, fmt.Errorf("store: count records: %w", err)
	}
	defer rows.Close()
	var (
		part      int
		r         casestats.Record
		synthetic bool
		n         int64
	)
	dest := []any{&part, &r.Quarter, &r.State, &r.ChildAgeBracket, &r.FacilityType, &r.FormPresented, &r.FormPremarked,
		&r.FormEnglishOnly, &r.LanguageBarrier, &r.ToldNoRights, &r.ThreatenedPermanentSeparation, &r.CredibleFear,
		&r.AsylumClaim, &r.Outcome, &synthetic, &n}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return nil, counts, fmt.Errorf("store: count records: %w", err)
		}
		fields := otherFields
		if part == 1 {
			fields = tableFields
			counts.Total += n
			if synthetic {
				counts.Synthetic += n
			}
		}
		if err := c.AddMargin(r, n, fields...); err != nil {
			return nil, counts, err
		}
	}
	return &c, counts, rows.Err()
}

// LatestRelease returns the newest release with its figures (ErrNotFound
// when none has been made).
func (s *Store) LatestRelease(ctx context.Context) (Release, error) {
	var row releaseRow
	err := s.db.WithContext(ctx).Order("id DESC").Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Release{}, ErrNotFound
	}
	if err != nil {
		return Release{}, fmt.Errorf("store: latest release: %w", err)
	}
	return row.release(true)
}

// ReleaseByID returns one release with its figures.
func (s *Store) ReleaseByID(ctx context.Context, id int64) (Release, error) {
	var row releaseRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&row).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Release{}, ErrNotFound
	}
	if err != nil {
		return Release{}, fmt.Errorf("store: release by id %d: %w", id, err)
	}
	return row.release(true)
}

// Releases lists releases newest first, without their figures.
func (s *Store) Releases(ctx context.Context, limit int) ([]Release, error) {
	if limit <= 0 {
		limit = 100
	}
	var rows []releaseRow
	if err := s.db.WithContext(ctx).Omit("figures").Order("id DESC").Limit(limit).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("store: releases: %w", err)
	}
	out := make([]Release, len(rows))
	for i, r := range rows {
		rel, err := r.release(false)
		if err != nil {
			return nil, err
		}
		out[i] = rel
	}
	return out, nil
}

// DemoOptions size the synthetic demonstration data set.
type DemoOptions struct {
	Records int    // 4,000 when 0
	Seed    uint64 // 2018 when 0
}

// DemoResult says what SeedDemo did.
type DemoResult struct {
	Seeded  bool // false: synthetic records were already there
	Records int
	Release Release
}

// SeedDemo loads the synthetic demonstration data set (marked synthetic)
// and publishes a release from it, in one transaction. It does nothing when
// synthetic records already exist, and refuses (ErrRealData) when real
// records do.
func (s *Store) SeedDemo(ctx context.Context, opt DemoOptions, a Audit) (DemoResult, error) {
	if opt.Records <= 0 {
		opt.Records = 4000
	}
	if opt.Seed == 0 {
		opt.Seed = 2018
	}
	var res DemoResult
	err := s.connTx(ctx, func(tx *gorm.DB, conn *sql.Conn) error {
		if err := s.lockReleases(tx); err != nil {
			return err
		}
		counts, err := countCases(tx)
		if err != nil {
			return err
		}
		if counts.Synthetic > 0 {
			return nil
		}
		if counts.Total > 0 {
			return ErrRealData
		}
		in := newInserter(tx, conn, true)
		for r := range casestats.Synthetic(opt.Records, opt.Seed) {
			if err := in.add(r); err != nil {
				return err
			}
		}
		if err := in.flush(); err != nil {
			return err
		}
		if err := writeCaseAudit(tx, Audit{ActorID: a.ActorID, Action: "case.seed_demo"}, "", "", in.count); err != nil {
			return err
		}
		rel, err := s.createReleaseTx(tx, ReleaseRequest{}, Audit{ActorID: a.ActorID, Action: "stats.release.demo"})
		if err != nil {
			return err
		}
		res = DemoResult{Seeded: true, Records: in.count, Release: rel}
		return nil
	})
	return res, err
}

// DemoNeeded reports whether the database has neither case records nor a
// release (a new install, which serve fills with demonstration data).
func (s *Store) DemoNeeded(ctx context.Context) (bool, error) {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&releaseRow{}).Limit(1).Count(&n).Error; err != nil || n > 0 {
		return false, err
	}
	var id []int64
	if err := db.Model(&caseRow{}).Limit(1).Pluck("id", &id).Error; err != nil {
		return false, fmt.Errorf("store: demo needed: %w", err)
	}
	return len(id) == 0, nil
}
