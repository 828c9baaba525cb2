package campaign

// LOCTopics are the values CWC accepts in
// Message/LibraryOfCongressTopics/LibraryOfCongressTopic: the 32 policy
// areas of the Library of Congress (congress.gov), spelled exactly as the
// CWC 2.0 schema enumerates them. House offices assign interest codes from
// this topic. Sorted as in the schema (alphabetically).
var LOCTopics = []string{
	"Agriculture and Food",
	"Animals",
	"Armed Forces and National Security",
	"Arts, Culture, Religion",
	"Civil Rights and Liberties, Minority Issues",
	"Commerce",
	"Congress",
	"Crime and Law Enforcement",
	"Economics and Public Finance",
	"Education",
	"Emergency Management",
	"Energy",
	"Environmental Protection",
	"Families",
	"Finance and Financial Sector",
	"Foreign Trade and International Finance",
	"Government Operations and Politics",
	"Health",
	"Housing and Community Development",
	"Immigration",
	"International Affairs",
	"Labor and Employment",
	"Law",
	"Native Americans",
	"Public Lands and Natural Resources",
	"Science, Technology, Communications",
	"Social Sciences and History",
	"Social Welfare",
	"Sports and Recreation",
	"Taxation",
	"Transportation and Public Works",
	"Water Resources Development",
}

// DefaultLOCTopic is the topic new campaigns start with: the coalition's
// campaigns are about family separations at the border.
const DefaultLOCTopic = "Immigration"

// IsLOCTopic reports whether s is one of LOCTopics (exact spelling).
func IsLOCTopic(s string) bool {
	for _, t := range LOCTopics {
		if t == s {
			return true
		}
	}
	return false
}
