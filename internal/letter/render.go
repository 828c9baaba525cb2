package letter

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// DefaultTimeout is the wall-clock limit of one render.
const DefaultTimeout = 100 * time.Millisecond

// Limits overrides the render limits; zero values mean the defaults.
type Limits struct {
	// MaxBytes caps a rendered body (default DefaultMaxBytes). Subjects
	// are always capped at MaxSubjectRunes characters.
	MaxBytes int
	// Timeout is the wall-clock limit (default DefaultTimeout).
	Timeout time.Duration
}

// Render fills the template in with data and the statistics it uses,
// with the default limits. Errors: ErrTooLarge, ErrTimeout,
// ErrSubjectTooLong (subjects), ErrStatUnavailable (wrapped with the
// key).
func (t *Template) Render(data Data, stats StatSource) (string, error) {
	return t.RenderWith(context.Background(), data, stats, Limits{})
}

// RenderWith is Render with a context (checked while writing, as is the
// deadline) and explicit limits.
//
// Body field values are inserted verbatim; a write that would pass the
// byte cap fails with ErrTooLarge before it is copied, so a huge value
// costs nothing. In a subject, line breaks and other control characters
// in values become single spaces and the result is made one line
// without HTML tags.
func (t *Template) RenderWith(ctx context.Context, data Data, stats StatSource, lim Limits) (string, error) {
	if t == nil || t.ref == nil {
		return "", errors.New("letter: render of a nil template")
	}
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	maxBytes := lim.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	if t.subject {
		maxBytes = maxSubjectBytes
	}
	timeout := lim.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	deadline := time.Now().Add(timeout)

	m := machinePool.Get().(*machine)
	defer m.release()
	for _, i := range t.fields {
		m.vals[i] = t.value(data.value(i))
	}
	if len(t.stats) <= len(m.statBuf) {
		m.stats, m.statNA = m.statBuf[:len(t.stats)], m.naBuf[:len(t.stats)]
	} else {
		m.stats, m.statNA = make([]string, len(t.stats)), make([]bool, len(t.stats))
	}
	if err := t.statValues(stats, m.stats); err != nil {
		return "", err
	}
	m.keys = t.stats
	if av, ok := stats.(StatAvailability); ok {
		for i, k := range t.stats {
			m.statNA[i] = !av.StatAvailable(k)
		}
	}
	if len(t.avail) > 0 {
		m.avail = t.availability(stats)
	}
	if t.release {
		var err error
		if m.relID, m.relDate, err = t.releaseValues(stats); err != nil {
			return "", err
		}
	}
	m.w = limitedWriter{max: maxBytes, deadline: deadline, ctx: ctx}
	m.w.b.Grow(min(t.sizeHint, maxBytes))
	if err := m.run(t.prog); err != nil {
		var ee *execError
		switch {
		case t.subject && errors.Is(err, ErrTooLarge):
			return "", fmt.Errorf("%w: more than %d characters", ErrSubjectTooLong, MaxSubjectRunes)
		case errors.As(err, &ee):
			line, col := lineCol(t.text, ee.off)
			return "", fmt.Errorf("letter: render %q: %d:%d: %w", t.name, line, col, err)
		}
		return "", err
	}
	out := m.w.b.String()
	if t.subject {
		return finishSubject(out)
	}
	return out, nil
}

var machinePool = sync.Pool{New: func() any { return new(machine) }}

// release returns m to the pool. The output buffer is not reused: it
// became the returned string.
func (m *machine) release() {
	*m = machine{}
	machinePool.Put(m)
}

// statValues looks up the statistics the template uses into out.
func (t *Template) statValues(stats StatSource, out []string) error {
	for i, k := range t.stats {
		var v string
		ok := false
		if stats != nil {
			v, ok = stats.Stat(k)
		}
		if !ok {
			return fmt.Errorf("%w: %q", ErrStatUnavailable, k)
		}
		out[i] = t.value(v)
	}
	return nil
}

// availability answers stat_available for each key of t.avail: the
// source has the key and, when it says, publishes it.
func (t *Template) availability(stats StatSource) []bool {
	out := make([]bool, len(t.avail))
	av, _ := stats.(StatAvailability)
	for i, k := range t.avail {
		if stats == nil {
			continue
		}
		_, ok := stats.Stat(k)
		out[i] = ok && (av == nil || av.StatAvailable(k))
	}
	return out
}

