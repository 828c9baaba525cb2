package packet

import (
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/delivery"
)

// TestSignOnCover: a sign-on letter's packet says so on its cover and
// counts the organizations that signed, and where they are, instead of
// constituents.
func TestSignOnCover(t *testing.T) {
	info := testInfo()
	info.Signatories = []delivery.Constituent{{FirstName: "Florence Project", City: "Tucson", State: "AZ"},
		{FirstName: "Al Otro Lado", City: "San Diego", State: "CA"}, {FirstName: "Southside", City: "Tucson", State: "AZ"}}
	from := delivery.Constituent{FirstName: "Friends of the Rivers"}
	pdf := render(t, info, []delivery.Message{letter(1, from, "Dear Representative Pelosi,\n\nHold hearings.\n\nSigned by 3 organizations:")}, false)
	cover := pageStreams(t, pdf)[0]
	for _, want := range []string{"Coalition sign-on letter", "ORGANIZATIONS", "3 organizations signed this letter to you", "WHERE THE ORGANIZATIONS ARE", "Tucson, AZ"} {
		if !strings.Contains(cover, cp(want)) {
			t.Errorf("cover lacks %q", want)
		}
	}
	if strings.Contains(cover, cp("constituent")) {
		t.Error("a sign-on cover counts constituents")
	}
}
