package tracking

import (
	"math"
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
	byDay := map[int]*Step{}
	var c Curve
	for _, o := range obs {
		if o.Events <= 0 && o.Censored <= 0 {
			continue
		}
		d := o.Days
		if d < 0 {
			d = 0
		}
		st, ok := byDay[d]
		if !ok {
			st = &Step{Day: d}
			byDay[d] = st
		}
		if o.Events > 0 {
			st.Events += o.Events
			c.Events += o.Events
		}
		if o.Censored > 0 {
			st.Censored += o.Censored
			c.Censored += o.Censored
		}
	}
	c.N = c.Events + c.Censored
	days := make([]int, 0, len(byDay))
	for d := range byDay {
		days = append(days, d)
	}
	sort.Ints(days)
	atRisk, s := c.N, 1.0
	for _, d := range days {
		st := byDay[d]
		st.AtRisk = atRisk
		if st.Events > 0 && atRisk > 0 {
			s *= 1 - float64(st.Events)/float64(atRisk)
		}
		st.Survival = s
		atRisk -= st.Events + st.Censored
		c.Steps = append(c.Steps, *st)
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
