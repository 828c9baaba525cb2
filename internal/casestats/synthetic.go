package casestats

import (
	"iter"
	"math/rand/v2"
)

// Synthetic returns n synthetic demonstration records, deterministic for a
// given seed. They are invented, not drawn from any real case, but shaped
// like what the figures describe: separations concentrated in 2018-Q1 to
// 2019-Q2 (peaking in 2018-Q2 under "zero tolerance", with the 2017 El Paso
// pilot before and a tail after), mostly in Texas, Arizona, California and
// New Mexico with small numbers elsewhere (so that suppression has work to
// do), two thirds of parents handed a form, many of them pre-marked or in
// English only, and outcomes that depend on the asylum path. Callers must
// label them "synthetic demonstration data".
func Synthetic(n int, seed uint64) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		rng := rand.New(rand.NewPCG(seed, 0x5eb7a7a7e5ca5e5))
		for range n {
			if !yield(syntheticRecord(rng)) {
				return
			}
		}
	}
}

type weighted struct {
	v string
	w float64
}

func pick(rng *rand.Rand, ws []weighted) string {
	total := 0.0
	for _, x := range ws {
		total += x.w
	}
	u := rng.Float64() * total
	for _, x := range ws {
		if u < x.w {
			return x.v
		}
		u -= x.w
	}
	return ws[len(ws)-1].v
}

var (
	synQuarters = []weighted{
		{"2017-Q2", 1}, {"2017-Q3", 3}, {"2017-Q4", 4},
		{"2018-Q1", 10}, {"2018-Q2", 38}, {"2018-Q3", 12}, {"2018-Q4", 8},
		{"2019-Q1", 9}, {"2019-Q2", 8},
		{"2019-Q3", 3}, {"2019-Q4", 2}, {"2020-Q1", 1.2}, {"2020-Q2", 0.3}, {"2020-Q3", 0.3}, {"2020-Q4", 0.2},
	}
	synStates = []weighted{
		{"TX", 52}, {"AZ", 15}, {"CA", 12}, {"NM", 8},
		{"NY", 2.5}, {"IL", 2}, {"FL", 1.5}, {"WA", 1}, {"MI", 1}, {"PA", 0.8},
		{"GA", 0.6}, {"NJ", 0.6}, {"VA", 0.5}, {"OR", 0.4}, {"MA", 0.4}, {"CO", 0.4},
		{"MD", 0.3}, {"KS", 0.2}, {"CT", 0.2}, {"MN", 0.2}, {"PR", 0.1}, {"NE", 0.1},
	}
	synAges       = []weighted{{"0-4", 18}, {"5-9", 31}, {"10-13", 29}, {"14-17", 22}}
	synFacilities = []weighted{{"cbp", 44}, {"ice_adult", 22}, {"orr_shelter", 21}, {"ice_family", 9}, {"other", 4}}
	synForms      = []weighted{{"none", 33}, {"two_option", 42}, {"three_option", 25}}
	synPremarked  = []weighted{{"yes", 41}, {"no", 44}, {"unknown", 15}}
	synEnglish    = []weighted{{"yes", 58}, {"no", 32}, {"unknown", 10}}
	synLanguage   = []weighted{{"yes", 62}, {"no", 33}, {"unknown", 5}}
	synNoRights   = []weighted{{"yes", 34}, {"no", 41}, {"unknown", 25}}
	synThreat     = []weighted{{"yes", 23}, {"no", 52}, {"unknown", 25}}
	synCF         = []weighted{{"positive", 46}, {"not_screened", 29}, {"negative", 15}, {"pending", 10}}
	synAsylumPos  = []weighted{{"pending", 34}, {"withdrawn", 21}, {"granted", 15}, {"denied", 15}, {"none", 15}}
	synAsylumElse = []weighted{{"none", 50}, {"denied", 22}, {"pending", 18}, {"withdrawn", 8}, {"granted", 2}}
	synOutcomes   = map[string][]weighted{
		"withdrawn": {{"deported_without_child", 45}, {"deported_with_child", 30}, {"separated", 10}, {"reunified", 10}, {"released_together", 5}},
		"denied":    {{"deported_with_child", 35}, {"deported_without_child", 30}, {"reunified", 20}, {"separated", 10}, {"released_together", 5}},
		"granted":   {{"released_together", 45}, {"reunified", 50}, {"separated", 5}},
		"":          {{"reunified", 52}, {"released_together", 20}, {"deported_without_child", 10}, {"separated", 9}, {"deported_with_child", 9}},
	}
)

func syntheticRecord(rng *rand.Rand) Record {
	r := Record{
		Quarter:                       pick(rng, synQuarters),
		State:                         pick(rng, synStates),
		ChildAgeBracket:               pick(rng, synAges),
		FacilityType:                  pick(rng, synFacilities),
		FormPresented:                 pick(rng, synForms),
		LanguageBarrier:               pick(rng, synLanguage),
		ToldNoRights:                  pick(rng, synNoRights),
		ThreatenedPermanentSeparation: pick(rng, synThreat),
		CredibleFear:                  pick(rng, synCF),
	}
	if r.FormPresented == "none" {
		r.FormPremarked, r.FormEnglishOnly = "no", "no"
	} else {
		r.FormPremarked, r.FormEnglishOnly = pick(rng, synPremarked), pick(rng, synEnglish)
	}
	if r.CredibleFear == "positive" {
		r.AsylumClaim = pick(rng, synAsylumPos)
	} else {
		r.AsylumClaim = pick(rng, synAsylumElse)
	}
	oc, ok := synOutcomes[r.AsylumClaim]
	if !ok {
		oc = synOutcomes[""]
	}
	r.Outcome = pick(rng, oc)
	return r
}
