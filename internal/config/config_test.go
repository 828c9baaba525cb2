package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.DataDir != "./data" || c.UsesPostgres() || c.BaseURL.String() != "http://localhost:8080" {
		t.Errorf("defaults = %+v base %s", c, c.BaseURL)
	}
	if c.SQLitePath() != filepath.Join("data", "outreach.db") {
		t.Errorf("sqlite path = %s", c.SQLitePath())
	}
	if c.BodyLimitBytes != 1<<20 || c.ShutdownTimeout != 15*time.Second || c.Geocoder != "off" || c.Secure() {
		t.Errorf("defaults = %+v", c)
	}
	if c.LookupLimit != 300 {
		t.Errorf("lookup limit default %d, want 300 a minute", c.LookupLimit)
	}
	if c.DeliveryWorkers != 16 || c.SendGridRate != 50 || c.CWCRate != 1 {
		t.Errorf("delivery defaults: %d workers, SendGrid %v/s, CWC %v/s", c.DeliveryWorkers, c.SendGridRate, c.CWCRate)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := map[string]string{
		"OUTREACH_ADDR":             "8080",
		"OUTREACH_BASE_URL":         "ftp://x",
		"DATABASE_URL":              "mysql://root:hunter2@db/x",
		"OUTREACH_LOG_LEVEL":        "loud",
		"OUTREACH_LOG_FORMAT":       "xml",
		"OUTREACH_TRUSTED_PROXIES":  "10.0.0.0/33",
		"OUTREACH_BODY_LIMIT":       "lots",
		"OUTREACH_SHUTDOWN_TIMEOUT": "-1s",
		"OUTREACH_GEOCODER":         "google",
		"OUTREACH_GEOCODER_URL":     "not a url",
		"OUTREACH_GEOCODER_TIMEOUT": "soon",
		"OUTREACH_DELIVERY_WORKERS": "0",
		"OUTREACH_SENDGRID_RATE":    "-5",
		"OUTREACH_CWC_RATE":         "fast",
		"OUTREACH_LOOKUP_LIMIT":     "-1",
		"OUTREACH_METRICS_ADDR":     ":9090", // every interface, and no token
		"OUTREACH_METRICS_TOKEN":    "short",
	}
	for name, val := range cases {
		_, err := Load(env(map[string]string{name: val}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want it to name the variable", name, val, err)
		}
		if name == "DATABASE_URL" && strings.Contains(err.Error(), "hunter2") {
			t.Errorf("DATABASE_URL error leaks the password: %v", err)
		}
	}
	// all problems at once
	_, err := Load(env(map[string]string{"OUTREACH_ADDR": "x", "OUTREACH_LOG_LEVEL": "y"}))
	if err == nil || !strings.Contains(err.Error(), "OUTREACH_ADDR") || !strings.Contains(err.Error(), "OUTREACH_LOG_LEVEL") {
		t.Errorf("want both variables named: %v", err)
	}
}

func TestSecretFromFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(f, []byte("postgres://u:p@h/db\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"DATABASE_URL_FILE": f}))
	if err != nil || c.DatabaseURL != "postgres://u:p@h/db" || !c.UsesPostgres() {
		t.Fatalf("from file: %+v %v", c, err)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL_FILE": f, "DATABASE_URL": "postgres://x"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") {
		t.Errorf("both set: %v", err)
	}
	_, err = Load(env(map[string]string{"DATABASE_URL_FILE": f + ".missing"}))
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL_FILE") {
		t.Errorf("missing file: %v", err)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{
		"OUTREACH_ADDR": "127.0.0.1:9000", "OUTREACH_BASE_URL": "https://act.example.org/",
		"OUTREACH_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7", "OUTREACH_BODY_LIMIT": "512K",
		"OUTREACH_GEOCODER": "census", "OUTREACH_LOOKUP_LIMIT": "0",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if !c.Secure() || c.BaseURL.String() != "https://act.example.org" || len(c.TrustedProxies) != 2 || c.BodyLimitBytes != 512<<10 || c.Geocoder != "census" {
		t.Errorf("overrides = %+v", c)
	}
	if c.LookupLimit != 0 {
		t.Errorf("OUTREACH_LOOKUP_LIMIT=0 read as %d", c.LookupLimit)
	}
	if c.TrustedProxies[1].String() != "192.0.2.7/32" {
		t.Errorf("bare IP = %s", c.TrustedProxies[1])
	}
}

func TestVarsDocumentEveryVariableRead(t *testing.T) {
	seen := map[string]bool{}
	_, _ = Load(func(k string) string { seen[k] = true; return "" })
	for _, v := range Vars {
		if !seen[v.Name] {
			t.Errorf("%s is documented but never read", v.Name)
		}
		delete(seen, v.Name)
		delete(seen, v.Name+"_FILE")
	}
	for k := range seen {
		t.Errorf("%s is read but not documented in Vars (so outreach help would not list it)", k)
	}
}

// TestDeliveryChannelsAreTheCallersNames: OUTREACH_DELIVERY_CHANNELS may
// list only the channels main passes (its registry), and says which those
// are; the default order is kept when it is unset.
func TestDeliveryChannelsAreTheCallersNames(t *testing.T) {
	known := []string{"cwc", "sendgrid", "packet", "outbox", "fax"}
	c, err := Load(env(map[string]string{"OUTREACH_DELIVERY_CHANNELS": " fax, cwc ,"}), known...)
	if err != nil || strings.Join(c.DeliveryChannels, ",") != "fax,cwc" {
		t.Fatalf("fax,cwc: %v %v", c, err)
	}
	if c, err := Load(env(nil), known...); err != nil || strings.Join(c.DeliveryChannels, ",") != "cwc,sendgrid,packet" {
		t.Fatalf("default order: %v %v", c, err)
	}
	_, err = Load(env(map[string]string{"OUTREACH_DELIVERY_CHANNELS": "cwc,pigeon"}), known...)
	if err == nil || !strings.Contains(err.Error(), `OUTREACH_DELIVERY_CHANNELS: "pigeon" is not a channel: use cwc, sendgrid, packet, outbox or fax`) {
		t.Errorf("unknown channel: %v", err)
	}
	// With no names given (a caller that delivers nothing), any plain
	// name is kept and anything else refused.
	if c, err := Load(env(map[string]string{"OUTREACH_DELIVERY_CHANNELS": "pigeon"})); err != nil || c.DeliveryChannels[0] != "pigeon" {
		t.Errorf("no names given: %v %v", c, err)
	}
	if _, err := Load(env(map[string]string{"OUTREACH_DELIVERY_CHANNELS": "Pigeon!"})); err == nil || !strings.Contains(err.Error(), "OUTREACH_DELIVERY_CHANNELS") {
		t.Errorf("a name that is no channel name: %v", err)
	}
}

// TestMetricsListener: metrics are off by default; on loopback they need
// no token; beyond it they do; never on the site's own address.
func TestMetricsListener(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		fail string
	}{
		{map[string]string{}, ""},
		{map[string]string{"OUTREACH_METRICS_ADDR": "127.0.0.1:9090"}, ""},
		{map[string]string{"OUTREACH_METRICS_ADDR": "[::1]:9090"}, ""},
		{map[string]string{"OUTREACH_METRICS_ADDR": "0.0.0.0:9090"}, "OUTREACH_METRICS_TOKEN"},
		{map[string]string{"OUTREACH_METRICS_ADDR": "0.0.0.0:9090", "OUTREACH_METRICS_TOKEN": "0123456789abcdef"}, ""},
		{map[string]string{"OUTREACH_ADDR": "127.0.0.1:9090", "OUTREACH_METRICS_ADDR": "127.0.0.1:9090"}, "must differ from OUTREACH_ADDR"},
	} {
		cfg, err := Load(env(c.env))
		switch {
		case c.fail == "" && err != nil:
			t.Errorf("%v: %v", c.env, err)
		case c.fail != "" && (err == nil || !strings.Contains(err.Error(), c.fail)):
			t.Errorf("%v: err = %v, want it to say %q", c.env, err, c.fail)
		case c.fail == "" && cfg.MetricsAddr != c.env["OUTREACH_METRICS_ADDR"]:
			t.Errorf("%v: MetricsAddr = %q", c.env, cfg.MetricsAddr)
		}
	}
}
