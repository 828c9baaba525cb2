package tracking

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

// Hand-computed: 6 letters, replies on days 2, 3, 3, 8; censored at 5 and 10.
// n=6: day 2: 1 event  -> S = 5/6
// n=5: day 3: 2 events -> S = 5/6 * 3/5 = 1/2      (median = 3)
// n=3: day 5: censored -> S = 1/2
// n=2: day 8: 1 event  -> S = 1/2 * 1/2 = 1/4
// n=1: day 10: censored -> S = 1/4 (never reaches 0.1: p90 undefined)
func TestKaplanMeierHandComputed(t *testing.T) {
	c := KaplanMeier([]Obs{{Days: 3, Events: 1}, {Days: 2, Events: 1}, {Days: 5, Censored: 1}, {Days: 3, Events: 1},
		{Days: 8, Events: 1}, {Days: 10, Censored: 1}})
	if c.N != 6 || c.Events != 4 || c.Censored != 2 {
		t.Fatalf("counts %+v", c)
	}
	want := []struct {
		day, risk int
		s         float64
	}{{2, 6, 5.0 / 6}, {3, 5, 0.5}, {5, 3, 0.5}, {8, 2, 0.25}, {10, 1, 0.25}}
	if len(c.Steps) != len(want) {
		t.Fatalf("steps %+v", c.Steps)
	}
	for i, w := range want {
		st := c.Steps[i]
		if st.Day != w.day || st.AtRisk != w.risk || !near(st.Survival, w.s) {
			t.Errorf("step %d = %+v, want day %d at risk %d S %.4f", i, st, w.day, w.risk, w.s)
		}
	}
	if m, ok := c.Median(); !ok || m != 3 {
		t.Errorf("median = %d %v, want 3", m, ok)
	}
	if q, ok := c.Quantile(0.75); !ok || q != 8 {
		t.Errorf("p75 = %d %v, want 8", q, ok)
	}
	if _, ok := c.Quantile(0.9); ok {
		t.Error("p90 should be undefined: the curve stops at 0.25")
	}
	if got := c.ReplyShareBy(4); !near(got, 0.5) {
		t.Errorf("share by day 4 = %v", got)
	}
}

// Ties between a reply and a censoring on the same day: the censored letter
// is still at risk that day. 4 letters: day 1 event, day 2 event + censored,
// day 4 event. n=4: S=3/4; day 2 n=3: S=3/4*2/3=1/2; day 4 n=1: S=0.
func TestKaplanMeierTies(t *testing.T) {
	c := KaplanMeier([]Obs{{Days: 1, Events: 1}, {Days: 2, Events: 1, Censored: 1}, {Days: 4, Events: 1}})
	if len(c.Steps) != 3 || c.Steps[1].AtRisk != 3 || !near(c.Steps[1].Survival, 0.5) || c.Steps[2].AtRisk != 1 || !near(c.Steps[2].Survival, 0) {
		t.Fatalf("steps %+v", c.Steps)
	}
	if m, _ := c.Median(); m != 2 {
		t.Errorf("median %d, want 2", m)
	}
	if q, ok := c.Quantile(0.9); !ok || q != 4 {
		t.Errorf("p90 %d %v, want 4", q, ok)
	}
}

// None censored: KM is the empirical distribution. 10 letters replying on
// days 1..10: median is day 5 (S(5) = 0.5), p90 day 9 (S(9) = 0.1).
func TestKaplanMeierNoneCensored(t *testing.T) {
	var obs []Obs
	for d := 1; d <= 10; d++ {
		obs = append(obs, Obs{Days: d, Events: 1})
	}
	c := KaplanMeier(obs)
	if m, ok := c.Median(); !ok || m != 5 {
		t.Errorf("median %d %v", m, ok)
	}
	if q, ok := c.Quantile(0.9); !ok || q != 9 {
		t.Errorf("p90 %d %v", q, ok)
	}
	if !near(c.Steps[len(c.Steps)-1].Survival, 0) {
		t.Error("curve should end at 0")
	}
}

// All censored: nobody replied, the curve stays at 1, median undefined.
func TestKaplanMeierAllCensored(t *testing.T) {
	c := KaplanMeier([]Obs{{Days: 3, Censored: 2}, {Days: 9, Censored: 1}})
	if c.N != 3 || c.Events != 0 {
		t.Fatalf("%+v", c)
	}
	if _, ok := c.Median(); ok {
		t.Error("median should be undefined")
	}
	for _, st := range c.Steps {
		if st.Survival != 1 {
			t.Errorf("survival %v", st.Survival)
		}
	}
	if e := KaplanMeier(nil); e.N != 0 || len(e.Steps) != 0 {
		t.Error("empty input")
	}
	if _, ok := KaplanMeier(nil).Median(); ok {
		t.Error("empty median")
	}
}

// Censoring matters: treating the waiting letters as "never" answered would
// give a different median than treating them as censored.
func TestKaplanMeierCensoringIsNotNoReply(t *testing.T) {
	// 2 replies at day 1 and 2; 2 letters delivered yesterday (censored at 1).
	// n=4 day1: 1 event -> 3/4; censored 2 at day1 leave 1 at risk; day 2: S=0.
	c := KaplanMeier([]Obs{{Days: 1, Events: 1, Censored: 2}, {Days: 2, Events: 1}})
	if m, ok := c.Median(); !ok || m != 2 {
		t.Errorf("median %d %v, want 2", m, ok)
	}
	if !math.IsNaN(Rate(1, 0)) || Rate(1, 4) != 0.25 {
		t.Error("Rate")
	}
}

// Compact adds up the observations of each day: the curve is the same,
// from one observation per day.
func TestCompact(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, hi := range []int{1, 40, 400, 200_000} {
		var obs []Obs
		days := map[int]bool{}
		for i := 0; i < 500; i++ {
			o := Obs{Days: r.IntN(hi) - 1, Events: r.IntN(3), Censored: r.IntN(3)}
			if o.Events+o.Censored > 0 {
				days[max(o.Days, -1)] = true
			}
			obs = append(obs, o)
		}
		c := Compact(obs)
		if len(c) != len(days) {
			t.Errorf("hi %d: %d observations for %d days", hi, len(c), len(days))
		}
		for i := 1; i < len(c); i++ {
			if c[i].Days <= c[i-1].Days {
				t.Errorf("hi %d: not by days: %v", hi, c)
				break
			}
		}
		if a, b := fmt.Sprint(KaplanMeier(obs)), fmt.Sprint(KaplanMeier(c)); a != b {
			t.Errorf("hi %d: curve\n%s\nfrom the compacted\n%s", hi, a, b)
		}
	}
}
