package web

import (
	"reflect"
	"slices"
	"testing"

	"github.com/jba/templatecheck"
)

// typedPage is Page with its Data field typed, so that templatecheck can
// follow .Data.X into the page's own view (Page.Data is any, where a
// checker has to stop). The outer Data shadows Page.Data; Page's methods
// (T) are promoted.
type typedPage[V any] struct {
	Page
	Data V
}

// pageData names the type each page template is executed with. A page
// added to pageNames must be listed here, so that a misspelt field or a
// field removed from a view fails this test instead of a request.
var pageData = map[string]any{
	"lookup":            typedPage[lookupView]{},
	"error":             typedPage[struct{ Message string }]{},
	"login":             typedPage[loginView]{},
	"setup":             typedPage[setupView]{},
	"admin_home":        typedPage[homeView]{},
	"account":           typedPage[accountView]{},
	"tokens":            typedPage[tokensView]{},
	"users":             typedPage[usersView]{},
	"user":              typedPage[userView]{},
	"audit":             typedPage[auditView]{},
	"deliveries":        typedPage[deliveriesView]{},
	"delivery":          typedPage[deliveryView]{},
	"outbox":            typedPage[outboxView]{},
	"action":            typedPage[actionView]{},
	"action_msg":        typedPage[msgView]{},
	"packets":           typedPage[packetsView]{},
	"signon":            typedPage[signOnView]{},
	"signatories":       typedPage[signatoriesView]{},
	"campaigns":         typedPage[campaignsView]{},
	"campaign_edit":     typedPage[campaignEditView]{},
	"campaign_preview":  typedPage[campaignPreviewView]{},
	"campaign_versions": typedPage[campaignVersionsView]{},
	"campaign_diff":     typedPage[campaignDiffView]{},
	"tabling":           typedPage[tablingView]{},
	"contacts":          typedPage[contactsView]{},
	"office_contacts":   typedPage[officeContactsView]{},
	"coverage":          typedPage[coverageView]{},
	"cases":             typedPage[casesView]{},
	"case_form":         typedPage[caseFormView]{},
	"cases_import":      typedPage[importView]{},
	"stats":             typedPage[statsView]{},
	"stats_releases":    typedPage[releasesView]{},
	"dashboard":         typedPage[dashView]{},
	"supporters":        typedPage[supportersView]{},
	"responses_inbox":   typedPage[struct{ Items []inboxItem }]{},
	"responses_form":    typedPage[responseFormView]{},
	"responsiveness": typedPage[struct {
		Title, Slug string
		Rows        []publicRow
	}]{},
	"schedule":    typedPage[scheduleView]{},
	"followups":   typedPage[followupView]{},
	"survey":      typedPage[surveyView]{},
	"confirm":     typedPage[confirmView]{},
	"calls":       typedPage[callPageView]{},
	"branding":    typedPage[brandingView]{},
	"mailings":    typedPage[mailingsView]{},
	"mailing_new": typedPage[mailingFormView]{},
	"mailing":     typedPage[mailingView]{},
}

// Every page template type-checks against the data its handler passes:
// fields, methods and the arguments of template functions.
func TestTemplatesTypeCheck(t *testing.T) {
	p, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range pageNames {
		dot, ok := pageData[name]
		if !ok {
			t.Errorf("page %q is not in pageData: add the type its handler renders it with", name)
			continue
		}
		if err := templatecheck.CheckHTML(p.byName[name].Lookup("layout"), dot); err != nil {
			t.Errorf("template %s with %s: %v", name, reflect.TypeOf(dot).Field(1).Type, err)
		}
	}
	for name := range pageData {
		if !slices.Contains(pageNames, name) {
			t.Errorf("pageData lists %q, which is not a page", name)
		}
	}
}
