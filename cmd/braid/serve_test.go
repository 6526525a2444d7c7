package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/braidkit/braid/protocols/smtp"
)

// serveRun is a serve running in this process.
type serveRun struct {
	s    *server
	log  *lockedBuffer
	sigs chan os.Signal
	done chan struct{}
	err  error
}

// wait returns serve's result once it has returned.
func (r *serveRun) wait() error {
	<-r.done
	return r.err
}

// startServe runs serve in this process until the test ends.
func startServe(t *testing.T, args ...string) *serveRun {
	t.Helper()
	r := &serveRun{log: &lockedBuffer{}, sigs: make(chan os.Signal, 4), done: make(chan struct{})}
	ready := make(chan *server, 1)
	go func() {
		r.err = serve(args, r.log, r.sigs, ready)
		close(r.done)
	}()
	select {
	case r.s = <-ready:
		t.Cleanup(func() {
			select {
			case <-r.done:
			default:
				r.sigs <- syscall.SIGTERM
				<-r.done
			}
		})
		return r
	case <-r.done:
		t.Fatalf("serve: %v\n%s", r.err, r.log.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("serve did not start\n%s", r.log.String())
	}
	return nil
}

func (s *server) endpoints() (admin, demo string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	admin = s.adminEndpoint
	if rs := s.services["demo"]; rs != nil {
		demo = rs.endpoint
	}
	return
}

// TestServeDefault runs the embedded default configuration: an admin
// login, the admin objects, the demo service, and a graceful shutdown
// that lets an in-flight call finish.
func TestServeDefault(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("BRAID_ADMIN_PASSWORD", "s3cret")
	run := startServe(t, "--admin", "tcp:127.0.0.1:0", "--listen", "demo=tcp:127.0.0.1:0", "--data", filepath.Join(dir, "data"))
	s, log := run.s, run.log
	admin, demo := s.endpoints()
	require.NotEmpty(t, admin)
	require.NotEmpty(t, demo)
	assert.NotContains(t, log.String(), "admin password:", "a password from the environment is not printed")
	assert.DirExists(t, filepath.Join(dir, "data"))

	t.Setenv(envPassword, "s3cret")
	r := runInProcess(`root.whoami()
root.objects()
d = root.demo()
d.stats()["calls"]
root.server().services()[0]["name"]
root.server().status()["services"]
describe root
`, "shell", "-u", "admin", admin)
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "\"admin\"\n[\"db\", \"demo\", \"server\"]\n0\n\"demo\"\n1\nbraid.AdminAvatar\n"), r.stdout)
	assert.Contains(t, r.stdout, "  db()\n      SQL database access")
	assert.Contains(t, r.stdout, "  server()\n")

	// The SQLite database in the data directory, through its facade.
	r = runInProcess(`db = root.db()
db.runOperation("create table notes (id integer primary key, body text)")
db.runOperation("insert into notes (body) values ($1), ($2)", "hello", "world")
db.runQuery("select id, body from notes order by id")
describe db
`, "shell", "-u", "admin", admin)
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, "0\n2\n[{\"id\": 1, \"body\": \"hello\"}, {\"id\": 2, \"body\": \"world\"}]\n*db.Facade\n"), r.stdout)
	assert.FileExists(t, filepath.Join(dir, "data", "braid.db"))

	assert.Equal(t, result{stdout: "5\n"}, runInProcess("", "call", demo, "add", "2", "3"))
	r = runInProcess("", "call", "-u", "admin", admin, "nope")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "NoSuchMethod")

	t.Setenv(envPassword, "wrong")
	r = runInProcess("", "call", "-u", "admin", admin, "whoami")
	assert.Equal(t, result{stderr: "braid: login refused: unknown user or wrong password\n", code: 1}, r)

	// A call in flight when SIGTERM arrives still gets its answer.
	slow := make(chan result, 1)
	go func() { slow <- runInProcess("", "call", demo, "sleep", "0.5") }()
	waitFor(t, "the slow call", 5*time.Second, func() bool { return callsOf(s) >= 2 })
	run.sigs <- syscall.SIGTERM
	assert.Equal(t, result{stdout: "None\n"}, <-slow)
	require.NoError(t, run.wait())
	assert.Contains(t, log.String(), "msg=stopped")
	// Nothing listens any more.
	r = runInProcess("", "call", demo, "add", "1", "1")
	assert.Equal(t, 1, r.code)
}

