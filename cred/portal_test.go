package cred_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/crypto/ssh"
)

// credsFor builds credentials of kind k for user with password.
func credsFor(t *testing.T, k cred.Kind, user, password string) cred.Credentials {
	t.Helper()
	switch k {
	case cred.KindUsernamePassword:
		return cred.UsernamePassword{Username: user, Password: password}
	case cred.KindMD5Challenge:
		ch, err := cred.NewChallenge()
		require.NoError(t, err)
		return cred.MD5Challenge{Username: user, Challenge: ch, Response: cred.MD5Response(password, ch)}
	}
	t.Fatalf("no builder for %s", k)
	return nil
}

// passwordCheckers returns every password checker, each knowing alice with
// password "wonderland" and serving the kinds listed.
func passwordCheckers(t *testing.T) map[string]struct {
	checker cred.Checker
	kinds   []cred.Kind
} {
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte("wonderland"), bcrypt.MinCost)
	require.NoError(t, err)
	v, err := cred.NewVerifier("wonderland", testIters)
	require.NoError(t, err)

	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	bcryptFile, err := cred.LoadPasswordFile(write("bcrypt", "alice:"+string(hash)+"\n"), cred.PasswordFileOptions{})
	require.NoError(t, err)
	scramFile, err := cred.LoadPasswordFile(write("scram", "alice:"+v.String()+"\n"), cred.PasswordFileOptions{})
	require.NoError(t, err)
	plainFile, err := cred.LoadPasswordFile(write("plain", "alice:wonderland\n"),
		cred.PasswordFileOptions{AllowPlaintext: true, SCRAMIterations: testIters})
	require.NoError(t, err)
	mem := cred.NewInMemory(map[string]string{"alice": "wonderland"})
	mem.SetSCRAMIterations(testIters)

	all := []cred.Kind{cred.KindUsernamePassword, cred.KindMD5Challenge, cred.KindSCRAM}
	upSCRAM := []cred.Kind{cred.KindUsernamePassword, cred.KindSCRAM}
	return map[string]struct {
		checker cred.Checker
		kinds   []cred.Kind
	}{
		"InMemory":               {mem, all},
		"PasswordFile/bcrypt":    {bcryptFile, []cred.Kind{cred.KindUsernamePassword}},
		"PasswordFile/scram":     {scramFile, upSCRAM},
		"PasswordFile/plaintext": {plainFile, all},
	}
}

