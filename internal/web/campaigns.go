package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/congress"
	"github.com/outreach-org/outreach/internal/letter"
	"github.com/outreach-org/outreach/internal/store"
)

// campaignRoutes registers the staff pages and the JSON API of campaigns.
// Reading needs PermViewCampaigns (organizers too); changing anything,
// and the live preview of unsaved text, needs PermEditCampaigns.
func (s *Server) campaignRoutes(adm, api *echo.Group) {
	view, edit := auth.PermViewCampaigns, auth.PermEditCampaigns
	s.staff(adm, http.MethodGet, "/campaigns", view, s.campaignsPage)
	s.staff(adm, http.MethodGet, "/campaigns/new", edit, s.newCampaignPage)
	s.staff(adm, http.MethodPost, "/campaigns", edit, s.createCampaign)
	s.staff(adm, http.MethodPost, "/campaigns/preview", edit, s.livePreview)
	s.staff(adm, http.MethodGet, "/campaigns/:id", view, s.campaignPage)
	s.staff(adm, http.MethodPost, "/campaigns/:id", edit, s.updateCampaign)
	s.staff(adm, http.MethodGet, "/campaigns/:id/preview", view, s.campaignPreviewPage)
	s.staff(adm, http.MethodGet, "/campaigns/:id/versions", view, s.campaignVersionsPage)
	s.staff(adm, http.MethodGet, "/campaigns/:id/versions/diff", view, s.campaignDiffPage)

	s.staff(api, http.MethodGet, "/campaigns", view, s.apiCampaigns)
	s.staff(api, http.MethodPost, "/campaigns", edit, s.apiCreateCampaign)
	s.staff(api, http.MethodGet, "/campaigns/:id", view, s.apiCampaign)
	s.staff(api, http.MethodPut, "/campaigns/:id", edit, s.apiUpdateCampaign)
	s.staff(api, http.MethodGet, "/campaigns/:id/preview", view, s.apiCampaignPreview)
	s.staff(api, http.MethodGet, "/campaigns/:id/versions", view, s.apiCampaignVersions)
	s.staff(api, http.MethodGet, "/campaigns/:id/versions/diff", view, s.apiCampaignDiff)
}

// statsProvider is where previews get their statistics: the latest
// published release, exactly what a supporter's letter would quote now.
// Before any release exists, previews quote campaign.SampleStats (clearly
// marked sample values, release id 0).
func (s *Server) statsProvider() campaign.StatsProvider { return releaseStats{s} }

type releaseStats struct{ s *Server }

func (r releaseStats) Latest(ctx context.Context) (letter.StatSource, int64, error) {
	rel, err := r.s.cachedRelease(ctx)
	if err != nil {
		return nil, 0, err
	}
	if rel.Figures == nil {
		return campaign.SampleStats{}.Latest(ctx)
	}
	return rel, rel.ID, nil
}

// latestRelease reads the latest statistics release from the database
// (not the cache: saving a campaign checks its letter against exactly the
// release in force), or the zero Release when none exists.
func (s *Server) latestRelease(ctx context.Context) (campaign.Release, error) {
	r, err := s.deps.Store.LatestRelease(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return campaign.Release{}, nil
	}
	if err != nil {
		return campaign.Release{}, err
	}
	return campaign.Release{ID: r.ID, AsOf: r.CreatedAt, Synthetic: r.Synthetic, Figures: r.Figures}, nil
}

// validateCampaign is campaign.ValidateWith against the latest release: a
// letter that would print a figure the release does not publish is
// refused, naming the statistic, with the form kept as typed.
func (s *Server) validateCampaign(ctx context.Context, next, prev *campaign.Campaign) error {
	rel, err := s.latestRelease(ctx)
	if err != nil {
		return err
	}
	_, err = campaign.ValidateWith(next, prev, rel)
	// Committee and office ids are checked against the data in force.
	if ids := next.Targets.CheckIDs(s.deps.Congress); len(ids) > 0 {
		var ve *campaign.ValidationError
		switch {
		case err == nil:
			return &campaign.ValidationError{Errors: ids}
		case errors.As(err, &ve) && !ve.Conflict:
			ve.Errors = append(ve.Errors, ids...)
		}
	}
	return err
}

// loadCampaign reads the campaign named by the :id parameter.
func (s *Server) loadCampaign(c echo.Context) (campaign.Campaign, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return campaign.Campaign{}, err
	}
	return s.deps.Store.Campaign(c.Request().Context(), id)
}

