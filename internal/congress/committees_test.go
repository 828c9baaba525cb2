package congress

import (
	"os"
	"strings"
	"testing"
)

// fixtureMembers are the current members the fixture's seats name.
func fixtureMembers() []*Member {
	return []*Member{
		{BioguideID: "D000563", Name: "Richard J. Durbin", State: "IL", Chamber: Senate},
		{BioguideID: "G000386", Name: "Chuck Grassley", State: "IA", Chamber: Senate},
		{BioguideID: "P000145", Name: "Alex Padilla", State: "CA", Chamber: Senate},
	}
}

func readFixture(t *testing.T) (c, m []byte) {
	t.Helper()
	c, err := os.ReadFile("testdata/committees-current.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m, err = os.ReadFile("testdata/committee-membership-current.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return c, m
}

// TestParseCommitteesFixture reads a small file in the upstream format:
// subcommittee ids join the parent's, names become full names, seats are
// ordered majority first by rank, and titles map to roles.
func TestParseCommitteesFixture(t *testing.T) {
	cb, mb := readFixture(t)
	cs, err := parseCommittees("committees-current.yaml", cb, "committee-membership-current.yaml", mb, fixtureMembers())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID+"|"+c.ParentID+"|"+c.Chamber+"|"+c.Name)
	}
	want := []string{
		"SSJU||senate|Senate Committee on the Judiciary",
		"SSJU21|SSJU|senate|Subcommittee on the Constitution",
		"SSJU04|SSJU|senate|Subcommittee on Border Security and Immigration",
		"SSGA||senate|Senate Committee on Homeland Security and Governmental Affairs",
		"SSGA01|SSGA|senate|Permanent Subcommittee on Investigations",
		"JSEC||joint|Joint Economic Committee",
	}
	if strings.Join(ids, "\n") != strings.Join(want, "\n") {
		t.Fatalf("committees:\n%s\nwant\n%s", strings.Join(ids, "\n"), strings.Join(want, "\n"))
	}
	ju := cs[0]
	if len(ju.Seats) != 3 || ju.Seats[0].BioguideID != "G000386" || ju.Seats[1].BioguideID != "D000563" || ju.Seats[2].BioguideID != "P000145" {
		t.Fatalf("SSJU seats not majority-first by rank: %+v", ju.Seats)
	}
	for i, role := range []string{RoleChair, RoleRankingMember, RoleMember} {
		if got := ju.Seats[i].Role(); got != role {
			t.Errorf("seat %d role %q, want %q", i, got, role)
		}
	}
	if r := cs[4].Seats[0].Role(); r != RoleChair {
		t.Errorf("Cochairman is role %q, want chair", r)
	}
	if r := cs[5].Seats[0].Role(); r != RoleExOfficio {
		t.Errorf("Ex Officio is role %q", r)
	}
	if len(cs[1].Seats) != 0 || cs[1].Seats == nil {
		t.Errorf("a subcommittee without seats should have an empty, non-nil list: %#v", cs[1].Seats)
	}

	// The encoded form loads into a directory that answers by member.
	b, err := encodeCommittees(cs)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeCommittees(b)
	if err != nil {
		t.Fatal(err)
	}
	dir := &Directory{byID: map[string]*Member{}}
	for _, m := range fixtureMembers() {
		dir.byID[m.BioguideID] = m
	}
	if err := dir.buildCommittees(back); err != nil {
		t.Fatal(err)
	}
	seats := dir.SeatsOf("P000145")
	if len(seats) != 3 || seats[1].Committee.ID != "SSJU04" || seats[1].Parent == nil || seats[1].Parent.ID != "SSJU" || seats[1].Role() != RoleRankingMember {
		t.Fatalf("Padilla's seats: %+v", seats)
	}
	if l := dir.Leaders("SSJU"); len(l) != 2 || l[0].BioguideID != "G000386" || l[1].BioguideID != "D000563" {
		t.Errorf("leaders: %v", l)
	}
}

func TestParseCommitteesErrors(t *testing.T) {
	cb, mb := readFixture(t)
	for name, tc := range map[string]struct {
		c, m    string
		members []*Member
		want    string
	}{
		"seat of a non-member": {string(cb), string(mb), fixtureMembers()[:2], "P000145 (Alex Padilla) is not a current member"},
		"unknown committee":    {string(cb), string(mb) + "SSXX:\n- name: A\n  party: majority\n  rank: 1\n  bioguide: G000386\n", fixtureMembers(), "seats for SSXX"},
		"bad side":             {string(cb), strings.Replace(string(mb), "party: minority", "party: other", 1), fixtureMembers(), `party "other"`},
		"bad type":             {strings.Replace(string(cb), "type: joint", "type: caucus", 1), string(mb), fixtureMembers(), `unknown type "caucus"`},
		"duplicate id":         {string(cb) + "- type: joint\n  name: Again\n  thomas_id: JSEC\n", string(mb), fixtureMembers(), "JSEC listed twice"},
		"not YAML":             {"{", string(mb), fixtureMembers(), "committees-current.yaml"},
	} {
		_, err := parseCommittees("committees-current.yaml", []byte(tc.c), "committee-membership-current.yaml", []byte(tc.m), tc.members)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", name, err, tc.want)
		}
	}
}

// TestEmbeddedCommittees checks the embedded snapshot against facts of
// the upstream files (counts in PROVENANCE.md).
func TestEmbeddedCommittees(t *testing.T) {
	dir := testDir(t)
	nc, ns, seats := 0, 0, 0
	for _, c := range dir.Committees() {
		if c.ParentID == "" {
			nc++
		} else {
			ns++
		}
		seats += len(c.Seats)
	}
	if nc != 49 || ns != 181 || seats != 3879 {
		t.Errorf("%d committees, %d subcommittees, %d seats; want 49, 181, 3879", nc, ns, seats)
	}
	ju, ok := dir.Committee("ssju")
	if !ok || ju.Name != "Senate Committee on the Judiciary" || ju.Chamber != "senate" {
		t.Fatalf("SSJU: %+v", ju)
	}
	if l := dir.Leaders("HSJU"); len(l) != 2 || l[0].LastName != "Jordan" || l[1].LastName != "Raskin" {
		t.Errorf("House Judiciary leaders: %v", l)
	}
	if s, ok := dir.SeatOn("P000145", "SSJU"); !ok || s.Role() != RoleMember {
		t.Errorf("Padilla on SSJU: %+v %v", s, ok)
	}
	found := false
	for _, s := range dir.Subcommittees("SSJU") {
		found = found || strings.Contains(s.Name, "Immigration")
	}
	if !found {
		t.Error("no immigration subcommittee under SSJU")
	}
}
