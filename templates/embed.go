// Package templates embeds the server-rendered HTML pages. layout.html wraps
// every page; each page file defines the "title" and "main" blocks.
package templates

import "embed"

// FS holds every *.html template.
//
//go:embed *.html
var FS embed.FS