// writeValidation answers a refused campaign: 422 (409 for a conflict
// with stored data) with every field error, as JSON for the API and as
// the error page otherwise (forms show their errors themselves). It is
// called by the one error handler.
func (s *Server) writeValidation(c echo.Context, ve *campaign.ValidationError) {
	status := http.StatusUnprocessableEntity
	if ve.Conflict {
		status = http.StatusConflict
	}
	msg := ve.Error()
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if isAPI(c) {
		errs := ve.Errors
		if errs == nil {
			errs = []campaign.FieldError{}
		}
		body := map[string]any{"error": msg, "field_errors": errs}
		if ve.ValidFields != nil {
			body["valid_fields"], body["valid_stat_keys"] = ve.ValidFields, ve.ValidStatKeys
		}
		if err := c.JSON(status, body); err != nil {
			s.log.Warn("write error response", "err", err)
		}
		return
	}
	if err := s.render(c, status, "error", errorView{Message: msg}, false); err != nil {
		_ = c.String(status, msg)
	}
}

// refused collects field errors found while reading input (times that do
// not parse, say) before campaign.Validate adds its own.
type refused []campaign.FieldError

func (r *refused) add(field, msg string) {
	*r = append(*r, campaign.FieldError{Field: field, Message: msg})
}

// merge returns one ValidationError with r's errors and err's (err may be
// nil or a *campaign.ValidationError; anything else is returned as is).
func (r refused) merge(err error) error {
	if err == nil && len(r) == 0 {
		return nil
	}
	ve, ok := err.(*campaign.ValidationError)
	if err != nil && !ok {
		return err
	}
	out := &campaign.ValidationError{Errors: slices.Clone(r)}
	if ve != nil {
		out.Errors = append(out.Errors, ve.Errors...)
		out.ValidFields, out.ValidStatKeys, out.Conflict = ve.ValidFields, ve.ValidStatKeys, ve.Conflict
	}
	return out
}

// Times: the API takes RFC 3339; the form's datetime-local inputs are UTC.
const formTime = "2006-01-02T15:04"

func parseAPITime(r *refused, field string, v *string) *time.Time {
	if v == nil || strings.TrimSpace(*v) == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(*v))
	if err != nil {
		r.add(field, "must be a date and time like 2026-06-01T14:00:00Z (RFC 3339)")
		return nil
	}
	return &t
}

func parseFormTime(r *refused, field, v string) *time.Time {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil
	}
	for _, layout := range []string{formTime, formTime + ":05", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return &t
		}
	}
	r.add(field, "must be a date and time like 2026-06-01T14:00 (UTC)")
	return nil
}

// Members for previews.

// memberLabel names a member in choosers: "Sen. Alex Padilla (D, CA)",
// "Rep. Nancy Pelosi (D, CA-11)", "Del. Eleanor Holmes Norton (D, DC delegate)".
func memberLabel(m *congress.Member) string {
	prefix := map[string]string{"Senator": "Sen.", "Representative": "Rep.", "Delegate": "Del.", "Resident Commissioner": "Res. Comm."}[m.Title]
	if prefix == "" {
		prefix = m.Title
	}
	seat := m.State
	if d, ok := m.Seat(); ok {
		seat = d.Label()
	}
	party := ""
	if m.Party != "" {
		party = m.Party[:1] + ", "
	}
	return fmt.Sprintf("%s %s (%s%s)", prefix, m.Name, party, seat)
}

// exampleMembers are offered before anyone searches: the first senator,
// representative, delegate and resident commissioner of the directory, so
// each kind of salutation can be checked at once.
func (s *Server) exampleMembers() []*congress.Member {
	var out []*congress.Member
	seen := map[string]bool{}
	for _, m := range s.deps.Congress.Members() {
		if !seen[m.Title] {
			seen[m.Title] = true
			out = append(out, m)
		}
	}
	return out
}

// maxMatches caps the member chooser.
const maxMatches = 60

// pickMember finds the members matching q (the examples when q is empty)
// and the one to preview: the member id if it is among them (or, with
// no query, any real member), else the first match the campaign writes
// to, else the first match. m is nil when nothing matches.
func (s *Server) pickMember(q, id string, targets campaign.Targets) (matches []*congress.Member, m *congress.Member) {
	q = strings.TrimSpace(q)
	if q == "" {
		matches = s.exampleMembers()
		if chosen, ok := s.deps.Congress.Member(strings.TrimSpace(id)); ok {
			if !slices.Contains(matches, chosen) {
				matches = append([]*congress.Member{chosen}, matches...)
			}
			return matches, chosen
		}
	} else {
		matches = campaign.FindMembers(s.deps.Congress.Members(), stateNames, q, maxMatches)
	}
	for _, x := range matches {
		if x.BioguideID == id {
			return matches, x
		}
	}
	for _, x := range matches {
		if targets.Reaches(s.deps.Congress, x) {
			return matches, x
		}
	}
	if len(matches) > 0 {
		return matches, matches[0]
	}
	return nil, nil
}
