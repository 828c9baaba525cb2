package followup

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// The choices of the schedule form's "Repeat" field; RepeatCron keeps the
// cron expression as the advanced way.
const (
	RepeatOnce     = "once"
	RepeatDaily    = "daily"
	RepeatWeekdays = "weekdays"
	RepeatWeekly   = "weekly"
	RepeatMonthly  = "monthly"
	RepeatCron     = "cron"
)

// Repeats lists the form's choices in order.
var Repeats = []struct{ Name, Label string }{
	{RepeatOnce, "Once"},
	{RepeatDaily, "Every day"},
	{RepeatWeekdays, "Every weekday (Monday to Friday)"},
	{RepeatWeekly, "Every week"},
	{RepeatMonthly, "Every month"},
	{RepeatCron, "Advanced: a cron expression"},
}

// Recurrence is a schedule as people say it: how often, which day, at
// what time of day in the schedule's zone. Cron turns it into the
// expression the tick runs; RecurrenceOf reads one back for the form.
type Recurrence struct {
	Repeat  string       // one of the Repeat constants
	At      string       // "9:00" or "14:30" (24-hour clock)
	Weekday time.Weekday // RepeatWeekly
	Day     int          // RepeatMonthly: 1..28
	Date    string       // RepeatOnce: "2027-01-12"
	Expr    string       // RepeatCron: the expression as typed
}