// TestPasswordCheckerMatrix runs every password checker against every kind
// it serves: right password, wrong password, unknown user (same error), and
// the kinds it does not serve.
func TestPasswordCheckerMatrix(t *testing.T) {
	ctx := context.Background()
	for name, tc := range passwordCheckers(t) {
		t.Run(name, func(t *testing.T) {
			p := cred.NewPortal(newToyRealm(), []cred.Checker{tc.checker},
				cred.WithSCRAMIterations(testIters))
			for _, k := range tc.kinds {
				t.Run(string(k), func(t *testing.T) {
					if k == cred.KindSCRAM {
						ok := scramLogin(t, ctx, p, "alice", "wonderland")
						require.NoError(t, ok.StepErr)
						require.NoError(t, ok.ClientErr)
						require.NoError(t, ok.LoginErr)
						assert.Equal(t, "alice", ok.Avatar.(*avatar).ID)
						assert.True(t, ok.Client.Valid())

						wrong := scramLogin(t, ctx, p, "alice", "looking-glass")
						unknown := scramLogin(t, ctx, p, "mallory", "wonderland")
						for _, r := range []scramResult{wrong, unknown} {
							require.ErrorIs(t, r.StepErr, cred.ErrUnauthorized)
							require.ErrorIs(t, r.LoginErr, cred.ErrUnauthorized)
							assert.False(t, r.Server.Valid())
							assert.Equal(t, "e=invalid-proof", r.Transcript[3])
						}
						assert.Equal(t, wrong.StepErr.Error(), unknown.StepErr.Error())
						assert.Equal(t, wrong.LoginErr.Error(), unknown.LoginErr.Error())
						return
					}
					id, err := tc.checker.Check(ctx, credsFor(t, k, "alice", "wonderland"))
					require.NoError(t, err)
					assert.Equal(t, "alice", id)
					av, logout, err := p.Login(ctx, credsFor(t, k, "alice", "wonderland"), nil)
					require.NoError(t, err)
					assert.Equal(t, "alice", av.(*avatar).ID)
					logout()

					_, errWrong := tc.checker.Check(ctx, credsFor(t, k, "alice", "looking-glass"))
					_, errUnknown := tc.checker.Check(ctx, credsFor(t, k, "mallory", "wonderland"))
					_, errEmpty := tc.checker.Check(ctx, credsFor(t, k, "", ""))
					require.ErrorIs(t, errWrong, cred.ErrUnauthorized)
					require.ErrorIs(t, errUnknown, cred.ErrUnauthorized)
					require.ErrorIs(t, errEmpty, cred.ErrUnauthorized)
					assert.Equal(t, errWrong.Error(), errUnknown.Error())

					_, _, pErrWrong := p.Login(ctx, credsFor(t, k, "alice", "looking-glass"), nil)
					_, _, pErrUnknown := p.Login(ctx, credsFor(t, k, "mallory", "wonderland"), nil)
					require.ErrorIs(t, pErrWrong, cred.ErrUnauthorized)
					assert.Equal(t, pErrWrong.Error(), pErrUnknown.Error())
					assert.NotContains(t, pErrWrong.Error(), "looking-glass")
				})
			}

			// Kinds the checker does not serve.
			served := map[cred.Kind]bool{}
			for _, k := range tc.checker.Kinds() {
				served[k] = true
			}
			for _, k := range tc.kinds {
				assert.True(t, served[k], "Kinds() lacks %s", k)
			}
			unserved := []cred.Credentials{cred.Anonymous{}, cred.SSHPublicKey{Username: "alice"}}
			if !served[cred.KindMD5Challenge] {
				unserved = append(unserved, credsFor(t, cred.KindMD5Challenge, "alice", "wonderland"))
			}
			for _, c := range unserved {
				_, err := tc.checker.Check(ctx, c)
				require.ErrorIs(t, err, cred.ErrUnhandledCredentials, "%s", c.Kind())
				_, _, err = p.Login(ctx, c, nil)
				require.ErrorIs(t, err, cred.ErrUnhandledCredentials, "%s", c.Kind())
				assert.NotErrorIs(t, err, cred.ErrUnauthorized)
			}
		})
	}
}

func TestAllowAnonymous(t *testing.T) {
	ctx := context.Background()
	var c cred.Checker = cred.AllowAnonymous{}
	id, err := c.Check(ctx, cred.Anonymous{})
	require.NoError(t, err)
	assert.Equal(t, cred.AnonymousID, id)
	id, err = c.Check(ctx, &cred.Anonymous{})
	require.NoError(t, err)
	assert.Equal(t, cred.AnonymousID, id)
	_, err = c.Check(ctx, cred.UsernamePassword{Username: "alice", Password: "x"})
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)

	realm := newToyRealm()
	p := cred.NewPortal(realm, []cred.Checker{cred.AllowAnonymous{}})
	av, logout, err := p.Login(ctx, cred.Anonymous{}, "BRAINS!")
	require.NoError(t, err)
	assert.Equal(t, &avatar{ID: cred.AnonymousID, Mind: "BRAINS!"}, av)
	logout()
	assert.Equal(t, int32(1), realm.logoutCount(cred.AnonymousID))

	// Without the checker, anonymous logins are unhandled (as in Twisted).
	p = cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(nil)})
	_, _, err = p.Login(ctx, cred.Anonymous{}, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)
}

