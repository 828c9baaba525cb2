package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/campaign"
	"github.com/outreach-org/outreach/internal/store"
)

// formErrors maps a field name to what is wrong with it.
type formErrors map[string]string

type loginView struct {
	Email, Next, Error string
}

func (s *Server) loginForm(c echo.Context) error {
	if s.deps.Store != nil {
		if n, err := s.deps.Store.CountUsers(c.Request().Context()); err == nil && n == 0 {
			return c.Redirect(http.StatusSeeOther, "/admin/setup")
		}
	}
	if currentUser(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	return s.render(c, http.StatusOK, "login", loginView{Next: c.QueryParam("next")}, false)
}

// login checks the password with throttling per account and per client IP.
// Failures all say the same thing, whether or not the account exists.
func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	email := strings.TrimSpace(c.FormValue("email"))
	pw := c.FormValue("password")
	v := loginView{Email: email, Next: c.FormValue("next")}
	if len(email) > 254 || len(pw) > 1024 {
		v.Error = auth.ErrBadCredentials.Error()
		return s.render(c, http.StatusUnprocessableEntity, "login", v, false)
	}
	norm, _ := auth.NormalizeEmail(email)
	acctKey := auth.ThrottleKey("acct", norm)
	res, err := s.reserveAttempt(c, s.passwordLimits(c, norm)...)
	if status, msg, ok := s.refusal(c, err); ok {
		v.Error = msg
		return s.render(c, status, "login", v, false)
	} else if err != nil {
		return err
	}
	u, err := s.deps.Store.UserByEmail(ctx, norm)
	ok := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = s.deps.Hasher.Burn(ctx, pw)
	case err != nil:
		return err
	default:
		ok, err = s.deps.Hasher.Verify(ctx, u.PasswordHash, pw)
		ok = ok && !u.Disabled
	}
	if err != nil { // no password was checked: the attempt is given back
		s.releaseAttempt(c, res)
		if status, msg, refused := s.refusal(c, err); refused {
			v.Error = msg
			return s.render(c, status, "login", v, false)
		}
		return err
	}
	if !ok { // the reserved attempt stays: it is the recorded failure
		v.Error = auth.ErrBadCredentials.Error()
		return s.render(c, http.StatusUnauthorized, "login", v, false)
	}
	s.releaseAttempt(c, res)
	if err := s.deps.Store.ClearLoginFailures(ctx, acctKey); err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(v.Next))
}

// passwordLimits are the throttles of a password check for the account
// email: per account and per client IP.
func (s *Server) passwordLimits(c echo.Context, email string) []store.AttemptLimit {
	return []store.AttemptLimit{
		{Key: auth.ThrottleKey("acct", email), Max: auth.MaxFailsPerAccount},
		{Key: auth.ThrottleKey("ip", c.RealIP()), Max: auth.MaxFailsPerIP},
	}
}

// reserveAttempt records a password attempt before the password is
// checked (store.ReserveAttempt), so parallel attempts cannot all pass a
// count taken before any of them is recorded.
func (s *Server) reserveAttempt(c echo.Context, limits ...store.AttemptLimit) (store.Reservation, error) {
	res, err := s.deps.Store.ReserveAttempt(c.Request().Context(), s.deps.Now(), auth.ThrottleWindow, limits...)
	var te *store.ThrottledError
	if errors.As(err, &te) {
		s.log.Warn("password attempt throttled", "per", strings.SplitN(te.Key, ":", 2)[0], "route", c.Path())
	}
	return res, err
}

// releaseAttempt gives back a reservation: the password was right, or was
// never checked. The request's cancellation does not stop it.
func (s *Server) releaseAttempt(c echo.Context, res store.Reservation) {
	if err := s.deps.Store.ReleaseAttempt(context.WithoutCancel(c.Request().Context()), res); err != nil {
		s.log.Warn("release password attempt", "err", err)
	}
}

// refusal answers a password check that is refused rather than failed:
// too many attempts (429, Retry-After the throttle window) or every
// hashing slot busy (429, Retry-After a few seconds). ok is false for any
// other error, nil included.
func (s *Server) refusal(c echo.Context, err error) (status int, msg string, ok bool) {
	switch {
	case errors.Is(err, auth.ErrThrottled):
		s.deps.Metrics.Throttled("signin")
		c.Response().Header().Set("Retry-After", strconv.Itoa(int(auth.ThrottleWindow.Seconds())))
		return http.StatusTooManyRequests, langOf(c).T("err.throttled"), true
	case errors.Is(err, auth.ErrBusy):
		s.deps.Metrics.Throttled("password_checks")
		c.Response().Header().Set("Retry-After", strconv.Itoa(auth.BusyRetryAfter))
		return http.StatusTooManyRequests, langOf(c).T("err.busy"), true
	}
	return 0, "", false
}

