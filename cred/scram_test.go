package cred_test

import (
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func scramPortal(users map[string]string) (*cred.Portal, *toyRealm) {
	mem := cred.NewInMemory(users)
	mem.SetSCRAMIterations(testIters)
	realm := newToyRealm()
	return cred.NewPortal(realm, []cred.Checker{mem}, cred.WithSCRAMIterations(testIters)), realm
}

func TestSCRAMThroughPortal(t *testing.T) {
	p, realm := scramPortal(map[string]string{"alice": "wonderland"})
	ctx := context.Background()
	r := scramLogin(t, ctx, p, "alice", "wonderland")
	require.NoError(t, r.StepErr)
	require.NoError(t, r.ClientErr)
	require.NoError(t, r.LoginErr)
	assert.True(t, r.Server.Done())
	assert.True(t, r.Server.Valid())
	assert.Equal(t, "alice", r.Server.Username())
	assert.True(t, r.Client.Done())
	assert.True(t, r.Client.Valid(), "the server proved it holds the verifier")
	assert.Equal(t, &avatar{ID: "alice", Mind: "mind"}, r.Avatar)
	r.Logout()
	r.Logout()
	assert.Equal(t, int32(1), realm.logoutCount("alice"))

	// A conversation logs in once.
	_, _, err := p.Login(ctx, r.Server, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	// Stepping a finished conversation is an error.
	_, err = r.Server.Step("c=biws,r=x,p=y")
	require.Error(t, err)

	// A conversation of another portal is refused.
	other, _ := scramPortal(map[string]string{"alice": "wonderland"})
	r2 := scramLogin(t, ctx, other, "alice", "wonderland")
	require.NoError(t, r2.StepErr)
	srv := other.NewSCRAMServer(ctx)
	_, _, err = p.Login(ctx, srv, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)

	// A conversation not made by a portal is refused.
	_, _, err = p.Login(ctx, &cred.SCRAMServer{}, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	_, err = (&cred.SCRAMServer{}).Step("n,,n=alice,r=abc")
	require.Error(t, err)

	// An unfinished conversation is refused.
	_, _, err = p.Login(ctx, p.NewSCRAMServer(ctx), nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
}

var serverFirstRE = regexp.MustCompile(`^r=([^,]+),s=([A-Za-z0-9+/=]+),i=(\d+)$`)

func TestSCRAMUnknownUserLooksKnown(t *testing.T) {
	p, _ := scramPortal(map[string]string{"alice": "wonderland"})
	ctx := context.Background()
	known := scramLogin(t, ctx, p, "alice", "nope")
	unknown := scramLogin(t, ctx, p, "mallory", "nope")
	unknownAgain := scramLogin(t, ctx, p, "mallory", "nope")

	mk := serverFirstRE.FindStringSubmatch(known.Transcript[1])
	mu := serverFirstRE.FindStringSubmatch(unknown.Transcript[1])
	mu2 := serverFirstRE.FindStringSubmatch(unknownAgain.Transcript[1])
	require.NotNil(t, mk, known.Transcript[1])
	require.NotNil(t, mu, unknown.Transcript[1])
	require.NotNil(t, mu2)
	// Same shape: salt of the same length, same iteration count.
	saltK, _ := base64.StdEncoding.DecodeString(mk[2])
	saltU, _ := base64.StdEncoding.DecodeString(mu[2])
	assert.Len(t, saltU, len(saltK))
	assert.Equal(t, mk[3], mu[3])
	// The stand-in salt is stable per user, like a real one.
	assert.Equal(t, mu[2], mu2[2])
	assert.NotEqual(t, mu[2], serverFirstRE.FindStringSubmatch(scramLogin(t, ctx, p, "trudy", "x").Transcript[1])[2])
	// Both fail only at the proof, identically.
	assert.Equal(t, known.Transcript[3], unknown.Transcript[3])
	assert.Equal(t, known.StepErr.Error(), unknown.StepErr.Error())
	// Even the right password of another user does not log mallory in.
	r := scramLogin(t, ctx, p, "mallory", "wonderland")
	require.ErrorIs(t, r.LoginErr, cred.ErrUnauthorized)
}

func TestSCRAMTranscriptHidesPasswordAndCannotBeReplayed(t *testing.T) {
	const password = "correct horse battery staple"
	p, _ := scramPortal(map[string]string{"alice": password})
	ctx := context.Background()
	r := scramLogin(t, ctx, p, "alice", password)
	require.NoError(t, r.LoginErr)
	require.Len(t, r.Transcript, 4)
	transcript := strings.Join(r.Transcript, "\n")

	md5sum := md5.Sum([]byte(password))
	sha1sum := sha1.Sum([]byte(password))
	sha256sum := sha256.Sum256([]byte(password))
	forbidden := []string{password}
	for _, sum := range [][]byte{md5sum[:], sha1sum[:], sha256sum[:]} {
		forbidden = append(forbidden,
			string(sum),
			hex.EncodeToString(sum),
			base64.StdEncoding.EncodeToString(sum),
			base64.RawStdEncoding.EncodeToString(sum),
		)
	}
	forbidden = append(forbidden, base64.StdEncoding.EncodeToString([]byte(password)))
	for _, f := range forbidden {
		assert.NotContains(t, transcript, f)
	}

	// Replay the recorded client messages against a fresh conversation.
	replay := p.NewSCRAMServer(ctx)
	s1, err := replay.Step(r.Transcript[0])
	require.NoError(t, err)
	assert.NotEqual(t, r.Transcript[1], s1, "the server picks a new nonce")
	_, err = replay.Step(r.Transcript[2])
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	assert.True(t, replay.Done())
	assert.False(t, replay.Valid())
	_, _, err = p.Login(ctx, replay, nil)
	require.ErrorIs(t, err, cred.ErrUnauthorized)
}

func TestSCRAMAgainstVerifierOnlyPasswordFile(t *testing.T) {
	v, err := cred.NewVerifier("s3cret", testIters)
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "passwd")
	require.NoError(t, os.WriteFile(path, []byte("# verifiers only\nbob:"+v.String()+"\n"), 0o600))
	pf, err := cred.LoadPasswordFile(path, cred.PasswordFileOptions{})
	require.NoError(t, err)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.NotContains(t, string(data), "s3cret")

	p := cred.NewPortal(newToyRealm(), []cred.Checker{pf}, cred.WithSCRAMIterations(testIters))
	ctx := context.Background()
	r := scramLogin(t, ctx, p, "bob", "s3cret")
	require.NoError(t, r.StepErr)
	require.NoError(t, r.LoginErr)
	assert.True(t, r.Client.Valid())
	assert.Equal(t, "bob", r.Avatar.(*avatar).ID)
	// The announced salt and count are the stored ones.
	m := serverFirstRE.FindStringSubmatch(r.Transcript[1])
	require.NotNil(t, m)
	assert.Equal(t, base64.StdEncoding.EncodeToString(v.Salt), m[2])

	require.ErrorIs(t, scramLogin(t, ctx, p, "bob", "S3cret").LoginErr, cred.ErrUnauthorized)
	require.ErrorIs(t, scramLogin(t, ctx, p, "nobody", "s3cret").LoginErr, cred.ErrUnauthorized)

	// A Twisted-style MD5 login cannot be served from a verifier.
	ch, err := cred.NewChallenge()
	require.NoError(t, err)
	_, _, err = p.Login(ctx, cred.MD5Challenge{Username: "bob", Challenge: ch, Response: cred.MD5Response("s3cret", ch)}, nil)
	require.ErrorIs(t, err, cred.ErrUnhandledCredentials)
}

func TestSCRAMClientRefusesBadServers(t *testing.T) {
	ctx := context.Background()
	p, _ := scramPortal(map[string]string{"alice": "pw"})

	// Default minimum: a server asking for 64 iterations is refused.
	c, err := cred.NewSCRAMClient("alice", "pw")
	require.NoError(t, err)
	srv := p.NewSCRAMServer(ctx)
	c1, err := c.Step("")
	require.NoError(t, err)
	s1, err := srv.Step(c1)
	require.NoError(t, err)
	_, err = c.Step(s1)
	require.Error(t, err)
	assert.False(t, c.Valid())

	// A maximum guards against a server asking for absurd work.
	c, err = cred.NewSCRAMClient("alice", "pw", cred.SCRAMMinIterations(1), cred.SCRAMMaxIterations(10))
	require.NoError(t, err)
	c1, err = c.Step("")
	require.NoError(t, err)
	s1, err = p.NewSCRAMServer(ctx).Step(c1)
	require.NoError(t, err)
	_, err = c.Step(s1)
	require.ErrorContains(t, err, "too many iterations")
	assert.True(t, c.Done())

	// A server without the verifier cannot complete: the client sees the
	// refusal as ErrUnauthorized.
	r := scramLogin(t, ctx, p, "alice", "wrong")
	require.ErrorIs(t, r.ClientErr, cred.ErrUnauthorized)
	assert.False(t, r.Client.Valid())
}

func TestSCRAMServerRefusesOddClients(t *testing.T) {
	ctx := context.Background()
	p, _ := scramPortal(map[string]string{"alice": "pw", "root": "toor"})

	// Garbage.
	srv := p.NewSCRAMServer(ctx)
	_, err := srv.Step("hello")
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	assert.True(t, srv.Done())
	assert.False(t, srv.Valid())

	// Too long.
	srv = p.NewSCRAMServer(ctx)
	msg, err := srv.Step("n,,n=alice,r=" + strings.Repeat("A", 10000))
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	assert.Equal(t, "e=other-error", msg)
	assert.True(t, srv.Done())

	// An authorization identity other than the user is not supported.
	srv = p.NewSCRAMServer(ctx)
	_, err = srv.Step("n,a=root,n=alice,r=abcdefghijklmnop")
	require.ErrorIs(t, err, cred.ErrUnauthorized)
	assert.True(t, srv.Done())
}

func TestVerifierTextForm(t *testing.T) {
	v, err := cred.NewVerifier("pencil", 4096)
	require.NoError(t, err)
	s := v.String()
	assert.Regexp(t, `^SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}$`, s)
	back, err := cred.ParseVerifier(s)
	require.NoError(t, err)
	assert.Equal(t, v, back)
	assert.True(t, back.Check("pencil"))
	assert.False(t, back.Check("Pencil"))
	assert.Len(t, v.Salt, cred.SCRAMSaltSize)

	w, err := cred.NewVerifier("pencil", 0)
	require.NoError(t, err)
	assert.Equal(t, cred.DefaultSCRAMIterations, w.Iterations)
	assert.NotEqual(t, v.Salt, w.Salt, "salts are random")

	// RFC 7677 section 3's example exchange: the verifier derived for
	// "pencil" must verify the RFC's client proof and produce its server
	// signature.
	salt, _ := base64.StdEncoding.DecodeString("W22ZaJ0SNY7soEsUEjb6gQ==")
	rfc, err := cred.NewVerifierWithSalt("pencil", salt, 4096)
	require.NoError(t, err)
	const (
		nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
		proof = "dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
		sig   = "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
	)
	authMsg := "n=user,r=rOprNGfwEbeRWgbNEkqO," +
		"r=" + nonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096," +
		"c=biws,r=" + nonce
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	assert.Equal(t, sig, base64.StdEncoding.EncodeToString(mac(rfc.ServerKey, authMsg)))
	clientProof, _ := base64.StdEncoding.DecodeString(proof)
	clientSig := mac(rfc.StoredKey, authMsg)
	clientKey := make([]byte, len(clientProof))
	for i := range clientKey {
		clientKey[i] = clientProof[i] ^ clientSig[i]
	}
	storedKey := sha256.Sum256(clientKey)
	assert.Equal(t, rfc.StoredKey, storedKey[:])

	for _, bad := range []string{
		"",
		"md5abc",
		"SCRAM-SHA-256$",
		"SCRAM-SHA-256$4096:c2FsdA==",
		"SCRAM-SHA-256$0:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
		"SCRAM-SHA-256$x:c2FsdA==$a:b",
		"SCRAM-SHA-256$4096:c2FsdA==$c2hvcnQ=:c2hvcnQ=",
		"SCRAM-SHA-256$4096:!!!$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
	} {
		_, err := cred.ParseVerifier(bad)
		require.Error(t, err, "%q", bad)
		if bad != "" {
			assert.NotContains(t, err.Error(), bad)
		}
	}
}