// releaseValues are release_id and release_date.
func (t *Template) releaseValues(stats StatSource) (id, date string, err error) {
	rs, ok := stats.(ReleaseSource)
	if ok {
		id, date, ok = rs.Release()
	}
	if !ok {
		return "", "", ErrNoRelease
	}
	return t.value(id), t.value(date), nil
}

// renderReference renders with text/template's own executor on the same
// validated tree (fields and statistics looked up in a map). It is the
// reference the direct executor is tested against.
func (t *Template) renderReference(data Data, stats StatSource) (string, error) {
	m := make(map[string]any, len(t.fields)+len(t.stats)+len(t.avail)+2)
	for _, i := range t.fields {
		m[fields[i].name] = t.value(data.value(i))
	}
	statVals := make([]string, len(t.stats))
	if err := t.statValues(stats, statVals); err != nil {
		return "", err
	}
	for i, k := range t.stats {
		m[statVarPrefix+k] = statVals[i]
	}
	for i, ok := range t.availability(stats) {
		m[availVarPrefix+t.avail[i]] = ok
	}
	if t.release {
		id, date, err := t.releaseValues(stats)
		if err != nil {
			return "", err
		}
		m[releaseVarPrefix+"release_id"], m[releaseVarPrefix+"release_date"] = id, date
	}
	var b strings.Builder
	if err := t.ref.Execute(&b, m); err != nil {
		return "", err
	}
	if t.subject {
		return finishSubject(b.String())
	}
	return b.String(), nil
}

// value prepares a field or statistic value. Body values are used
// verbatim (the writer refuses an oversized value before copying it).
// Subject values are cut to the subject byte cap plus one (no copy;
// printing it still overflows) and made one line.
func (t *Template) value(v string) string {
	if !t.subject {
		return v
	}
	if len(v) > maxSubjectBytes {
		v = v[:maxSubjectBytes+1]
	}
	return oneLine(v)
}

// limitedWriter collects output up to max bytes: a write that would pass
// the cap fails with ErrTooLarge before anything is copied, so a huge
// value or many repeated actions never allocate more than the cap. It
// checks the deadline and the context every 64th write (a validated
// template has no loops, so its run time is bounded by its size and its
// writes; RenderWith checks the context before starting).
type limitedWriter struct {
	b        strings.Builder
	max      int
	writes   int
	deadline time.Time
	ctx      context.Context
}

func (w *limitedWriter) WriteString(s string) error {
	if len(s) > w.max-w.b.Len() {
		return ErrTooLarge
	}
	if w.writes&63 == 63 {
		if err := w.check(); err != nil {
			return err
		}
	}
	w.writes++
	w.b.WriteString(s)
	return nil
}

func (w *limitedWriter) Write(p []byte) error {
	if len(p) > w.max-w.b.Len() {
		return ErrTooLarge
	}
	if w.writes&63 == 63 {
		if err := w.check(); err != nil {
			return err
		}
	}
	w.writes++
	w.b.Write(p)
	return nil
}

func (w *limitedWriter) check() error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if time.Now().After(w.deadline) {
		return ErrTimeout
	}
	return nil
}

func finishSubject(s string) (string, error) {
	s = oneLine(stripTags(s))
	if n := utf8.RuneCountInString(s); n > MaxSubjectRunes {
		return "", fmt.Errorf("%w: %d characters, the limit is %d", ErrSubjectTooLong, n, MaxSubjectRunes)
	}
	return s, nil
}

// stripTags replaces HTML tags with spaces until none is left (removing
// one tag can join the pieces of another).
func stripTags(s string) string {
	for strings.IndexByte(s, '<') >= 0 {
		r := tagRE.ReplaceAllString(s, " ")
		if r == s {
			break
		}
		s = r
	}
	return s
}

// oneLine turns runs of white space and control characters (CR, LF, tab,
// NEL, U+2028, U+2029, ...) into single spaces and trims the ends.
func oneLine(s string) string {
	if !needsOneLine(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	pending := false
	for _, r := range s {
		if isBreakOrSpace(r) {
			pending = b.Len() > 0
			continue
		}
		if pending {
			b.WriteByte(' ')
			pending = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isBreakOrSpace(r rune) bool {
	return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
}

func needsOneLine(s string) bool {
	prevSpace := true // a leading space needs trimming
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == ' ':
				if prevSpace {
					return true
				}
				prevSpace = true
			case c < 0x20 || c == 0x7f:
				return true
			default:
				prevSpace = false
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		if isBreakOrSpace(r) {
			return true
		}
		prevSpace = false
		i += w
	}
	return prevSpace && s != ""
}