func (s *Server) logout(c echo.Context) error {
	if h, ok := c.Get(sessionKey).(string); ok {
		if err := s.deps.Store.DeleteSession(c.Request().Context(), h, audit(c, "session.logout", "user", idStr(currentUser(c).ID))); err != nil {
			return err
		}
	}
	s.clearSessionCookie(c)
	return c.Redirect(http.StatusSeeOther, "/admin/login")
}

// First-run setup: while no account exists, whoever holds a setup code
// printed in a server log may create the first admin.

// EnsureSetupCode returns a new setup code (and stores its hash beside
// those of other processes) when no staff account exists yet; it returns
// "" once one does. main logs it. Every replica's code works: none
// overwrites another's.
func (s *Server) EnsureSetupCode(ctx context.Context) (string, error) {
	n, err := s.deps.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	secret, _, err := auth.NewSecret("")
	if err != nil {
		return "", err
	}
	code := auth.SetupPrefix + secret[:16]
	if err := s.deps.Store.AddSetupCode(ctx, auth.HashSecret(code)); err != nil {
		return "", err
	}
	return code, nil
}

type setupView struct {
	Code, Email, Name string
	Errors            formErrors
}

func (s *Server) setupOpen(c echo.Context) (bool, error) {
	n, err := s.deps.Store.CountUsers(c.Request().Context())
	return n == 0, err
}

func (s *Server) setupForm(c echo.Context) error {
	open, err := s.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return c.Redirect(http.StatusSeeOther, "/admin/login")
	}
	return s.render(c, http.StatusOK, "setup", setupView{}, false)
}

// setup creates the first admin. The setup code is a password too: its
// attempts are reserved per client IP before it is compared.
func (s *Server) setup(c echo.Context) error {
	ctx := c.Request().Context()
	open, err := s.setupOpen(c)
	if err != nil {
		return err
	}
	if !open {
		return c.Redirect(http.StatusSeeOther, "/admin/login")
	}
	v := setupView{Code: strings.TrimSpace(c.FormValue("code")), Email: strings.TrimSpace(c.FormValue("email")),
		Name: strings.TrimSpace(c.FormValue("name")), Errors: formErrors{}}
	pw, pw2 := c.FormValue("password"), c.FormValue("password_confirm")
	res, err := s.reserveAttempt(c, store.AttemptLimit{Key: auth.ThrottleKey("setup-ip", c.RealIP()), Max: auth.MaxFailsPerAccount})
	if status, msg, ok := s.refusal(c, err); ok {
		v.Code, v.Errors["code"] = "", msg
		return s.render(c, status, "setup", v, false)
	} else if err != nil {
		return err
	}
	valid, err := s.deps.Store.SetupCodeValid(ctx, auth.HashSecret(v.Code))
	if err != nil {
		return err
	}
	if valid {
		s.releaseAttempt(c, res)
	} else { // the reserved attempt stays: it is the recorded failure
		v.Errors["code"] = "That setup code is not right. It is printed in the server's log when it starts with no staff account."
	}
	email, err := auth.NormalizeEmail(v.Email)
	if err != nil {
		v.Errors["email"] = err.Error()
	}
	if len(v.Name) > 100 {
		v.Errors["name"] = "A name may have at most 100 characters."
	}
	if err := auth.CheckPassword(pw); err != nil {
		v.Errors["password"] = err.Error()
	} else if pw != pw2 {
		v.Errors["password_confirm"] = "The two passwords are not the same."
	}
	if len(v.Errors) > 0 {
		v.Code = "" // never echo a secret back
		return s.render(c, http.StatusUnprocessableEntity, "setup", v, false)
	}
	hash, err := s.deps.Hasher.Hash(ctx, pw)
	if status, msg, ok := s.refusal(c, err); ok {
		v.Code, v.Errors["password"] = "", msg
		return s.render(c, status, "setup", v, false)
	} else if err != nil {
		return err
	}
	u, err := s.deps.Store.CreateFirstAdmin(ctx, auth.User{Email: email, Name: v.Name, PasswordHash: hash})
	if errors.Is(err, store.ErrConflict) {
		return c.Redirect(http.StatusSeeOther, "/admin/login")
	}
	if err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	flash(c, "Welcome. Your admin account is ready.")
	return c.Redirect(http.StatusSeeOther, "/admin")
}

