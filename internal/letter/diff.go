package letter

import "strings"

// DiffLine is one line of a line diff: Op is ' ' (unchanged), '-' (only
// in the old text) or '+' (only in the new text).
type DiffLine struct {
	Op   byte   `json:"op"`
	Text string `json:"text"`
}

// maxDiffCells bounds the LCS table (rows × columns of the differing
// middle part, 4 bytes each); beyond it the middle is shown as removed
// then added.
const maxDiffCells = 1 << 22

// Diff returns a line diff from a to b based on a longest common
// subsequence. Lines are split on "\n" ("\r\n" is treated as "\n"); a
// final newline does not start an extra empty line. Common leading and
// trailing lines are matched first; removals are listed before additions
// at each change. Concatenating the ' ' and '-' lines gives a's lines,
// the ' ' and '+' lines give b's.
func Diff(a, b string) []DiffLine {
	al, bl := splitLines(a), splitLines(b)
	var out []DiffLine
	pre := 0
	for pre < len(al) && pre < len(bl) && al[pre] == bl[pre] {
		out = append(out, DiffLine{' ', al[pre]})
		pre++
	}
	suf := 0
	for suf < len(al)-pre && suf < len(bl)-pre && al[len(al)-1-suf] == bl[len(bl)-1-suf] {
		suf++
	}
	am, bm := al[pre:len(al)-suf], bl[pre:len(bl)-suf]
	out = append(out, diffMiddle(am, bm)...)
	for _, s := range al[len(al)-suf:] {
		out = append(out, DiffLine{' ', s})
	}
	return out
}

func diffMiddle(a, b []string) []DiffLine {
	n, m := len(a), len(b)
	out := make([]DiffLine, 0, n+m)
	if n == 0 || m == 0 || (n+1)*(m+1) > maxDiffCells {
		for _, s := range a {
			out = append(out, DiffLine{'-', s})
		}
		for _, s := range b {
			out = append(out, DiffLine{'+', s})
		}
		return out
	}
	// lcs[i*(m+1)+j] = length of the LCS of a[i:] and b[j:].
	w := m + 1
	lcs := make([]int32, (n+1)*w)
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i*w+j] = lcs[(i+1)*w+j+1] + 1
			} else {
				lcs[i*w+j] = max(lcs[(i+1)*w+j], lcs[i*w+j+1])
			}
		}
	}
	i, j := 0, 0
	for i < n && j < m {
		switch {
		case a[i] == b[j]:
			out = append(out, DiffLine{' ', a[i]})
			i++
			j++
		case lcs[(i+1)*w+j] >= lcs[i*w+j+1]:
			out = append(out, DiffLine{'-', a[i]})
			i++
		default:
			out = append(out, DiffLine{'+', b[j]})
			j++
		}
	}
	for ; i < n; i++ {
		out = append(out, DiffLine{'-', a[i]})
	}
	for ; j < m; j++ {
		out = append(out, DiffLine{'+', b[j]})
	}
	return out
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