// callsOf reads the demo service's call counter.
func callsOf(s *server) int64 {
	s.mu.Lock()
	rs := s.services["demo"]
	s.mu.Unlock()
	return rs.svc.Admin().(*demoAdmin).d.stats.calls.Load()
}

// TestServeConfigReload runs a configuration file with two users, then
// changes it and sends SIGHUP.
func TestServeConfigReload(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "braid.yaml")
	write := func(bobPassword, extra string) {
		require.NoError(t, os.WriteFile(cfgPath, []byte(`
data: `+filepath.Join(dir, "data")+`
log: {level: debug}
shutdown_timeout: 2s
admin:
  listen: tcp:127.0.0.1:0
  users:
    - {name: root, password: pw-root, roles: [admin]}
    - {name: bob, password: `+bobPassword+`}
db: {dsn: ""}
services:
  - {name: demo, type: demo, listen: "tcp:127.0.0.1:0"}
`+extra), 0o600))
	}
	write("pw-bob", "")
	run := startServe(t, "--config", cfgPath)
	log, sigs := run.log, run.sigs
	admin, _ := run.s.endpoints()

	t.Setenv(envPassword, "pw-bob")
	r := runInProcess("root.whoami()\nroot.roles()\n", "shell", "-u", "bob", admin)
	assert.Equal(t, result{stdout: "\"bob\"\n[]\n"}, r)
	r = runInProcess("root.server()\n", "shell", "-u", "bob", admin)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "braid.PermissionDenied: the admin role is needed")
	r = runInProcess("describe root\n", "shell", "-u", "bob", admin)
	assert.NotContains(t, r.stdout, "server()")

	write("pw-bob2", "  - {name: more, type: demo, listen: \"tcp:127.0.0.1:0\"}\n")
	sigs <- syscall.SIGHUP
	waitFor(t, "the reload", 10*time.Second, func() bool { return strings.Contains(log.String(), "configuration reloaded") })
	r = runInProcess("", "call", "-u", "bob", admin, "whoami")
	assert.Equal(t, 1, r.code, "the old password no longer works")
	t.Setenv(envPassword, "pw-bob2")
	assert.Equal(t, result{stdout: "\"bob\"\n"}, runInProcess("", "call", "-u", "bob", admin, "whoami"))
	t.Setenv(envPassword, "pw-root")
	r = runInProcess("[s[\"name\"] for s in x]\n", "shell", "-u", "root", admin)
	assert.Equal(t, 1, r.code)
	r = runInProcess("root.objects()\nroot.server().status()[\"reloads\"]\n", "shell", "-u", "root", admin)
	assert.Equal(t, result{stdout: "[\"demo\", \"more\", \"server\"]\n1\n"}, r)

	// A broken file keeps the running configuration.
	require.NoError(t, os.WriteFile(cfgPath, []byte("services: [{name: x, type: nope, listen: tcp:127.0.0.1:0}]\n"), 0o600))
	sigs <- syscall.SIGHUP
	waitFor(t, "the failed reload", 10*time.Second, func() bool { return strings.Contains(log.String(), "reload failed") })
	assert.Contains(t, log.String(), `unknown type \"nope\"`)
	assert.Equal(t, result{stdout: "\"root\"\n"}, runInProcess("", "call", "-u", "root", admin, "whoami"))
}

