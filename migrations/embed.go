// Package migrations holds the versioned SQL schema, one directory per
// dialect, embedded so the binary carries its own schema. Every migration
// must exist in both directories with the same version number, and the two
// dialects must end with the same tables and columns (see store tests).
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql in goose's format.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