func TestAuthorizedKeysChecker(t *testing.T) {
	ctx := context.Background()
	newKey := func() ssh.PublicKey {
		pub, _, err := ed25519.GenerateKey(rand.Reader)
		require.NoError(t, err)
		k, err := ssh.NewPublicKey(pub)
		require.NoError(t, err)
		return k
	}
	good, restricted, other := newKey(), newKey(), newKey()
	dir := t.TempDir()
	path := filepath.Join(dir, "authorized_keys")
	content := "# alice's keys\n\n" +
		string(ssh.MarshalAuthorizedKey(good)) +
		`from="10.0.0.0/8" ` + string(ssh.MarshalAuthorizedKey(restricted))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))

	ak, err := cred.NewAuthorizedKeys(map[string]string{"alice": path})
	require.NoError(t, err)
	assert.Equal(t, []cred.Kind{cred.KindSSHPublicKey}, ak.Kinds())

	id, err := ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: good})
	require.NoError(t, err)
	assert.Equal(t, "alice", id)
	_, errOther := ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: other})
	_, errUnknown := ak.Check(ctx, cred.SSHPublicKey{Username: "bob", Key: good})
	_, errRestricted := ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: restricted})
	_, errNil := ak.Check(ctx, cred.SSHPublicKey{Username: "alice"})
	for _, err := range []error{errOther, errUnknown, errRestricted, errNil} {
		require.ErrorIs(t, err, cred.ErrUnauthorized)
	}
	assert.Equal(t, errOther.Error(), errUnknown.Error())
	_, err = ak.Check(ctx, cred.UsernamePassword{Username: "alice", Password: "x"})
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)

	// Through a portal.
	p := cred.NewPortal(newToyRealm(), []cred.Checker{ak})
	av, _, err := p.Login(ctx, &cred.SSHPublicKey{Username: "alice", Key: good}, nil)
	require.NoError(t, err)
	assert.Equal(t, "alice", av.(*avatar).ID)
	_, _, err = p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "x"}, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)

	// Reload picks up a new key; a broken file keeps the old keys.
	require.NoError(t, os.WriteFile(path, ssh.MarshalAuthorizedKey(other), 0o600))
	require.NoError(t, ak.Reload())
	_, err = ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: other})
	require.NoError(t, err)
	_, err = ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: good})
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	require.NoError(t, os.WriteFile(path, []byte("ssh-ed25519 not-base64!\n"), 0o600))
	err = ak.Reload()
	require.Error(t, err)
	assert.Contains(t, err.Error(), ":1:")
	_, err = ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: other})
	require.NoError(t, err)
}

func TestAuthorizedKeysPattern(t *testing.T) {
	ctx := context.Background()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key, err := ssh.NewPublicKey(pub)
	require.NoError(t, err)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "alice.pub"), ssh.MarshalAuthorizedKey(key), 0o600))
	// A file outside the pattern's reach that a traversal would hit.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "..", "evil.pub"), ssh.MarshalAuthorizedKey(key), 0o600))

	_, err = cred.NewAuthorizedKeysPattern(filepath.Join(dir, "keys"))
	require.Error(t, err)
	ak, err := cred.NewAuthorizedKeysPattern(filepath.Join(dir, "%u.pub"))
	require.NoError(t, err)
	id, err := ak.Check(ctx, cred.SSHPublicKey{Username: "alice", Key: key})
	require.NoError(t, err)
	assert.Equal(t, "alice", id)
	for _, user := range []string{"bob", "../evil", ".hidden", "", "a/b", "a\x00"} {
		_, err := ak.Check(ctx, cred.SSHPublicKey{Username: user, Key: key})
		require.ErrorIs(t, err, cred.ErrUnauthorized, "%q", user)
	}
}

