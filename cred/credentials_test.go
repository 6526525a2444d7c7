package cred_test

import (
	"encoding/hex"
	"fmt"
	"testing"

	"github.com/braidkit/braid/cred"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// The worked example of pb-wire.md section 4.3.
func TestMD5ResponseWorkedExample(t *testing.T) {
	challenge := unhex(t, "4e2a81224473f7118cf79e771c679718")
	want := unhex(t, "2d1fea6ad074bb743e6977671262e346")
	assert.Equal(t, want, cred.MD5Response("secret", challenge))

	c := cred.MD5Challenge{Username: "user", Challenge: challenge, Response: want}
	assert.True(t, c.CheckPassword("secret"))
	assert.False(t, c.CheckPassword("Secret"))
	assert.False(t, c.CheckPassword(""))
	assert.True(t, c.CheckMD5(unhex(t, "5ebe2294ecd0e0f08eab7690d2a6ee69")))
	assert.False(t, c.CheckMD5(unhex(t, "5ebe2294ecd0e0f08eab7690d2a6ee68")))

	// A truncated response never matches.
	c.Response = want[:15]
	assert.False(t, c.CheckPassword("secret"))
}

func TestNewChallenge(t *testing.T) {
	a, err := cred.NewChallenge()
	require.NoError(t, err)
	b, err := cred.NewChallenge()
	require.NoError(t, err)
	assert.Len(t, a, cred.ChallengeSize)
	assert.NotEqual(t, a, b)
}

func TestKinds(t *testing.T) {
	assert.Equal(t, cred.KindUsernamePassword, cred.UsernamePassword{}.Kind())
	assert.Equal(t, cred.KindMD5Challenge, cred.MD5Challenge{}.Kind())
	assert.Equal(t, cred.KindSSHPublicKey, cred.SSHPublicKey{}.Kind())
	assert.Equal(t, cred.KindAnonymous, cred.Anonymous{}.Kind())
	assert.Equal(t, cred.KindSCRAM, (&cred.SCRAMServer{}).Kind())
}

func TestUsernamePasswordNeverPrintsPassword(t *testing.T) {
	up := cred.UsernamePassword{Username: "alice", Password: "hunter2"}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		out := fmt.Sprintf(f, up)
		assert.NotContains(t, out, "hunter2", f)
		assert.Contains(t, out, "alice", f)
		out = fmt.Sprintf(f, &up)
		assert.NotContains(t, out, "hunter2", f)
	}
	assert.NotContains(t, up.LogValue().String(), "hunter2")
}
