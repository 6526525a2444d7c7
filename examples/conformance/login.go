package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/db"
	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// realm hands out a User avatar per login and records logins and logouts.
type realm struct {
	log  *slog.Logger
	door *Door      // one Viewable shared by every avatar
	db   *db.Facade // nil without -db
}

func (r *realm) RequestAvatar(ctx context.Context, avatarID string, mind any) (any, func(), error) {
	name := avatarID
	if avatarID == cred.AnonymousID {
		name = "anonymous"
	}
	r.log.Info("login", "user", name)
	u := &User{name: name, door: r.door, db: r.db}
	return u, func() { r.log.Info("logout", "user", name) }, nil
}

// User is the avatar of a logged-in user.
type User struct {
	name string
	door *Door
	db   *db.Facade
}

// PerspectiveDb returns the database facade (-db).
func (u *User) PerspectiveDb(ctx context.Context) (*db.Facade, error) {
	if u.db == nil {
		return nil, errors.New("no database: start the server with -db DSN")
	}
	return u.db, nil
}

// PerspectiveWhoami returns the user's name.
func (u *User) PerspectiveWhoami(ctx context.Context) (string, error) { return u.name, nil }

// PerspectiveEcho returns its argument.
func (u *User) PerspectiveEcho(ctx context.Context, x any) (any, error) { return x, nil }

// PerspectiveViewable returns the shared Viewable; it reaches the caller
// bound to this avatar.
func (u *User) PerspectiveViewable(ctx context.Context) (*Door, error) { return u.door, nil }

// Door is a Viewable: its View methods learn which avatar is calling.
type Door struct{ pb.Viewable }

// ViewWhoami returns the name of the avatar calling through this view.
func (d *Door) ViewWhoami(ctx context.Context, u *User) (string, error) {
	if u == nil {
		return "", errors.New("no perspective")
	}
	return u.name, nil
}

// portalFor builds the login portal for -users and -anonymous.
func portalFor(usersFile string, anonymous bool, facade *db.Facade, logger *slog.Logger) (*cred.Portal, error) {
	var checkers []cred.Checker
	if usersFile != "" {
		// The users file holds plaintext passwords: Twisted clients log in
		// with the MD5 challenge, which needs them.
		pf, err := cred.LoadPasswordFile(usersFile, cred.PasswordFileOptions{AllowPlaintext: true})
		if err != nil {
			return nil, err
		}
		checkers = append(checkers, pf)
	}
	if anonymous {
		checkers = append(checkers, cred.AllowAnonymous{})
	}
	return cred.NewPortal(&realm{log: logger, door: &Door{}, db: facade}, checkers), nil
}

// loginChecker runs the avatar checks of a login server as user/password.
type loginChecker struct {
	ctx      context.Context
	b        *pb.Broker
	user     string
	password string
	out      io.Writer
	n        int
}

func (c *loginChecker) ok(name string) {
	c.n++
	fmt.Fprintf(c.out, "ok %s\n", name)
}

func (c *loginChecker) run() error {
	avatar, err := pb.Login(c.ctx, c.b, cred.UsernamePassword{Username: c.user, Password: c.password}, nil)
	if err != nil {
		return fmt.Errorf("login: %w", err)
	}
	c.ok("login")
	who, err := avatar.CallRemote(c.ctx, "whoami")
	if err != nil || textOf(who) != c.user {
		return fmt.Errorf("whoami: got %#v, %v; want %q", who, err, c.user)
	}
	c.ok("whoami")
	for _, v := range []any{int64(7), "text", []byte("bytes"), jelly.List{int64(1), "a"}, nil} {
		got, err := avatar.CallRemote(c.ctx, "echo", v)
		if err != nil || !same(got, v) {
			return fmt.Errorf("echo %#v: got %#v, %v", v, got, err)
		}
	}
	c.ok("echo")
	v, err := avatar.CallRemote(c.ctx, "viewable")
	if err != nil {
		return fmt.Errorf("viewable: %w", err)
	}
	view, ok := v.(*pb.RemoteReference)
	if !ok {
		return fmt.Errorf("viewable: got %T, want a reference", v)
	}
	who, err = view.CallRemote(c.ctx, "whoami")
	if err != nil || textOf(who) != c.user {
		return fmt.Errorf("viewable whoami: got %#v, %v; want %q", who, err, c.user)
	}
	c.ok("viewable whoami")
	view.Release()

	_, err = pb.Login(c.ctx, c.b, cred.UsernamePassword{Username: c.user, Password: c.password + "-wrong"}, nil)
	if !errors.Is(err, cred.ErrUnauthorized) {
		return fmt.Errorf("wrong password: got %v, want an UnauthorizedLogin", err)
	}
	c.ok("wrong password refused")
	_, err = pb.Login(c.ctx, c.b, cred.UsernamePassword{Username: "nobody-" + c.user, Password: c.password}, nil)
	if !errors.Is(err, cred.ErrUnauthorized) {
		return fmt.Errorf("unknown user: got %v, want an UnauthorizedLogin", err)
	}
	c.ok("unknown user refused")
	avatar.Release()
	return nil
}

// textOf accepts a name as str or bytes (Twisted servers often send bytes).
func textOf(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprintf("%#v", v)
}
