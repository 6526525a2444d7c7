package pb

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/jelly"
)

// Twisted's names for login failures, so Twisted clients can trap them.
const (
	TypeUnauthorizedLogin    = "twisted.cred.error.UnauthorizedLogin"
	TypeUnhandledCredentials = "twisted.cred.error.UnhandledCredentials"
)

// Wire names of the login methods on a portal root. Twisted's portal root
// has login and loginAnonymous; Braid adds loginSCRAM.
const (
	methodLogin          = "login"
	methodLoginAnonymous = "loginAnonymous"
	methodLoginSCRAM     = "loginSCRAM"
)

// LoginRoot returns a Server.NewRoot function that publishes a login portal
// as each connection's root, as Twisted's PBServerFactory(portal) does:
//
//	srv := &pb.Server{NewRoot: pb.LoginRoot(portal)}
//
// The root answers Twisted's MD5 challenge login (login, then respond on the
// challenger), loginAnonymous, and Braid's SCRAM-SHA-256 login. A successful
// login hands the client the realm's avatar by reference; calls on it run the
// avatar's Perspective* methods with the avatar as the call's perspective.
// The realm's logout runs exactly once, when the client releases the avatar
// or the connection ends; a mind the client passed as a reference is
// released then too.
//
// The MD5 challenge needs the password (or its MD5) on the server, so only
// checkers that keep it — cred.InMemory, or a cred.PasswordFile with
// plaintext entries — can serve Twisted clients. Braid clients use SCRAM,
// which works with verifier-only password files.
func LoginRoot(p *cred.Portal) func(*Broker) any {
	return func(b *Broker) any { return &portalRoot{portal: p, b: b} }
}

// portalRoot is the per-connection root of a login server.
type portalRoot struct {
	Referenceable
	portal *cred.Portal
	b      *Broker
}

// exportedRef is a reference already entered in the export table (with its
// count taken); it jellies as [remote, luid] without taking another count.
type exportedRef struct{ luid int64 }

// RemoteLogin starts the MD5 challenge: it answers (challenge, challenger).
// Unknown users get a challenge too, so names cannot be probed.
func (r *portalRoot) RemoteLogin(ctx context.Context, username any) (jelly.Tuple, error) {
	name, err := usernameOf(username)
	if err != nil {
		return nil, err
	}
	challenge, err := cred.NewChallenge()
	if err != nil {
		return nil, err
	}
	return jelly.Tuple{challenge, &challenger{root: r, username: name, challenge: challenge}}, nil
}

// RemoteLoginAnonymous logs in without credentials, if the portal allows it.
func (r *portalRoot) RemoteLoginAnonymous(ctx context.Context, mind any) (any, error) {
	return r.login(ctx, cred.Anonymous{}, mind)
}

// RemoteLoginSCRAM starts a SCRAM-SHA-256 login: it takes the client-first
// message and answers (server-first message, conversation).
func (r *portalRoot) RemoteLoginSCRAM(ctx context.Context, clientFirst string) (jelly.Tuple, error) {
	conv := r.portal.NewSCRAMServer(cred.WithSource(r.b.ctx, r.b.RemoteAddr()))
	serverFirst, err := conv.Step(clientFirst)
	if err != nil {
		return nil, loginFailure(err)
	}
	return jelly.Tuple{serverFirst, &scramLogin{root: r, conv: conv}}, nil
}

func (r *portalRoot) login(ctx context.Context, creds cred.Credentials, mind any) (any, error) {
	avatar, logout, err := r.portal.Login(cred.WithSource(ctx, r.b.RemoteAddr()), creds, mind)
	if err != nil {
		return nil, loginFailure(err)
	}
	release := func() {
		logout()
		if m, ok := mind.(*RemoteReference); ok {
			m.Release()
		}
	}
	luid, err := r.b.exportFresh(avatar, prefixPerspective, avatar, release)
	if err != nil {
		release()
		return nil, err
	}
	return exportedRef{luid}, nil
}

