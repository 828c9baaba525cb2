package cwc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
)

// RefreshActiveOffices loads the Senate's active-office list (GET
// {SenateURL}/api/active_offices/?apikey=KEY), replaces the set Accepts
// consults, and returns how many offices it holds. A scheduler calls it
// daily and before large campaigns; Accepts also calls it when the list is
// older than 24 hours. On error the previous list is kept.
//
// The answer public clients parse is a JSON array of objects, e.g.
//
//	[{"name": "Alex Padilla [bioguide_id: P000145]", "office_code": "SCA03"}, ...]
//
// (climatechangemakers/parse-congress-info ParseCWCActiveOffices.kt; EFF's
// lib/cwc/office.rb reads "office_code"). Unknown keys are ignored; a plain
// array of codes and a {"results": [...]} page are accepted too. An answer
// with no valid S-codes is an error rather than an empty list.
func (c *Client) RefreshActiveOffices(ctx context.Context) (int, error) {
	if c.senate == nil {
		return 0, errors.New("cwc: senate endpoint not configured")
	}
	const op = "GET /api/active_offices/"
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.senate.url("/api/active_offices/"), nil)
	if err != nil {
		return 0, fmt.Errorf("cwc: senate %s: bad request", op)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", userAgent)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, transportError("senate", op, err)
	}
	defer drainClose(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return 0, statusError("senate", op, resp)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return 0, transportError("senate", op, err)
	}
	codes, byBioguide, err := parseActiveOffices(raw)
	if err != nil {
		return 0, fmt.Errorf("cwc: senate %s: %w", op, err)
	}
	c.setActive(codes, byBioguide)
	return len(codes), nil
}

// SetActiveOffices replaces the Senate active-office set with codes (for
// callers that persist the list and reload it at start-up). The set counts
// as fresh from now; invalid codes are skipped.
func (c *Client) SetActiveOffices(codes []string) {
	c.setActive(codes, nil)
}

// ActiveOffices returns the current Senate active-office codes, sorted, so
// callers can persist them.
func (c *Client) ActiveOffices() []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := make([]string, 0, len(c.active))
	for code := range c.active {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

// SenateOfficeCodeFor returns the office code the active-office list gives
// the senator with this bioguide id, the authoritative way to form a
// senator's delivery.Office.Code. It needs a list loaded by
// RefreshActiveOffices (SetActiveOffices carries no names).
func (c *Client) SenateOfficeCodeFor(bioguideID string) (string, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	code, ok := c.byBioguide[strings.ToUpper(strings.TrimSpace(bioguideID))]
	return code, ok
}

func (c *Client) setActive(codes []string, byBioguide map[string]string) {
	set := make(map[string]bool, len(codes))
	for _, code := range codes {
		code = strings.ToUpper(strings.TrimSpace(code))
		if officeCodeRe.MatchString(code) && code[0] == 'S' {
			set[code] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.active = set
	c.byBioguide = byBioguide
	c.activeAt = c.now()
}

// refreshIfStale refreshes a missing or day-old list, once at a time and
// at most every failedRefreshBackoff after a failure.
func (c *Client) refreshIfStale(ctx context.Context) {
	fresh := func() bool {
		c.mu.RLock()
		defer c.mu.RUnlock()
		return !c.activeAt.IsZero() && c.now().Sub(c.activeAt) < staleAfter
	}
	if fresh() {
		return
	}
	c.refreshMu.Lock()
	defer c.refreshMu.Unlock()
	if fresh() {
		return // another caller refreshed while we waited
	}
	now := c.now()
	if !c.lastAttempt.IsZero() && now.Sub(c.lastAttempt) < failedRefreshBackoff {
		return
	}
	c.lastAttempt = now
	_, _ = c.RefreshActiveOffices(ctx) // on failure the old list stays in use
}

var bioguideInName = regexp.MustCompile(`\[bioguide_id:\s*([A-Za-z][0-9]{6})\s*\]`)

type activeOffice struct {
	Name       string `json:"name"`
	OfficeCode string `json:"office_code"`
}

func parseActiveOffices(raw []byte) ([]string, map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		var page struct {
			Results []json.RawMessage `json:"results"`
		}
		if err2 := json.Unmarshal(raw, &page); err2 != nil || page.Results == nil {
			return nil, nil, errors.New("answer is not a JSON list of offices")
		}
		list = page.Results
	}
	var codes []string
	byBioguide := map[string]string{}
	for _, item := range list {
		var o activeOffice
		if err := json.Unmarshal(item, &o); err != nil {
			if err := json.Unmarshal(item, &o.OfficeCode); err != nil {
				continue
			}
		}
		code := strings.ToUpper(strings.TrimSpace(o.OfficeCode))
		if !officeCodeRe.MatchString(code) || code[0] != 'S' {
			continue
		}
		codes = append(codes, code)
		if m := bioguideInName.FindStringSubmatch(o.Name); m != nil {
			byBioguide[strings.ToUpper(m[1])] = code
		}
	}
	if len(codes) == 0 {
		return nil, nil, errors.New("answer lists no Senate office codes")
	}
	return codes, byBioguide, nil
}
