package cwc

import "github.com/outreach-org/outreach/internal/campaign"

import (
	"fmt"
	"strings"
)

// Topics are the values Message/LibraryOfCongressTopics/LibraryOfCongressTopic
// may take: the 32 policy areas of the Library of Congress, spelled exactly
// as the CWC 2.0 schema enumerates them (alphabetical). A campaign's
// LOCTopic must be one of them.
var Topics = campaign.LOCTopics

// IsTopic reports whether s is one of Topics (see CanonicalTopic).
func IsTopic(s string) bool { _, ok := CanonicalTopic(s); return ok }

// CanonicalTopic returns the Topics entry s names, ignoring case and
// surrounding space; the schema needs the exact spelling, so BuildXML
// writes the canonical one.
func CanonicalTopic(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, t := range Topics {
		if strings.EqualFold(t, s) {
			return t, true
		}
	}
	return "", false
}

// stateCodes are the StateAbbreviation values the schema accepts: the 50
// states, DC and the five inhabited territories.
var stateCodes = map[string]bool{}

// senateStates are the states with senators (not DC or the territories).
var senateStates = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY
		LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX
		UT VT VA WA WV WI WY`) {
		stateCodes[s] = true
		senateStates[s] = true
	}
	for _, s := range []string{"DC", "AS", "GU", "MP", "PR", "VI"} {
		stateCodes[s] = true
	}
}

// SenateOfficeCode forms a senator's CWC office code: "S", the state's
// two-letter abbreviation, and the seat's Senate class (1, 2 or 3) as two
// digits. Alex Padilla (California, class III) is "SCA03"; Amy Klobuchar
// (Minnesota, class I) is "SMN01".
//
// The class, not the rank, is the key: a seat keeps its class when its
// holder changes, while seniority flips. Public sources disagree on the
// digits: climatechangemakers/parse-congress-info, which joins the live
// active_offices answer to bioguide ids, shows SCA03/SMN01/SME01 (the class
// itself, as above); EFF's phantom-of-the-capitol (congress_member.rb)
// writes class-1 ("00".."02"). Because of that disagreement the Senate's
// active_offices list is authoritative: prefer Client.SenateOfficeCodeFor
// (bioguide id → listed code) and use this function only as a fallback for
// offices the list does not name (which CWC will not accept anyway).
func SenateOfficeCode(state string, class int) (string, error) {
	st := strings.ToUpper(strings.TrimSpace(state))
	if !senateStates[st] {
		return "", fmt.Errorf("cwc: SenateOfficeCode: %q has no senators", state)
	}
	if class < 1 || class > 3 {
		return "", fmt.Errorf("cwc: SenateOfficeCode: class must be 1, 2 or 3")
	}
	return fmt.Sprintf("S%s%02d", st, class), nil
}
