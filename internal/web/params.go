package web

import (
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/store"
)

// paramID reads a numeric route parameter (":id", ":event"). Anything but a
// positive integer is store.ErrNotFound, so a mistyped URL is a 404 like
// a missing row, never a 400 or a 500.
func paramID(c echo.Context, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, store.ErrNotFound
	}
	return id, nil
}
