package web

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/labstack/echo/v4"
	"gopkg.in/yaml.v3"
)

// openapiYAML is the description of /api/v1, written by hand next to the
// handlers; TestOpenAPI keeps it true to the route table and to what the
// handlers answer.
//
//go:embed openapi.yaml
var openapiYAML []byte

// OpenAPI is the description of /api/v1 as JSON, converted once.
func OpenAPI() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		return nil, fmt.Errorf("web: openapi.yaml: %w", err)
	}
	return json.Marshal(doc)
}

// apiOpenAPI answers GET /api/v1/openapi.json.
func (s *Server) apiOpenAPI(b []byte) echo.HandlerFunc {
	return func(c echo.Context) error { return jsonBlob(c, b) }
}