// homeView is what the staff home warns about.
type homeView struct {
	Held []store.HeldCampaign // campaigns whose letters are held
	// Synthetic lists the live campaigns whose letters quote the latest
	// release while it is synthetic (demonstration data).
	Synthetic []homeCampaign
	ReleaseID int64
	Overview  overview
}

type homeCampaign struct {
	ID    int64
	Title string
	Demo  bool
}

func (s *Server) adminHome(c echo.Context) error {
	ctx := c.Request().Context()
	var v homeView
	held, err := s.deps.Store.HeldCampaigns(ctx)
	if err != nil {
		return err
	}
	v.Held = held
	rel, err := s.latestRelease(ctx)
	if err != nil {
		return err
	}
	if rel.Synthetic {
		list, err := s.deps.Store.Campaigns(ctx)
		if err != nil {
			return err
		}
		for _, cm := range list {
			if cm.Status != campaign.Live {
				continue
			}
			if cp, verr := campaign.Compile(cm.Subject, cm.Template, cm.OrganizationStatement); verr == nil && cp.QuotesRelease() {
				v.Synthetic = append(v.Synthetic, homeCampaign{ID: cm.ID, Title: cm.Title, Demo: cm.Demo})
			}
		}
		v.ReleaseID = rel.ID
	}
	if v.Overview, err = s.overview(ctx, currentUser(c).Role); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "admin_home", v, false)
}

type accountView struct {
	Errors formErrors
}

func (s *Server) accountPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "account", accountView{}, false)
}

// changePassword asks for the current password, throttled like sign-in
// (per account and per client IP): a stolen session cannot be used to
// guess it.
func (s *Server) changePassword(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	v := accountView{Errors: formErrors{}}
	cur, pw, pw2 := c.FormValue("current_password"), c.FormValue("password"), c.FormValue("password_confirm")
	if len(cur) > 1024 {
		cur = ""
	}
	res, err := s.reserveAttempt(c, s.passwordLimits(c, u.Email)...)
	if status, msg, ok := s.refusal(c, err); ok {
		v.Errors["current_password"] = msg
		return s.render(c, status, "account", v, false)
	} else if err != nil {
		return err
	}
	ok, err := s.deps.Hasher.Verify(ctx, u.PasswordHash, cur)
	if err != nil {
		s.releaseAttempt(c, res)
		if status, msg, refused := s.refusal(c, err); refused {
			v.Errors["current_password"] = msg
			return s.render(c, status, "account", v, false)
		}
		return err
	}
	if ok {
		s.releaseAttempt(c, res)
		if err := s.deps.Store.ClearLoginFailures(ctx, auth.ThrottleKey("acct", u.Email)); err != nil {
			return err
		}
	} else { // the reserved attempt stays: it is the recorded failure
		v.Errors["current_password"] = "Your current password is not right."
	}
	if err := auth.CheckPassword(pw); err != nil {
		v.Errors["password"] = err.Error()
	} else if pw != pw2 {
		v.Errors["password_confirm"] = "The two passwords are not the same."
	}
	if len(v.Errors) > 0 {
		return s.render(c, http.StatusUnprocessableEntity, "account", v, false)
	}
	hash, err := s.deps.Hasher.Hash(ctx, pw)
	if status, msg, refused := s.refusal(c, err); refused {
		v.Errors["password"] = msg
		return s.render(c, status, "account", v, false)
	} else if err != nil {
		return err
	}
	// Ends every session of this user, this one included; sign in again.
	if err := s.deps.Store.SetPassword(ctx, u.ID, hash, audit(c, "user.password_changed", "user", idStr(u.ID))); err != nil {
		return err
	}
	if u2, err := s.deps.Store.UserByID(ctx, u.ID); err == nil {
		if err := s.startSession(c, u2); err != nil {
			return err
		}
	}
	flash(c, "Your password was changed. Your other sessions were signed out.")
	return c.Redirect(http.StatusSeeOther, "/admin/account")
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
