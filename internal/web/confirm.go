package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// confirmView asks before a destructive staff action: it says what will be
// lost and posts the same form again with confirm=yes.
type confirmView struct {
	Title  string   // the question: "Revoke this API token?"
	Lost   []string // what goes, one sentence each
	Action string   // the POST route that does it
	Button string   // "Revoke the token"
	Cancel string   // where "Cancel, keep it" leads
}

// confirmed reports whether a destructive POST carries the confirmation.
// When it does not, it answers with the confirmation page, and the caller
// returns err without doing anything.
func (s *Server) confirmed(c echo.Context, v confirmView) (ok bool, err error) {
	if c.FormValue("confirm") == "yes" {
		return true, nil
	}
	return false, s.render(c, http.StatusOK, "confirm", v, false)
}
