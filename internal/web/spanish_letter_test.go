package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/store/storetest"
)

// TestSpanishRenderingGreetsInSpanish: beside the English letter the
// office receives, the Spanish rendering greets the member in Spanish,
// and names them with the article that agrees ({{.member_phrase}});
// and the review says why an office matters in a sentence per relevant
// seat, not one per subcommittee of the same committee.
func TestSpanishRenderingGreetsInSpanish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		slug := unique("es-greet")
		a := newActionServer(t, st, slug, campaign.Live, func(c *campaign.Campaign) {
			c.SubjectES = "Supervisión de las separaciones familiares"
			c.TemplateES = "{{.salutation}},\n\nLe pido que exija supervisión. Escribo a {{.member_phrase}}.\n\n{{.first_name}} {{.last_name}}"
		})
		c := browserClient(t)
		if code, _ := getPage(t, c, a.srv.URL+"/c/"+slug+"?lang=es"); code != http.StatusOK {
			t.Fatalf("campaign page: %d", code)
		}
		code, page := a.post(t, c, "/c/"+slug, supporter("94110", "CA"))
		if code != http.StatusOK {
			t.Fatalf("review: %d", code)
		}
		text := pageText(page)
		for _, want := range []string{"Dear Representative Pelosi", "Estimada Representante Pelosi", "Estimado Senador Padilla",
			"Para la representante Nancy Pelosi", "Para el senador Alex Padilla",
			"Escribo a la representante Nancy Pelosi.", "Escribo al senador Alex Padilla."} {
			if !strings.Contains(text, want) {
				t.Errorf("the Spanish review lacks %q", want)
			}
		}
		if strings.Contains(text, "Dear Representative Pelosi,\n\nLe pido") {
			t.Error("the Spanish rendering greets in English")
		}
		// Padilla: the Judiciary Committee and its immigration
		// subcommittee, each in the oversight table; not the other
		// Judiciary subcommittees.
		if n := len(regexp.MustCompile(`Senador Padilla (forma parte|es líder|preside)`).FindAllString(text, -1)); n < 1 || n > 2 {
			t.Errorf("%d sentences on why Padilla matters, want 1 or 2", n)
		}
	})
}
