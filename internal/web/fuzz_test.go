package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/outreach-org/outreach/internal/web"
)

// FuzzRepresentativesInput: whatever a client sends as zip, address or
// coordinates, the API answers 200, 400, 404 or 422, never a 500.
func FuzzRepresentativesInput(f *testing.F) {
	for _, s := range []string{"94110", "94110-1234", "", "abc", "0", "99999", "09001", "1 Main St 94110", "\x00", "٩٤١١٠", "94110\n", "-", "94110-"} {
		f.Add(s, "", "")
	}
	f.Add("", "37.76", "-122.41")
	f.Add("", "NaN", "Inf")
	f.Add("91001", "", "")
	srvOnce := map[string]http.Handler{}
	f.Fuzz(func(t *testing.T, zip, lat, lon string) {
		h, ok := srvOnce["h"]
		if !ok {
			s, err := web.New(web.Deps{Log: discard(), Congress: directory(t), DB: downDB{}})
			if err != nil {
				t.Fatal(err)
			}
			h = s.Handler()
			srvOnce["h"] = h
		}
		q := url.Values{}
		if zip != "" {
			q.Set("zip", zip)
		}
		if lat != "" || lon != "" {
			q.Set("lat", lat)
			q.Set("lon", lon)
		}
		for _, path := range []string{"/api/v1/representatives?", "/?"} {
			req := httptest.NewRequest(http.MethodGet, path+q.Encode(), nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			switch rec.Code {
			case 200, 400, 404, 422:
			default:
				t.Fatalf("%s%s: status %d: %s", path, q.Encode(), rec.Code, rec.Body.String())
			}
		}
	})
}
