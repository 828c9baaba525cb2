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
	ipKey := auth.ThrottleKey("ip", c.RealIP())
	since := s.deps.Now().Add(-auth.ThrottleWindow)
	na, err := s.deps.Store.LoginFailures(ctx, acctKey, since)
	if err != nil {
		return err
	}
	ni, err := s.deps.Store.LoginFailures(ctx, ipKey, since)
	if err != nil {
		return err
	}
	if na >= auth.MaxFailsPerAccount || ni >= auth.MaxFailsPerIP {
		v.Error = auth.ErrThrottled.Error()
		s.log.Warn("sign-in throttled", "per_account", na >= auth.MaxFailsPerAccount, "per_ip", ni >= auth.MaxFailsPerIP)
		return s.render(c, http.StatusTooManyRequests, "login", v, false)
	}
	u, err := s.deps.Store.UserByEmail(ctx, norm)
	ok := false
	switch {
	case errors.Is(err, store.ErrNotFound):
		auth.BurnPasswordCheck(pw)
	case err != nil:
		return err
	default:
		ok = auth.VerifyPassword(u.PasswordHash, pw) && !u.Disabled
	}
	if !ok {
		if err := s.deps.Store.RecordLoginFailure(ctx, acctKey, ipKey); err != nil {
			return err
		}
		v.Error = auth.ErrBadCredentials.Error()
		return s.render(c, http.StatusUnauthorized, "login", v, false)
	}
	if err := s.deps.Store.ClearLoginFailures(ctx, acctKey); err != nil {
		return err
	}
	if err := s.startSession(c, u); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(v.Next))
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

// First-run setup: while no account exists, whoever holds the setup code
// printed in the server log may create the first admin.

const setupSettingKey = "setup_code_hash"

// EnsureSetupCode returns a new setup code (and stores its hash) when no
// staff account exists yet; it returns "" once one does. main logs it.
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
	if err := s.deps.Store.SetSetting(ctx, setupSettingKey, auth.HashSecret(code)); err != nil {
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
	want, err := s.deps.Store.Setting(ctx, setupSettingKey)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	ipKey := auth.ThrottleKey("setup-ip", c.RealIP())
	if n, err := s.deps.Store.LoginFailures(ctx, ipKey, s.deps.Now().Add(-auth.ThrottleWindow)); err != nil {
		return err
	} else if n >= auth.MaxFailsPerAccount {
		v.Errors["code"] = auth.ErrThrottled.Error()
		return s.render(c, http.StatusTooManyRequests, "setup", v, false)
	}
	if want == "" || auth.HashSecret(v.Code) != want {
		v.Errors["code"] = "That setup code is not right. It is printed in the server's log when it starts with no staff account."
		if err := s.deps.Store.RecordLoginFailure(ctx, ipKey); err != nil {
			return err
		}
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
	hash, err := auth.HashPassword(pw)
	if err != nil {
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
	return s.render(c, http.StatusOK, "admin_home", v, false)
}

type accountView struct {
	Errors formErrors
}

func (s *Server) accountPage(c echo.Context) error {
	return s.render(c, http.StatusOK, "account", accountView{}, false)
}

func (s *Server) changePassword(c echo.Context) error {
	u := currentUser(c)
	v := accountView{Errors: formErrors{}}
	cur, pw, pw2 := c.FormValue("current_password"), c.FormValue("password"), c.FormValue("password_confirm")
	if !auth.VerifyPassword(u.PasswordHash, cur) {
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
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	// Ends every session of this user, this one included; sign in again.
	if err := s.deps.Store.SetPassword(c.Request().Context(), u.ID, hash, audit(c, "user.password_changed", "user", idStr(u.ID))); err != nil {
		return err
	}
	if u2, err := s.deps.Store.UserByID(c.Request().Context(), u.ID); err == nil {
		if err := s.startSession(c, u2); err != nil {
			return err
		}
	}
	flash(c, "Your password was changed. Your other sessions were signed out.")
	return c.Redirect(http.StatusSeeOther, "/admin/account")
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }
