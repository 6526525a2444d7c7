package cred_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func bcryptHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	require.NoError(t, err)
	return string(h)
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
}

// lineErrors unpacks the *PasswordFileError values of a load error.
func lineErrors(t *testing.T, err error) []*cred.PasswordFileError {
	t.Helper()
	var out []*cred.PasswordFileError
	var walk func(error)
	walk = func(err error) {
		if pe, ok := err.(*cred.PasswordFileError); ok {
			out = append(out, pe)
			return
		}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
		}
	}
	walk(err)
	return out
}

func TestPasswordFileBcrypt(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "htpasswd")
	// $2a$, $2b$ and $2y$ hashes all work.
	a := bcryptHash(t, "alpha")
	b := bcryptHash(t, "bravo")
	y := bcryptHash(t, "yankee")
	a = "$2a$" + a[4:]
	y = "$2y$" + y[4:]
	writeFile(t, path, "# users\n\nann:"+a+"\r\nben:"+b+"\n  # indented comment\nyan:"+y+"\n")
	pf, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{})
	require.NoError(t, err)
	assert.Equal(t, 3, pf.Len())
	assert.Equal(t, path, pf.Path())
	assert.Equal(t, []cred.Kind{cred.KindUsernamePassword, cred.KindSCRAM}, pf.Kinds())

	for user, pw := range map[string]string{"ann": "alpha", "ben": "bravo", "yan": "yankee"} {
		id, err := pf.Check(ctx, cred.UsernamePassword{Username: user, Password: pw})
		require.NoError(t, err, user)
		assert.Equal(t, user, id)
		_, err = pf.Check(ctx, cred.UsernamePassword{Username: user, Password: pw + "!"})
		require.ErrorIs(t, err, cred.ErrUnauthorized)
	}
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "zed", Password: "alpha"})
	require.ErrorIs(t, err, cred.ErrUnauthorized)

	// No plaintext: MD5 challenges are unhandled, through a portal too.
	ch, err := cred.NewChallenge()
	require.NoError(t, err)
	md5c := cred.MD5Challenge{Username: "ann", Challenge: ch, Response: cred.MD5Response("alpha", ch)}
	_, err = pf.Check(ctx, md5c)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)
	p := cred.NewPortal(newToyRealm(), []cred.Checker{pf})
	_, _, err = p.Login(ctx, md5c, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)
}

func TestPasswordFilePlaintext(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "passwd")
	writeFile(t, path, "ann:"+bcryptHash(t, "alpha")+"\ncarol:pass:with:colons\n")

	// Refused without AllowPlaintext, naming the line, not the password.
	_, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "pass:with:colons")
	assert.NotContains(t, err.Error(), "with:colons")
	errs := lineErrors(t, err)
	require.Len(t, errs, 1)
	assert.Equal(t, 2, errs[0].Line)
	assert.Contains(t, err.Error(), ":2:")
	assert.Contains(t, err.Error(), "AllowPlaintext")

	pf, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{AllowPlaintext: true, SCRAMIterations: testIters})
	require.NoError(t, err)
	assert.Contains(t, pf.Kinds(), cred.KindMD5Challenge)
	id, err := pf.Check(ctx, cred.UsernamePassword{Username: "carol", Password: "pass:with:colons"})
	require.NoError(t, err)
	assert.Equal(t, "carol", id)

	// MD5 challenges work for plaintext entries only.
	ch, err := cred.NewChallenge()
	require.NoError(t, err)
	_, err = pf.Check(ctx, cred.MD5Challenge{Username: "carol", Challenge: ch, Response: cred.MD5Response("pass:with:colons", ch)})
	require.NoError(t, err)
	_, errBcrypt := pf.Check(ctx, cred.MD5Challenge{Username: "ann", Challenge: ch, Response: cred.MD5Response("alpha", ch)})
	_, errUnknown := pf.Check(ctx, cred.MD5Challenge{Username: "zed", Challenge: ch, Response: cred.MD5Response("alpha", ch)})
	require.ErrorIs(t, errBcrypt, cred.ErrUnauthorized)
	assert.Equal(t, errUnknown.Error(), errBcrypt.Error())

	// SCRAM: served for the plaintext entry, not for the bcrypt one.
	p := cred.NewPortal(newToyRealm(), []cred.Checker{pf}, cred.WithSCRAMIterations(testIters))
	require.NoError(t, scramLogin(t, ctx, p, "carol", "pass:with:colons").LoginErr)
	require.ErrorIs(t, scramLogin(t, ctx, p, "ann", "alpha").LoginErr, cred.ErrUnauthorized)
}

func TestPasswordFileMalformedLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "passwd")
	good := bcryptHash(t, "ok")
	v, err := cred.NewVerifier("ok", testIters)
	require.NoError(t, err)
	content := "" +
		"ann:" + good + "\n" + // 1 fine
		"no-colon-secret\n" + // 2
		":" + good + "\n" + // 3 empty username
		"dan:\n" + // 4 empty hash
		"eve:$apr1$salt$hashhash\n" + // 5 unsupported scheme
		"fay:{SHA}abcdef=\n" + // 6 unsupported scheme
		"ann:" + good + "\n" + // 7 duplicate
		"gus:$2b$99$brokenbrokenbroken\n" + // 8 malformed bcrypt
		"hal:SCRAM-SHA-256$4096:bad\n" + // 9 malformed verifier
		"# fine\n" + // 10
		"ivy:" + v.String() + "\n" // 11 fine
	writeFile(t, path, content)
	_, err = cred.LoadPasswordFile(path, cred.PasswordFileOptions{AllowPlaintext: true})
	require.Error(t, err)
	var lines []int
	for _, e := range lineErrors(t, err) {
		lines = append(lines, e.Line)
		assert.Equal(t, path, e.Path)
	}
	assert.Equal(t, []int{2, 3, 4, 5, 6, 7, 8, 9}, lines)
	assert.NotContains(t, err.Error(), "no-colon-secret")
	var pe *cred.PasswordFileError
	require.True(t, errors.As(err, &pe))
	assert.Equal(t, 2, pe.Line)

	// A missing file.
	_, err = cred.LoadPasswordFile(filepath.Join(t.TempDir(), "absent"), cred.PasswordFileOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestPasswordFileReload(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "passwd")
	writeFile(t, path, "ann:"+bcryptHash(t, "one")+"\n")
	pf, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{})
	require.NoError(t, err)
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "bob", Password: "two"})
	require.ErrorIs(t, err, cred.ErrUnauthorized)

	writeFile(t, path, "ann:"+bcryptHash(t, "uno")+"\nbob:"+bcryptHash(t, "two")+"\n")
	require.NoError(t, pf.Reload())
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "bob", Password: "two"})
	require.NoError(t, err)
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "ann", Password: "one"})
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "ann", Password: "uno"})
	require.NoError(t, err)

	// A broken file is reported and the old contents stay.
	writeFile(t, path, "ann:plaintext\n")
	err = pf.Reload()
	require.Error(t, err)
	_, err = pf.Check(ctx, cred.UsernamePassword{Username: "bob", Password: "two"})
	require.NoError(t, err)
}

func TestPasswordFileConcurrentReload(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "passwd")
	writeFile(t, path, "ann:annpw\n")
	pf, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{AllowPlaintext: true, SCRAMIterations: testIters})
	require.NoError(t, err)
	p := cred.NewPortal(newToyRealm(), []cred.Checker{pf},
		cred.WithThrottle(cred.ThrottleConfig{Disabled: true}), cred.WithSCRAMIterations(testIters))

	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				_, _, err := p.Login(ctx, cred.UsernamePassword{Username: "ann", Password: "annpw"}, nil)
				assert.NoError(t, err)
				_, err = pf.SCRAMCredentials(ctx, "ann")
				assert.NoError(t, err)
			}
		}()
	}
	for range 20 {
		require.NoError(t, pf.Reload())
	}
	wg.Wait()
}
