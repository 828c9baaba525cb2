package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/plaintext"
	"github.com/outreach-org/outreach/internal/store"
)

type usersView struct {
	Users  []auth.User
	Roles  []auth.Role
	Form   userForm
	Errors formErrors
	// Password is a generated password shown once after creating a user.
	Password string
}

type userForm struct {
	Email, Name, Role string
}

func (s *Server) usersPage(c echo.Context) error {
	return s.renderUsers(c, http.StatusOK, usersView{Form: userForm{Role: string(auth.Campaigner)}})
}

func (s *Server) renderUsers(c echo.Context, status int, v usersView) error {
	users, err := s.deps.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	v.Users, v.Roles = users, auth.Roles
	return s.render(c, status, "users", v, false)
}

// staffNameError says what is wrong with a staff member's name, or "".
func staffNameError(name string) string {
	if len(name) > 100 || strings.ContainsAny(name, "\r\n<>") {
		return "A name may have at most 100 characters and no line breaks or angle brackets."
	}
	if r, ok := plaintext.Find(name); ok {
		return "This name has an invisible formatting character (" + plaintext.Name(r) + ") that can make it display differently from what it says; delete it."
	}
	return ""
}

// createUser adds an account with a generated password that is shown once;
// the new user changes it after signing in.
func (s *Server) createUser(c echo.Context) error {
	f := userForm{Email: strings.TrimSpace(c.FormValue("email")), Name: strings.TrimSpace(c.FormValue("name")), Role: c.FormValue("role")}
	errs := formErrors{}
	email, err := auth.NormalizeEmail(f.Email)
	if err != nil {
		errs["email"] = err.Error()
	}
	role, err := auth.ParseRole(f.Role)
	if err != nil {
		errs["role"] = err.Error()
	}
	if msg := staffNameError(f.Name); msg != "" {
		errs["name"] = msg
	}
	if len(errs) > 0 {
		return s.renderUsers(c, http.StatusUnprocessableEntity, usersView{Form: f, Errors: errs})
	}
	pw, err := GeneratePassword()
	if err != nil {
		return err
	}
	hash, err := s.deps.Hasher.Hash(c.Request().Context(), pw)
	if err != nil {
		return s.withRetryAfter(c, err)
	}
	_, err = s.deps.Store.CreateUser(c.Request().Context(), auth.User{Email: email, Name: f.Name, Role: role, PasswordHash: hash}, audit(c, "user.create", "", ""))
	if errors.Is(err, store.ErrConflict) {
		errs["email"] = "An account with this email already exists."
		return s.renderUsers(c, http.StatusConflict, usersView{Form: f, Errors: errs})
	}
	if err != nil {
		return err
	}
	return s.renderUsers(c, http.StatusCreated, usersView{Form: userForm{Role: string(auth.Campaigner)}, Password: pw,
		Errors: formErrors{}, Users: nil})
}

type userView struct {
	Target   auth.User
	Roles    []auth.Role
	Errors   formErrors
	Password string
}

func (s *Server) loadTarget(c echo.Context) (auth.User, error) {
	id, err := paramID(c, "id")
	if err != nil {
		return auth.User{}, err
	}
	return s.deps.Store.UserByID(c.Request().Context(), id)
}

func (s *Server) userPage(c echo.Context) error {
	u, err := s.loadTarget(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "user", userView{Target: u, Roles: auth.Roles}, false)
}

func (s *Server) updateUser(c echo.Context) error {
	u, err := s.loadTarget(c)
	if err != nil {
		return err
	}
	errs := formErrors{}
	name := strings.TrimSpace(c.FormValue("name"))
	if msg := staffNameError(name); msg != "" {
		errs["name"] = msg
	}
	role, err := auth.ParseRole(c.FormValue("role"))
	if err != nil {
		errs["role"] = err.Error()
	}
	next := u
	next.Name, next.Disabled = name, c.FormValue("disabled") == "on"
	if role != "" {
		next.Role = role
	}
	if len(errs) == 0 {
		err = s.deps.Store.UpdateUser(c.Request().Context(), next, audit(c, "user.update", "", ""))
		if errors.Is(err, store.ErrLastAdmin) {
			errs["role"] = "This is the last active admin: make another admin first."
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "user", userView{Target: next, Roles: auth.Roles, Errors: errs}, false)
	}
	flash(c, "Saved.")
	return c.Redirect(http.StatusSeeOther, "/admin/users/"+idStr(u.ID))
}