func TestLogoutRunsExactlyOnceConcurrently(t *testing.T) {
	ctx := context.Background()
	realm := newToyRealm()
	p := cred.NewPortal(realm, []cred.Checker{cred.NewInMemory(map[string]string{"alice": "pw"})})
	_, logout, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for range 10 {
				logout()
			}
		}()
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(1), realm.logoutCount("alice"))

	// Two logins, two independent logouts.
	_, l1, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	_, l2, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	l1()
	l1()
	l2()
	assert.Equal(t, int32(3), realm.logoutCount("alice"))
}

func TestPortalRouting(t *testing.T) {
	ctx := context.Background()
	first := cred.NewInMemory(map[string]string{"alice": "one"})
	second := cred.NewInMemory(map[string]string{"alice": "two", "bob": "b"})
	p := cred.NewPortal(newToyRealm(), []cred.Checker{first, second, cred.AllowAnonymous{}})
	assert.Equal(t, []cred.Kind{cred.KindUsernamePassword, cred.KindMD5Challenge, cred.KindSCRAM, cred.KindAnonymous}, p.Kinds())
	assert.True(t, p.Handles(cred.KindAnonymous))
	assert.False(t, p.Handles(cred.KindSSHPublicKey))

	// Either checker may accept; all refusing is ErrUnauthorized.
	for _, c := range []cred.UsernamePassword{{"alice", "one"}, {"alice", "two"}, {"bob", "b"}} {
		_, _, err := p.Login(ctx, c, nil)
		require.NoError(t, err, c.Username)
	}
	_, _, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "three"}, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)

	_, _, err = p.Login(ctx, nil, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)
	_, _, err = p.Login(ctx, cred.SSHPublicKey{Username: "alice"}, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)

	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	_, _, err = p.Login(cancelled, cred.UsernamePassword{Username: "alice", Password: "one"}, nil)
	require.ErrorIs(t, err, context.Canceled)
}

// failingChecker fails with an error of its own.
type failingChecker struct{}

var errStoreDown = errors.New("store down")

func (failingChecker) Kinds() []cred.Kind { return []cred.Kind{cred.KindUsernamePassword} }
func (failingChecker) Check(context.Context, cred.Credentials) (string, error) {
	return "", errStoreDown
}

func TestPortalCheckerFailure(t *testing.T) {
	ctx := context.Background()
	mem := cred.NewInMemory(map[string]string{"alice": "pw"})
	p := cred.NewPortal(newToyRealm(), []cred.Checker{failingChecker{}, mem})
	// A later checker can still accept.
	_, _, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	// When none accepts, the failure is visible to the server, and the
	// login is still refused.
	_, _, err = p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "no"}, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	require.ErrorIs(t, err, errStoreDown)
}

func TestRealmErrorAndNilLogout(t *testing.T) {
	ctx := context.Background()
	errNoAvatar := errors.New("no avatar today")
	mem := cred.NewInMemory(map[string]string{"alice": "pw", "bob": "pw"})
	realm := cred.RealmFunc(func(ctx context.Context, id string, mind any) (any, func(), error) {
		if id == "bob" {
			return nil, nil, errNoAvatar
		}
		return id, nil, nil
	})
	p := cred.NewPortal(realm, []cred.Checker{mem})
	av, logout, err := p.Login(ctx, cred.UsernamePassword{Username: "alice", Password: "pw"}, nil)
	require.NoError(t, err)
	assert.Equal(t, "alice", av)
	require.NotNil(t, logout)
	logout()
	logout()
	_, _, err = p.Login(ctx, cred.UsernamePassword{Username: "bob", Password: "pw"}, nil)
	require.ErrorIs(t, err, errNoAvatar)
}

func TestSourceContext(t *testing.T) {
	ctx := context.Background()
	_, ok := cred.SourceFromContext(ctx)
	assert.False(t, ok)
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
	got, ok := cred.SourceFromContext(cred.WithSource(ctx, addr))
	require.True(t, ok)
	assert.Equal(t, addr, got)
}
