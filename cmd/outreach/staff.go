package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/outreach-org/outreach/internal/auth"
	"github.com/outreach-org/outreach/internal/store"
	"github.com/outreach-org/outreach/internal/web"
)

// stdin is where `user add` reads a password; tests replace it.
type stdinKey struct{}

func stdinOf(ctx context.Context) io.Reader {
	if r, ok := ctx.Value(stdinKey{}).(io.Reader); ok {
		return r
	}
	return os.Stdin
}

func cmdUser(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: outreach user add --email E --role admin|campaigner|case_editor|organizer [--name N] [--password-stdin]")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the person's email (their sign-in name)")
	roleName := fs.String("role", "", "admin, campaigner, case_editor or organizer")
	name := fs.String("name", "", "display name")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input instead of generating one")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	addr, err := auth.NormalizeEmail(*email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	role, err := auth.ParseRole(*roleName)
	if err != nil {
		return fmt.Errorf("--role: %w", err)
	}
	pw, generated := "", false
	if *fromStdin {
		line, err := bufio.NewReader(stdinOf(ctx)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		pw = strings.TrimRight(line, "\r\n")
	} else {
		if pw, err = web.GeneratePassword(); err != nil {
			return err
		}
		generated = true
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	st, err := cliStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, auth.User{Email: addr, Name: *name, Role: role, PasswordHash: hash}, store.Audit{Action: "user.create.cli"})
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("an account with email %s already exists", addr)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s account #%d for %s\n", role, u.ID, addr)
	if generated {
		fmt.Fprintf(stdout, "password (shown once): %s\n", pw)
	}
	return nil
}

func cmdToken(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: outreach token create --email E [--name N]")
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	email := fs.String("email", "", "the staff account the token acts as")
	name := fs.String("name", "command line", "what the token is for")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	addr, err := auth.NormalizeEmail(*email)
	if err != nil {
		return fmt.Errorf("--email: %w", err)
	}
	st, err := cliStore(ctx, env, stderr)
	if err != nil {
		return err
	}
	defer st.Close()
	u, err := st.UserByEmail(ctx, addr)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("no account with email %s", addr)
	}
	if err != nil {
		return err
	}
	secret, prefix, hash, err := auth.NewAPIToken()
	if err != nil {
		return err
	}
	if _, err := st.CreateToken(ctx, u.ID, *name, prefix, hash, store.Audit{ActorID: u.ID, Action: "token.create.cli"}); err != nil {
		return err
	}
	fmt.Fprintln(stdout, secret)
	return nil
}

func cliStore(ctx context.Context, env func(string) string, stderr io.Writer) (*store.Store, error) {
	cfg, _, err := loadConfig(env)
	if err != nil {
		return nil, err
	}
	return openStore(ctx, cfg, newLogger(cfg, stderr))
}