// challenger checks one response to one MD5 challenge.
type challenger struct {
	Referenceable
	root      *portalRoot
	username  string
	challenge []byte
	used      atomic.Bool
}

// RemoteRespond takes MD5(MD5(password) + challenge) and the client's mind,
// and answers the avatar. Each challenge can be answered once.
func (c *challenger) RemoteRespond(ctx context.Context, response []byte, mind any) (any, error) {
	if !c.used.CompareAndSwap(false, true) {
		return nil, loginFailure(cred.ErrUnauthorized)
	}
	return c.root.login(ctx, cred.MD5Challenge{Username: c.username, Challenge: c.challenge, Response: response}, mind)
}

// scramLogin is the server's side of one SCRAM conversation.
type scramLogin struct {
	Referenceable
	root *portalRoot
	conv *cred.SCRAMServer
}

// RemoteFinish takes the client-final message and the mind, and answers
// (server-final message, avatar).
func (s *scramLogin) RemoteFinish(ctx context.Context, clientFinal string, mind any) (jelly.Tuple, error) {
	serverFinal, err := s.conv.Step(clientFinal)
	if err != nil {
		return nil, loginFailure(err)
	}
	avatar, err := s.root.login(ctx, s.conv, mind)
	if err != nil {
		return nil, err
	}
	return jelly.Tuple{serverFinal, avatar}, nil
}

// usernameOf accepts a username sent as bytes (Twisted clients) or text.
func usernameOf(v any) (string, error) {
	switch v := v.(type) {
	case []byte:
		return string(v), nil
	case string:
		return v, nil
	}
	return "", typeErrorf("username must be bytes or str, not %T", v)
}

// loginFailure turns a cred error into the failure Twisted clients expect.
func loginFailure(err error) error {
	if errors.Is(err, cred.ErrUnhandledCredentials) {
		return &RemoteError{Type: TypeUnhandledCredentials, Value: err.Error(),
			Parents: parentsOf(TypeUnhandledCredentials, "twisted.cred.error.LoginFailed")}
	}
	value := ""
	if errors.Is(err, cred.ErrThrottled) {
		value = "too many failed logins; try again later"
	}
	if errors.Is(err, cred.ErrUnauthorized) {
		return &RemoteError{Type: TypeUnauthorizedLogin, Value: value,
			Parents: parentsOf(TypeUnauthorizedLogin, "twisted.cred.error.LoginFailed", "twisted.cred.error.Unauthorized")}
	}
	return err
}

// Login logs in to the portal published as the peer's root and returns a
// reference to the avatar. Release it to log out.
//
// cred.UsernamePassword logs in with SCRAM-SHA-256 when the server is Braid
// (it offered Braid's native dialect in the handshake), so the password
// never crosses the wire, and with Twisted's MD5 challenge otherwise. cred.Anonymous logs in anonymously. mind, which may be nil, is
// passed to the server's realm; a Referenceable mind lets the server call
// back.
//
// A refused login returns an error that matches cred.ErrUnauthorized (or
// cred.ErrUnhandledCredentials) with errors.Is, and wraps the *RemoteError.
func Login(ctx context.Context, b *Broker, creds cred.Credentials, mind any) (*RemoteReference, error) {
	root := b.Root()
	var v any
	var err error
	switch c := creds.(type) {
	case cred.Anonymous:
		v, err = root.CallRemote(ctx, methodLoginAnonymous, mind)
	case cred.UsernamePassword:
		// A Braid server (it offered the native dialect) gets SCRAM; a
		// Twisted one the MD5 challenge, the only login it knows.
		login := loginMD5
		if b.peerIsBraid {
			login = loginSCRAM
		}
		var ref *RemoteReference
		if ref, err = login(ctx, root, c, mind); err == nil {
			return ref, nil
		}
	default:
		return nil, fmt.Errorf("pb: login with %s credentials: %w", creds.Kind(), cred.ErrUnhandledCredentials)
	}
	if err != nil {
		return nil, loginError(err)
	}
	ref, ok := v.(*RemoteReference)
	if !ok {
		return nil, fmt.Errorf("%w: login answered %T, not an avatar reference", ErrProtocol, v)
	}
	return ref, nil
}

