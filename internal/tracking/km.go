package tracking

import (
	"math"
	"slices"
	"sort"
)

// Obs is a count of letters observed for Days days: Events replied on that
// day (days after delivery), Censored were still waiting after that many
// days. Several Obs with the same Days add up.
type Obs struct {
	Days     int
	Events   int
	Censored int
}

// Compact adds up the observations of the same day: the curve is the
// same, from fewer of them (by days).
func Compact(obs []Obs) []Obs {
	if len(obs) < 2 {
		return obs
	}
	hi := 0
	for _, o := range obs {
		hi = max(hi, o.Days)
	}
	if hi > 100_000 { // not days since a delivery: no dense array that long
		byDay := map[int]Obs{}
		for _, o := range obs {
			if o.Events == 0 && o.Censored == 0 {
				continue
			}
			b := byDay[o.Days]
			b.Days, b.Events, b.Censored = o.Days, b.Events+o.Events, b.Censored+o.Censored
			byDay[o.Days] = b
		}
		out := make([]Obs, 0, len(byDay))
		for _, o := range byDay {
			out = append(out, o)
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Days < out[j].Days })
		return out
	}
	dense := make([]Obs, hi+1)
	neg := Obs{Days: -1}
	for _, o := range obs {
		if o.Days < 0 {
			neg.Events, neg.Censored = neg.Events+o.Events, neg.Censored+o.Censored
			continue
		}
		b := &dense[o.Days]
		b.Days, b.Events, b.Censored = o.Days, b.Events+o.Events, b.Censored+o.Censored
	}
	out := make([]Obs, 0, min(len(obs), hi+2))
	if neg.Events != 0 || neg.Censored != 0 {
		out = append(out, neg)
	}
	for _, o := range dense {
		if o.Events != 0 || o.Censored != 0 {
			out = append(out, o)
		}
	}
	return out
}

// Step is one day of the Kaplan-Meier curve at which something happened.
type Step struct {
	Day      int
	AtRisk   int     // letters still waiting just before Day
	Events   int     // replies on Day
	Censored int     // letters whose observation ends on Day without a reply
	Survival float64 // estimated share still without a reply after Day
}

// Curve is the Kaplan-Meier estimate of the share of letters still without
// a reply, as a step function of days since delivery.
type Curve struct {
	Steps    []Step
	N        int // letters the estimate rests on
	Events   int // of which replied
	Censored int // of which still waiting
}

// KaplanMeier estimates the time-to-reply curve. Ties: replies on a day are
// counted before letters censored on the same day (they were at risk of a
// reply that day), the usual convention. Negative days count as day 0.
func KaplanMeier(obs []Obs) Curve {
	var c Curve
	// the days, in order (the rollups give them in order already)
	byDay := make([]Obs, 0, len(obs))
	sorted := true
	for _, o := range obs {
		if o.Events <= 0 && o.Censored <= 0 {
			continue
		}
		o.Days = max(o.Days, 0)
		o.Events, o.Censored = max(o.Events, 0), max(o.Censored, 0)
		if n := len(byDay); n > 0 && o.Days < byDay[n-1].Days {
			sorted = false
		}
		byDay = append(byDay, o)
		c.Events += o.Events
		c.Censored += o.Censored
	}
	if !sorted {
		slices.SortStableFunc(byDay, func(a, b Obs) int { return a.Days - b.Days })
	}
	c.N = c.Events + c.Censored
	atRisk, s := c.N, 1.0
	for i := 0; i < len(byDay); {
		st := Step{Day: byDay[i].Days}
		for ; i < len(byDay) && byDay[i].Days == st.Day; i++ {
			st.Events += byDay[i].Events
			st.Censored += byDay[i].Censored
		}
		st.AtRisk = atRisk
		if st.Events > 0 && atRisk > 0 {
			s *= 1 - float64(st.Events)/float64(atRisk)
		}
		st.Survival = s
		atRisk -= st.Events + st.Censored
		c.Steps = append(c.Steps, st)
	}
	return c
}

// Quantile is the estimated number of days by which a share p (0 < p < 1)
// of letters have been answered: the first day at which the curve falls to
// 1-p or below. ok is false when the curve never gets there (too many
// letters still waiting): the figure is then undefined, not "never".
func (c Curve) Quantile(p float64) (days int, ok bool) {
	target := 1 - p + 1e-9
	for _, st := range c.Steps {
		if st.Events > 0 && st.Survival <= target {
			return st.Day, true
		}
	}
	return 0, false
}

// Median is Quantile(0.5).
func (c Curve) Median() (int, bool) { return c.Quantile(0.5) }

// ReplyShareBy is the estimated share of letters answered within days.
func (c Curve) ReplyShareBy(days int) float64 {
	s := 1.0
	for _, st := range c.Steps {
		if st.Day > days {
			break
		}
		s = st.Survival
	}
	return 1 - s
}

// Rate is num/den, or NaN when den is 0 (shown as "n/a", never as 0%).
func Rate(num, den int64) float64 {
	if den <= 0 {
		return math.NaN()
	}
	return float64(num) / float64(den)
}