// resetPassword gives the user a new generated password, shown once, and
// signs them out everywhere.
func (s *Server) resetPassword(c echo.Context) error {
	u, err := s.loadTarget(c)
	if err != nil {
		return err
	}
	pw, err := GeneratePassword()
	if err != nil {
		return err
	}
	hash, err := s.deps.Hasher.Hash(c.Request().Context(), pw)
	if err != nil {
		return s.withRetryAfter(c, err)
	}
	if err := s.deps.Store.SetPassword(c.Request().Context(), u.ID, hash, audit(c, "user.password_reset", "", "")); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "user", userView{Target: u, Roles: auth.Roles, Password: pw}, false)
}

// withRetryAfter adds Retry-After to a refusal (every hashing slot busy,
// too many attempts) before the error handler answers it with 429.
func (s *Server) withRetryAfter(c echo.Context, err error) error {
	s.refusal(c, err)
	return err
}

// GeneratePassword makes a 20-character password for new accounts.
func GeneratePassword() (string, error) {
	secret, _, err := auth.NewSecret("")
	if err != nil {
		return "", err
	}
	return secret[:20], nil
}

type tokensView struct {
	Tokens []store.APIToken
	Name   string
	Errors formErrors
	Secret string // shown once after creation
}

func (s *Server) tokensPage(c echo.Context) error {
	return s.renderTokens(c, http.StatusOK, tokensView{})
}

func (s *Server) renderTokens(c echo.Context, status int, v tokensView) error {
	toks, err := s.deps.Store.Tokens(c.Request().Context(), currentUser(c).ID)
	if err != nil {
		return err
	}
	v.Tokens = toks
	return s.render(c, status, "tokens", v, false)
}

func (s *Server) createToken(c echo.Context) error {
	name := strings.TrimSpace(c.FormValue("name"))
	if name == "" || len(name) > 100 || strings.ContainsAny(name, "\r\n<>") {
		return s.renderTokens(c, http.StatusUnprocessableEntity, tokensView{Name: name,
			Errors: formErrors{"name": "Give the token a name of 1 to 100 characters, like \"reporting script\"."}})
	}
	secret, prefix, hash, err := auth.NewAPIToken()
	if err != nil {
		return err
	}
	if _, err := s.deps.Store.CreateToken(c.Request().Context(), currentUser(c).ID, name, prefix, hash, audit(c, "token.create", "", "")); err != nil {
		return err
	}
	return s.renderTokens(c, http.StatusCreated, tokensView{Secret: secret})
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if ok, err := s.confirmed(c, confirmView{Title: "Revoke this API token?", Action: "/admin/tokens/" + strconv.FormatInt(id, 10) + "/revoke",
		Lost: []string{"Every script or integration that sends this token is refused from the next request on.",
			"A revoked token cannot be restored: you would create a new one and update each script that used it."},
		Button: "Revoke the token", Cancel: "/admin/tokens"}); !ok {
		return err
	}
	owner := currentUser(c).ID
	if currentUser(c).Role.Can(auth.PermManageUsers) {
		owner = 0 // admins may revoke anyone's token
	}
	if err := s.deps.Store.RevokeToken(c.Request().Context(), id, owner, audit(c, "token.revoke", "", "")); err != nil {
		return err
	}
	flash(c, "Token revoked.")
	return c.Redirect(http.StatusSeeOther, "/admin/tokens")
}

type auditView struct {
	Entries []store.AuditEntry
	Next    int64
}

func (s *Server) auditPage(c echo.Context) error {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	entries, err := s.deps.Store.AuditLog(c.Request().Context(), before, 101)
	if err != nil {
		return err
	}
	v := auditView{Entries: entries}
	if len(entries) > 100 {
		v.Entries = entries[:100]
		v.Next = entries[99].ID
	}
	return s.render(c, http.StatusOK, "audit", v, false)
}

type apiAuditEntry struct {
	ID         int64  `json:"id"`
	At         string `json:"at"`
	ActorID    int64  `json:"actor_id"`
	Action     string `json:"action"`
	ObjectType string `json:"object_type"`
	ObjectID   string `json:"object_id"`
	Detail     string `json:"detail"`
}

func (s *Server) apiAudit(c echo.Context) error {
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	entries, err := s.deps.Store.AuditLog(c.Request().Context(), before, 100)
	if err != nil {
		return err
	}
	out := make([]apiAuditEntry, len(entries))
	for i, e := range entries {
		out[i] = apiAuditEntry{ID: e.ID, At: e.At.UTC().Format("2006-01-02T15:04:05Z"), ActorID: e.ActorID, Action: e.Action,
			ObjectType: e.ObjectType, ObjectID: e.ObjectID, Detail: e.Detail}
	}
	return c.JSON(http.StatusOK, map[string]any{"entries": out})
}

func (s *Server) apiMe(c echo.Context) error {
	u := currentUser(c)
	return c.JSON(http.StatusOK, map[string]any{"id": u.ID, "email": u.Email, "name": u.Name, "role": u.Role})
}