// loginError makes a remote login failure match the cred errors.
func loginError(err error) error {
	var re *RemoteError
	if errors.As(err, &re) {
		switch {
		case re.Check(TypeUnauthorizedLogin):
			return fmt.Errorf("pb: login refused: %w: %w", cred.ErrUnauthorized, err)
		case re.Check(TypeUnhandledCredentials):
			return fmt.Errorf("pb: login refused: %w: %w", cred.ErrUnhandledCredentials, err)
		}
	}
	return err
}

func loginMD5(ctx context.Context, root *RemoteReference, c cred.UsernamePassword, mind any) (*RemoteReference, error) {
	v, err := root.CallRemote(ctx, methodLogin, []byte(c.Username))
	if err != nil {
		return nil, loginError(err)
	}
	t, ok := v.(jelly.Tuple)
	if !ok || len(t) != 2 {
		return nil, fmt.Errorf("%w: login answered %T, not (challenge, challenger)", ErrProtocol, v)
	}
	challenge, ok1 := t[0].([]byte)
	ch, ok2 := t[1].(*RemoteReference)
	if ok2 {
		defer ch.Release()
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: login answered (%T, %T), not (challenge, challenger)", ErrProtocol, t[0], t[1])
	}
	v, err = ch.CallRemote(ctx, "respond", cred.MD5Response(c.Password, challenge), mind)
	if err != nil {
		return nil, loginError(err)
	}
	ref, ok := v.(*RemoteReference)
	if !ok {
		return nil, fmt.Errorf("%w: respond answered %T, not an avatar reference", ErrProtocol, v)
	}
	return ref, nil
}

func loginSCRAM(ctx context.Context, root *RemoteReference, c cred.UsernamePassword, mind any) (*RemoteReference, error) {
	client, err := cred.NewSCRAMClient(c.Username, c.Password)
	if err != nil {
		return nil, err
	}
	first, err := client.Step("")
	if err != nil {
		return nil, err
	}
	v, err := root.CallRemote(ctx, methodLoginSCRAM, first)
	if err != nil {
		return nil, loginError(err)
	}
	t, ok := v.(jelly.Tuple)
	if !ok || len(t) != 2 {
		return nil, fmt.Errorf("%w: loginSCRAM answered %T, not (message, conversation)", ErrProtocol, v)
	}
	serverFirst, ok1 := t[0].(string)
	conv, ok2 := t[1].(*RemoteReference)
	if ok2 {
		defer conv.Release()
	}
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: loginSCRAM answered (%T, %T)", ErrProtocol, t[0], t[1])
	}
	final, err := client.Step(serverFirst)
	if err != nil {
		return nil, fmt.Errorf("pb: SCRAM login: %w", err)
	}
	v, err = conv.CallRemote(ctx, "finish", final, mind)
	if err != nil {
		return nil, loginError(err)
	}
	t, ok = v.(jelly.Tuple)
	if !ok || len(t) != 2 {
		return nil, fmt.Errorf("%w: finish answered %T, not (message, avatar)", ErrProtocol, v)
	}
	avatar, ok := t[1].(*RemoteReference)
	if !ok {
		return nil, fmt.Errorf("%w: finish answered %T, not an avatar reference", ErrProtocol, t[1])
	}
	serverFinal, _ := t[0].(string)
	if _, err := client.Step(serverFinal); err != nil || !client.Valid() {
		// The server could not prove it knows the verifier: do not trust it.
		avatar.Release()
		return nil, fmt.Errorf("pb: SCRAM login: the server failed to prove its identity: %v", err)
	}
	return avatar, nil
}
