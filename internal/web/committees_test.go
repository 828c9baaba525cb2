package web_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/web"
)

// TestAPIRepresentativesCommittees: each member of a lookup lists their
// committee seats, subcommittee seats naming the parent, with the role.
func TestAPIRepresentativesCommittees(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, body := f.get(t, "/api/v1/representatives?zip=94110")
	var a struct {
		Members []struct {
			BioguideID string `json:"bioguide_id"`
			Committees []struct {
				CommitteeID    string `json:"committee_id"`
				Committee      string `json:"committee"`
				SubcommitteeID string `json:"subcommittee_id"`
				Subcommittee   string `json:"subcommittee"`
				Role           string `json:"role"`
				Title          string `json:"title"`
			} `json:"committees"`
		} `json:"members"`
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range a.Members {
		if m.Committees == nil {
			t.Errorf("%s: committees must be a list, never null", m.BioguideID)
		}
		if m.BioguideID != "P000145" {
			continue
		}
		for _, c := range m.Committees {
			got = append(got, c.CommitteeID+"/"+c.SubcommitteeID+" "+c.Role+" "+c.Title)
			if c.CommitteeID == "SSJU" && c.Committee != "Senate Committee on the Judiciary" {
				t.Errorf("SSJU named %q", c.Committee)
			}
			if c.SubcommitteeID == "SSJU04" && c.Subcommittee != "Subcommittee on Border Security and Immigration" {
				t.Errorf("SSJU04 named %q", c.Subcommittee)
			}
		}
	}
	for _, want := range []string{"SSJU/ member ", "SSJU/SSJU04 ranking_member Ranking Member", "SSRA/ ranking_member Ranking Member"} {
		found := false
		for _, g := range got {
			found = found || g == want
		}
		if !found {
			t.Errorf("Padilla's seats lack %q: %v", want, got)
		}
	}
}

// TestLookupPageCommittees: the lookup page lists the seats with roles,
// in English and Spanish.
func TestLookupPageCommittees(t *testing.T) {
	f := newServer(t, web.Deps{})
	_, body := f.get(t, "/?q=94110")
	for _, want := range []string{"Senate Committee on the Judiciary", "Subcommittee on Border Security and Immigration · <strong>Ranking member</strong>", `class="committees"`} {
		if !strings.Contains(body, want) {
			t.Errorf("lookup page lacks %q", want)
		}
	}
	_, body = f.get(t, "/?q=94110&lang=es")
	for _, want := range []string{"Comités", "Subcommittee on Border Security and Immigration · <strong>Líder de la minoría</strong>"} {
		if !strings.Contains(body, want) {
			t.Errorf("Spanish lookup page lacks %q", want)
		}
	}
}