// clock reads "9:00", "09:00" or "14:30".
func clock(s string) (h, m int, ok bool) {
	hs, ms, found := strings.Cut(strings.TrimSpace(s), ":")
	if !found || len(ms) != 2 || len(hs) == 0 || len(hs) > 2 {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// Cron is the recurrence's cron expression and whether it runs once; now
// and loc decide whether a one-off date is still ahead. Problems come back
// by form field ("repeat", "at", "weekday", "day", "date", "cron").
func (r Recurrence) Cron(now time.Time, loc *time.Location) (expr string, once bool, fe FieldErrors) {
	fe = FieldErrors{}
	if r.Repeat == RepeatCron || r.Repeat == "" {
		return strings.TrimSpace(r.Expr), false, nil
	}
	h, m, ok := clock(r.At)
	if !ok {
		fe["at"] = "give the time of day as hours and minutes, like 9:00 or 14:30"
	}
	switch r.Repeat {
	case RepeatDaily:
		expr = fmt.Sprintf("%d %d * * *", m, h)
	case RepeatWeekdays:
		expr = fmt.Sprintf("%d %d * * 1-5", m, h)
	case RepeatWeekly:
		if r.Weekday < time.Sunday || r.Weekday > time.Saturday {
			fe["weekday"] = "choose a day of the week"
		}
		expr = fmt.Sprintf("%d %d * * %d", m, h, r.Weekday)
	case RepeatMonthly:
		if r.Day < 1 || r.Day > 28 {
			fe["day"] = "choose a day of the month from 1 to 28 (every month has those)"
		}
		expr = fmt.Sprintf("%d %d %d * *", m, h, r.Day)
	case RepeatOnce:
		d, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(r.Date), loc)
		switch {
		case err != nil:
			fe["date"] = "give the date, like 2027-01-12"
		case ok && !d.Add(time.Duration(h)*time.Hour+time.Duration(m)*time.Minute).After(now):
			fe["date"] = "this date and time have passed: choose one ahead"
		case !d.Before(now.In(loc).AddDate(1, 0, 0)):
			fe["date"] = "choose a date within the next twelve months"
		}
		expr, once = fmt.Sprintf("%d %d %d %d *", m, h, d.Day(), int(d.Month())), true
	default:
		fe["repeat"] = "choose how often the schedule runs"
	}
	if len(fe) > 0 {
		return "", false, fe
	}
	return expr, once, nil
}

// single is the one value a cron field's bit set holds (ok false when it
// holds several, or all).
func single(field uint64) (int, bool) {
	const star = 1 << 63
	if field&star != 0 || bits.OnesCount64(field) != 1 {
		return 0, false
	}
	return bits.TrailingZeros64(field), true
}

func isStar(field uint64) bool { return field&(1<<63) != 0 }

// RecurrenceOf reads a cron expression back into the form's choices;
// anything the plain choices cannot say stays an advanced expression.
func RecurrenceOf(expr string, once bool, loc *time.Location, now time.Time) Recurrence {
	adv := Recurrence{Repeat: RepeatCron, Expr: expr}
	s, err := cron.ParseStandard(strings.TrimSpace(expr))
	if err != nil {
		return adv
	}
	ss, ok := s.(*cron.SpecSchedule)
	if !ok {
		return adv
	}
	m, okm := single(ss.Minute)
	h, okh := single(ss.Hour)
	if !okm || !okh {
		return adv
	}
	r := Recurrence{At: fmt.Sprintf("%02d:%02d", h, m)} // as a time input holds it
	dom, okDom := single(ss.Dom)
	mon, okMon := single(ss.Month)
	dow, okDow := single(ss.Dow)
	switch {
	case isStar(ss.Dom) && isStar(ss.Month) && isStar(ss.Dow):
		r.Repeat = RepeatDaily
	case isStar(ss.Dom) && isStar(ss.Month) && ss.Dow == 0b0111110:
		r.Repeat = RepeatWeekdays
	case isStar(ss.Dom) && isStar(ss.Month) && okDow:
		r.Repeat, r.Weekday = RepeatWeekly, time.Weekday(dow)
	case okDom && dom <= 28 && isStar(ss.Month) && isStar(ss.Dow):
		r.Repeat, r.Day = RepeatMonthly, dom
	case once && okDom && okMon && isStar(ss.Dow):
		y := now.In(loc).Year()
		d := time.Date(y, time.Month(mon), dom, h, m, 0, 0, loc)
		if !d.After(now) {
			d = d.AddDate(1, 0, 0)
		}
		r.Repeat, r.Date = RepeatOnce, d.Format("2006-01-02")
	default:
		return adv
	}
	return r
}

// Sentence says a schedule in words: "every Monday at 9:00", "once, on 12
// January at 14:00", "every day at 8:00 until the campaign closes". An
// expression the words cannot say comes back as "cron: <expression>".
func Sentence(expr string, p Params) string {
	s, err := cron.ParseStandard(strings.TrimSpace(expr))
	var words string
	if err == nil {
		if ss, ok := s.(*cron.SpecSchedule); ok {
			words = sentence(ss, p.Once)
		}
	}
	if words == "" {
		words = "cron: " + strings.TrimSpace(expr)
	}
	if p.UntilClose {
		words += " until the campaign closes"
	}
	return words
}

func sentence(ss *cron.SpecSchedule, once bool) string {
	m, okm := single(ss.Minute)
	h, okh := single(ss.Hour)
	if !okm || !okh {
		return ""
	}
	at := fmt.Sprintf("at %d:%02d", h, m)
	dom, okDom := single(ss.Dom)
	mon, okMon := single(ss.Month)
	switch {
	case once && okDom && okMon && isStar(ss.Dow):
		return fmt.Sprintf("once, on %d %s %s", dom, time.Month(mon), at)
	case isStar(ss.Month) && isStar(ss.Dom) && isStar(ss.Dow):
		return "every day " + at
	case isStar(ss.Month) && isStar(ss.Dom) && ss.Dow == 0b0111110:
		return "every weekday (Monday to Friday) " + at
	case isStar(ss.Month) && isStar(ss.Dom) && ss.Dow&(1<<63) == 0:
		var days []string
		for d := time.Sunday; d <= time.Saturday; d++ {
			if ss.Dow&(1<<uint(d)) != 0 {
				days = append(days, d.String())
			}
		}
		return "every " + andList(days) + " " + at
	case isStar(ss.Month) && okDom && isStar(ss.Dow):
		return fmt.Sprintf("on the %s of every month %s", ordinal(dom), at)
	case okMon && okDom && isStar(ss.Dow):
		return fmt.Sprintf("every year on %d %s %s", dom, time.Month(mon), at)
	}
	return ""
}

func andList(l []string) string {
	if len(l) < 2 {
		return strings.Join(l, "")
	}
	return strings.Join(l[:len(l)-1], ", ") + " and " + l[len(l)-1]
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}
