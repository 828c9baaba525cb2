package delivery

import (
	"net"
	"net/http"
	"time"
)

// DefaultConnections is the connection pool of a provider client when its
// configuration does not size it.
const DefaultConnections = 16

// Transport is the HTTP transport of a provider adapter (SendGrid, CWC)
// with a pool sized to the sends the process has in flight. Go's default
// keeps 2 idle connections per host: with 256 sends in flight against one
// API, most sends would pay for a new TCP and TLS handshake. Every phase
// of an exchange has a bound, so a stalled provider cannot hold a worker.
func Transport(connections int, timeout time.Duration) *http.Transport {
	if connections < 1 {
		connections = DefaultConnections
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	d := &net.Dialer{Timeout: min(timeout, 10*time.Second), KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          connections,
		MaxIdleConnsPerHost:   connections,
		MaxConnsPerHost:       connections,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   min(timeout, 10*time.Second),
		ResponseHeaderTimeout: timeout,
		ExpectContinueTimeout: time.Second,
	}
}
