package store

import (
	"bytes"
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
	obs, err := appendObs(nil, []byte(s))
	if err != nil {
		return err
	}
	for _, o := range obs {
		v := h[o.Days]
		v[0] += sign * int64(o.Events)
		v[1] += sign * int64(o.Censored)
		h[o.Days] = v
	}
	return nil
}

// appendObs appends a stored histogram to obs, in its order (by days).
func appendObs(obs []tracking.Obs, s []byte) ([]tracking.Obs, error) {
	if len(s) > 0 {
		obs = slices.Grow(obs, bytes.Count(s, []byte{','})+1)
	}
	for len(s) > 0 {
		item := s
		if i := bytes.IndexByte(s, ','); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = nil
		}
		d, rest, ok1 := bytes.Cut(item, []byte{':'})
		e, c, ok2 := bytes.Cut(rest, []byte{':'})
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
func atoi[T string | []byte](s T) (int64, error) {
	if len(s) == 0 {
		return 0, strconv.ErrSyntax
	}
	neg := s[0] == '-'
	if neg {
		s = s[1:]
		if len(s) == 0 {
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