// TestServeMail runs the SMTP and POP3 services on one maildir and
// reaches their admin objects.
func TestServeMail(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "mailusers")
	require.NoError(t, os.WriteFile(users, []byte("carol:pw\n"), 0o600))
	cfgPath := filepath.Join(dir, "braid.yaml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(`
data: `+filepath.Join(dir, "data")+`
admin:
  listen: tcp:127.0.0.1:0
  users: [{name: root, password: pw-root, roles: [admin]}]
db: {dsn: ""}
services:
  - {name: smtp, type: smtp, listen: "tcp:127.0.0.1:0", hostname: mx.test, domains: [example.org]}
  - name: pop3
    type: pop3
    listen: "tcp:127.0.0.1:0"
    password_file: `+users+`
    allow_plaintext: true
    allow_insecure_auth: true
`), 0o600))
	run := startServe(t, "--config", cfgPath)
	run.s.mu.Lock()
	smtpEP := run.s.services["smtp"].endpoint
	admin := run.s.adminEndpoint
	run.s.mu.Unlock()

	msg := "From: a@b.test\r\nTo: carol@example.org\r\nSubject: hi\r\n\r\nhello\r\n"
	require.NoError(t, smtp.SendMail(context.Background(), smtpEP, smtp.SendOptions{}, "a@b.test", []string{"carol@example.org"}, strings.NewReader(msg)))

	t.Setenv(envPassword, "pw-root")
	r := runInProcess("root.objects()\nroot.smtp().mailboxes()\nroot.pop3().mailboxes()[0][\"name\"]\n", "shell", "-u", "root", admin)
	assert.Equal(t, result{stdout: "[\"pop3\", \"server\", \"smtp\"]\n[\"carol\"]\n\"carol\"\n"}, r)
	assert.DirExists(t, filepath.Join(dir, "data", "mail"))
}

func TestServeBadConfig(t *testing.T) {
	dir := t.TempDir()
	for body, msg := range map[string]string{
		"nope: 1\n":                           "field nope not found",
		"log: {level: loud}\n":                "log.level",
		"admin: {listen: \"bogus\"}\n":        "admin.listen",
		"services: [{name: a, type: demo}]\n": "service a: listen",
		"admin: {users: [{name: x}]}\n":       "admin user x: no password",
		"admin: {users: [{password: x}]}\n":   "name is missing",
		"admin: {users: [{name: x, password_env: BRAID_TEST_UNSET_VAR}]}\n": "$BRAID_TEST_UNSET_VAR is not set",
		"services: [{name: a-b, type: demo, listen: tcp:127.0.0.1:0}]\n":    "letters, digits and underscores",
		"services: [{name: server, type: demo, listen: tcp:127.0.0.1:0}]\n": "the name server is taken",
		"services: [{name: p, type: pop3, listen: tcp:127.0.0.1:0}]\n":      "needs a password_file",
	} {
		p := filepath.Join(dir, "c.yaml")
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		var log lockedBuffer
		sigs := make(chan os.Signal)
		err := serve([]string{"--config", p, "--data", filepath.Join(dir, "d")}, &log, sigs, nil)
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), msg, body)
	}
	r := runInProcess("", "serve", "extra")
	assert.Equal(t, 2, r.code)
	r = runInProcess("", "serve", "--listen", "nosuch=tcp:127.0.0.1:0")
	assert.Equal(t, 2, r.code)
	assert.Contains(t, r.stderr, "no service is named nosuch")
}

// TestServeBinary is the newcomer's path: braid serve with the embedded
// default, in a fresh directory, prints an admin password that braid
// shell logs in with; SIGTERM stops it cleanly.
func TestServeBinary(t *testing.T) {
	braid, _ := binaries(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, braid, "serve", "--admin", "tcp:127.0.0.1:0", "--listen", "demo=tcp:127.0.0.1:0")
	cmd.Dir = dir
	var env []string
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "BRAID_ADMIN_PASSWORD=") {
			env = append(env, e)
		}
	}
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill() }()

	var mu sync.Mutex
	var password, admin string
	var logText strings.Builder
	readyCh := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		reEP := regexp.MustCompile(`msg=listening service=admin endpoint=(\S+)`)
		closed := false
		for sc.Scan() {
			line := sc.Text()
			mu.Lock()
			logText.WriteString(line + "\n")
			if p, ok := strings.CutPrefix(line, "admin password: "); ok {
				password = p
			}
			if m := reEP.FindStringSubmatch(line); m != nil {
				admin = m[1]
			}
			if strings.Contains(line, "msg=ready") && !closed {
				close(readyCh)
				closed = true
			}
			mu.Unlock()
		}
	}()
	select {
	case <-readyCh:
	case <-time.After(20 * time.Second):
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("braid serve did not get ready:\n%s", logText.String())
	}
	mu.Lock()
	pw, ep := password, admin
	mu.Unlock()
	require.Len(t, pw, 24)
	require.NotEmpty(t, ep)
	assert.DirExists(t, filepath.Join(dir, "braid-data"))

	r := runBraid(t, "root.whoami()\nroot.demo().root().add(2, 3)\n", []string{envPassword + "=" + pw}, "shell", "-u", "admin", ep)
	assert.Equal(t, result{stdout: "\"admin\"\n5\n"}, r)

	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	require.NoError(t, cmd.Wait(), "braid serve exits 0 on SIGTERM")
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logText.String(), "msg=stopped")
	assert.Equal(t, 1, strings.Count(logText.String(), "admin password:"), "printed once")
}
