package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/outreach-org/outreach/internal/tracking"
)

// hist is a rollup cell's time to reply: per day bucket
// (tracking.BucketDays), the letters answered after that many days and
// the letters still waiting after that many days at the refresh. It is
// stored in the cell's row (response_rollups.times, "days:replied:waiting"
// by days), so a query reads one row per cell, and adding up cells adds
// up their histograms: the Kaplan-Meier curve of the sum is the one of
// the letters themselves.
type hist map[int][2]int64

// add counts n letters at days: replied (event) or still waiting.
func (h hist) add(days int, replied bool, n int64) {
	v := h[days]
	if replied {
		v[0] += n
	} else {
		v[1] += n
	}
	h[days] = v
}

// merge adds o times sign (1 or -1) into h.
func (h hist) merge(o hist, sign int64) {
	for d, v := range o {
		w := h[d]
		w[0] += sign * v[0]
		w[1] += sign * v[1]
		h[d] = w
	}
}

// encode is h as stored: by days, empty days left out.
func (h hist) encode() string {
	days := make([]int, 0, len(h))
	for d, v := range h {
		if v[0] != 0 || v[1] != 0 {
			days = append(days, d)
		}
	}
	slices.Sort(days)
	var b strings.Builder
	b.Grow(len(days) * 10)
	for i, d := range days {
		if i > 0 {
			b.WriteByte(',')
		}
		v := h[d]
		b.WriteString(strconv.Itoa(d))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v[0], 10))
		b.WriteByte(':')
		b.WriteString(strconv.FormatInt(v[1], 10))
	}
	return b.String()
}

// addEncoded adds a stored histogram into h times sign.
func (h hist) addEncoded(s string, sign int64) error {
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		var f [3]int64
		rest := item
		for j := 0; j < 3; j++ {
			part := rest
			if i := strings.IndexByte(rest, ':'); i >= 0 && j < 2 {
				part, rest = rest[:i], rest[i+1:]
			} else if j < 2 {
				return fmt.Errorf("store: rollup times %q", item)
			}
			n, err := atoi(part)
			if err != nil {
				return fmt.Errorf("store: rollup times %q: %w", item, err)
			}
			f[j] = n
		}
		v := h[int(f[0])]
		v[0] += sign * f[1]
		v[1] += sign * f[2]
		h[int(f[0])] = v
	}
	return nil
}

// appendObs appends a stored histogram to obs, in its order (by days).
func appendObs(obs []tracking.Obs, s string) ([]tracking.Obs, error) {
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, ','); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		d, rest, ok1 := strings.Cut(item, ":")
		e, c, ok2 := strings.Cut(rest, ":")
		dn, err1 := atoi(d)
		en, err2 := atoi(e)
		cn, err3 := atoi(c)
		if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
			return obs, fmt.Errorf("store: rollup times %q", item)
		}
		obs = append(obs, tracking.Obs{Days: int(dn), Events: int(en), Censored: int(cn)})
	}
	return obs, nil
}

// atoi parses a decimal integer without allocating.
func atoi(s string) (int64, error) {
	if s == "" {
		return 0, strconv.ErrSyntax
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		if s == "" {
			return 0, strconv.ErrSyntax
		}
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' || n > (1<<62)/10 {
			return 0, strconv.ErrSyntax
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, nil
}
