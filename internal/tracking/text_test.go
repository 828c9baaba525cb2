package tracking

import (
	"strings"
	"testing"
)

func TestHTMLToText(t *testing.T) {
	in := `<html><head><title>x</title><style>p{color:red}</style></head><body>
<p>Dear&nbsp;constituent,</p><script>alert("x")</script><p>Thank you for <b>writing</b> &amp; <a href="https://house.gov/x">reading</a>.</p>
<img src=x onerror=alert(1)><div>Line<br>two</div><a href="javascript:alert(1)">bad</a></body></html>`
	got := HTMLToText(in, 0)
	want := "Dear constituent,\n\nThank you for writing & [https://house.gov/x] reading.\n\nLine\ntwo\nbad"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"<", "alert", "color:red", "javascript"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q left in %q", bad, got)
		}
	}
	if got := HTMLToText("<p>"+strings.Repeat("é", 50)+"</p>", 10); got != strings.Repeat("é", 10) {
		t.Errorf("limit: %q", got)
	}
	if got := CleanText("a\x00b\r\nc\x1b", 0); got != "ab\nc" {
		t.Errorf("clean %q", got)
	}
	if got := HTMLToText("&lt;script&gt;", 0); got != "<script>" {
		t.Errorf("entities decode to text (escaped on display): %q", got)
	}
}
