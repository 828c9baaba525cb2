package dispatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// OfficeHours is when letters are released to offices: some weekdays,
// between two times of day, in one time zone.
type OfficeHours struct {
	days        [7]bool
	open, close int // minutes after midnight
	loc         *time.Location
	text        string
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseOfficeHours reads days like "mon-fri" or "mon,wed,fri", times like
// "09:00" and "17:00", and an IANA time zone.
func ParseOfficeHours(days, open, close, tz string) (OfficeHours, error) {
	var h OfficeHours
	loc, err := time.LoadLocation(tz)
	if err != nil || tz == "" {
		return h, fmt.Errorf("time zone %q is not a known IANA zone like America/New_York", tz)
	}
	h.loc = loc
	for _, part := range strings.Split(strings.ToLower(strings.ReplaceAll(days, " ", "")), ",") {
		a, b, isRange := strings.Cut(part, "-")
		ia, ib := dayIndex(a), dayIndex(b)
		if ia < 0 || (isRange && ib < 0) {
			return h, fmt.Errorf("days %q: use names like mon-fri or mon,wed,fri", days)
		}
		if !isRange {
			ib = ia
		}
		for i := ia; ; i = (i + 1) % 7 {
			h.days[i] = true
			if i == ib {
				break
			}
		}
	}
	if h.open, err = minutes(open); err != nil {
		return h, err
	}
	if h.close, err = minutes(close); err != nil {
		return h, err
	}
	if h.close <= h.open {
		return h, fmt.Errorf("office hours must close (%s) after they open (%s)", close, open)
	}
	h.text = days + " " + open + "-" + close + " " + tz
	return h, nil
}

func dayIndex(s string) int {
	for i, d := range dayNames {
		if s == d {
			return i
		}
	}
	return -1
}

func minutes(hhmm string) (int, error) {
	hs, ms, ok := strings.Cut(hhmm, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("time %q: use HH:MM, like 09:00", hhmm)
	}
	return h*60 + m, nil
}

// String describes the hours.
func (h OfficeHours) String() string { return h.text }

// Until returns how long from t until the office is open (0 if open now).
// It walks day by day in local time, so daylight-saving changes are right.
func (h OfficeHours) Until(t time.Time) time.Duration {
	lt := t.In(h.loc)
	for i := 0; i < 8; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, 0, 0, 0, 0, h.loc)
		if !h.days[day.Weekday()] {
			continue
		}
		open := time.Date(day.Year(), day.Month(), day.Day(), h.open/60, h.open%60, 0, 0, h.loc)
		close := time.Date(day.Year(), day.Month(), day.Day(), h.close/60, h.close%60, 0, 0, h.loc)
		if lt.Before(open) {
			return open.Sub(lt)
		}
		if lt.Before(close) {
			return 0
		}
	}
	return 24 * time.Hour // no open day configured: check again tomorrow
}
