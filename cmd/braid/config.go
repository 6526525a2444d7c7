package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/braidkit/braid/transport"
)

// Config is braid serve's configuration, read from a YAML file (--config)
// or, without one, the embedded default (defaultConfigYAML).
type Config struct {
	// Data is the data directory; relative paths in the configuration
	// (the password file, the SQLite database) are relative to the
	// working directory, not to it. Created if missing.
	Data string `yaml:"data" jelly:"data"`
	// Log configures the log on stderr.
	Log LogConfig `yaml:"log" jelly:"log"`
	// ShutdownTimeout bounds how long in-flight calls may run after
	// SIGINT or SIGTERM before connections are cut (default 10s).
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout" jelly:"shutdown_timeout"`
	// Admin is the admin PB endpoint.
	Admin AdminConfig `yaml:"admin" jelly:"admin"`
	// DB is the database pool published to admins.
	DB DBConfig `yaml:"db" jelly:"db"`
	// Services are the servers braid serve runs.
	Services []ServiceConfig `yaml:"services" jelly:"services"`
}

// LogConfig configures logging.
type LogConfig struct {
	Level  string `yaml:"level" jelly:"level"`   // debug, info (default), warn, error
	Format string `yaml:"format" jelly:"format"` // text (default) or json
}

// AdminConfig configures the admin PB endpoint: a cred login whose avatars
// with the admin role reach every admin object.
type AdminConfig struct {
	// Listen is the endpoint ("tcp:127.0.0.1:8789"); "" or "off" runs no
	// admin endpoint.
	Listen string `yaml:"listen" jelly:"listen"`
	// Users who may log in.
	Users []UserConfig `yaml:"users" jelly:"users"`
	// PasswordFile is an htpasswd-style file of more users (bcrypt or
	// SCRAM verifiers; plaintext only with AllowPlaintext). Their roles
	// come from Roles.
	PasswordFile string `yaml:"password_file" jelly:"password_file"`
	// AllowPlaintext accepts plaintext passwords in PasswordFile (which
	// Twisted clients need for their MD5 challenge login).
	AllowPlaintext bool `yaml:"allow_plaintext" jelly:"allow_plaintext"`
	// Roles gives roles to users by name, in addition to their own.
	Roles map[string][]string `yaml:"roles" jelly:"roles"`
}

// UserConfig is one user of the admin endpoint.
type UserConfig struct {
	Name string `yaml:"name" jelly:"name"`
	// Password is the plaintext password (prefer PasswordEnv).
	Password string `yaml:"password" jelly:"password"`
	// PasswordEnv names an environment variable holding the password.
	PasswordEnv string `yaml:"password_env" jelly:"password_env"`
	// Generate makes braid serve generate a random password when none is
	// set, and print it once on stderr at startup.
	Generate bool `yaml:"generate" jelly:"generate"`
	// Roles of the user; "admin" sees the admin objects.
	Roles []string `yaml:"roles" jelly:"roles"`
}

// DBConfig configures the database pool.
type DBConfig struct {
	// DSN is what db.Open takes ("sqlite:{data}/braid.db",
	// "postgres://..."), with {data} replaced by the data directory; ""
	// opens no database.
	DSN string `yaml:"dsn" jelly:"dsn"`
}

// ServiceConfig is one service. Name, Type and Listen apply to every
// type; the other fields to the mail services.
type ServiceConfig struct {
	// Name identifies the service in logs and under the admin root.
	Name string `yaml:"name" jelly:"name"`
	// Type is the kind of service: "demo" (a PB root with echo, add and
	// child, like the conformance server's), "smtp" or "pop3".
	Type string `yaml:"type" jelly:"type"`
	// Listen is the service's endpoint.
	Listen string `yaml:"listen" jelly:"listen"`

	// Hostname is the name a mail server greets with (default the
	// machine's).
	Hostname string `yaml:"hostname,omitempty" jelly:"hostname"`
	// Domains are the SMTP server's local domains (default Hostname and
	// localhost).
	Domains []string `yaml:"domains,omitempty" jelly:"domains"`
	// Maildir is the mail store, shared by smtp and pop3 services
	// (default "{data}/mail").
	Maildir string `yaml:"maildir,omitempty" jelly:"maildir"`
	// PasswordFile holds the mail users (htpasswd style): pop3 logins,
	// and SMTP AUTH when set.
	PasswordFile string `yaml:"password_file,omitempty" jelly:"password_file"`
	// AllowPlaintext accepts plaintext passwords in PasswordFile.
	AllowPlaintext bool `yaml:"allow_plaintext,omitempty" jelly:"allow_plaintext"`
	// AllowInsecureAuth lets clients send passwords without TLS (braid
	// serve does not configure TLS for mail yet).
	AllowInsecureAuth bool `yaml:"allow_insecure_auth,omitempty" jelly:"allow_insecure_auth"`
}

// defaultConfigYAML is what braid serve runs without --config: an admin
// endpoint on localhost with an "admin" user, SQLite under ./braid-data,
// and the demo service.
const defaultConfigYAML = `# braid serve's embedded default configuration.
data: ./braid-data
log:
  level: info
  format: text
shutdown_timeout: 10s
admin:
  listen: tcp:127.0.0.1:8789
  users:
    - name: admin
      password_env: BRAID_ADMIN_PASSWORD
      generate: true
      roles: [admin]
db:
  dsn: "sqlite:{data}/braid.db"
services:
  - name: demo
    type: demo
    listen: tcp:127.0.0.1:8788
`

// loadConfig reads a configuration file, or the default when path is "".
func loadConfig(path string) (*Config, error) {
	data := []byte(defaultConfigYAML)
	if path != "" {
		var err error
		if data, err = os.ReadFile(path); err != nil {
			return nil, err
		}
	}
	return parseConfig(data, path)
}

func parseConfig(data []byte, path string) (*Config, error) {
	name := path
	if name == "" {
		name = "default configuration"
	}
	var cfg Config
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && !errors.Is(err, errEOF) {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &cfg, nil
}

// errEOF is what an empty YAML document decodes with.
var errEOF = func() error {
	var v any
	return yaml.NewDecoder(strings.NewReader("")).Decode(&v)
}()

// check fills defaults and validates.
func (c *Config) check() error {
	if c.Data == "" {
		c.Data = "./braid-data"
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 10 * time.Second
	}
	if c.ShutdownTimeout < 0 {
		return fmt.Errorf("shutdown_timeout must not be negative")
	}
	if _, err := parseLevel(c.Log.Level); err != nil {
		return err
	}
	switch c.Log.Format {
	case "", "text", "json":
	default:
		return fmt.Errorf("log.format must be text or json, not %q", c.Log.Format)
	}
	if c.Admin.Listen == "off" {
		c.Admin.Listen = ""
	}
	if c.Admin.Listen != "" {
		if _, err := transport.Parse(c.Admin.Listen); err != nil {
			return fmt.Errorf("admin.listen: %w", err)
		}
	}
	seenUser := map[string]bool{}
	for i, u := range c.Admin.Users {
		if u.Name == "" {
			return fmt.Errorf("admin.users[%d]: name is missing", i)
		}
		if seenUser[u.Name] {
			return fmt.Errorf("admin.users: %s appears twice", u.Name)
		}
		seenUser[u.Name] = true
		if u.Password != "" && u.PasswordEnv != "" {
			return fmt.Errorf("admin user %s: give password or password_env, not both", u.Name)
		}
	}
	seen := map[string]bool{"server": true, "db": true, "whoami": true, "roles": true, "objects": true}
	for i, s := range c.Services {
		if s.Name == "" {
			return fmt.Errorf("services[%d]: name is missing", i)
		}
		if !validServiceName(s.Name) {
			return fmt.Errorf("service %q: a name is letters, digits and underscores, starting with a letter (admins call root.NAME())", s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("services: the name %s is taken", s.Name)
		}
		seen[s.Name] = true
		if _, ok := serviceTypes[s.Type]; !ok {
			return fmt.Errorf("service %s: unknown type %q (known: %s)", s.Name, s.Type, strings.Join(serviceTypeNames(), ", "))
		}
		if _, err := transport.Parse(s.Listen); err != nil {
			return fmt.Errorf("service %s: listen: %w", s.Name, err)
		}
		if s.Type == "pop3" && s.PasswordFile == "" {
			return fmt.Errorf("service %s: a pop3 service needs a password_file of mail users", s.Name)
		}
	}
	return nil
}

func validServiceName(n string) bool {
	for i, c := range n {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c == '_' || c >= '0' && c <= '9')) {
			return false
		}
	}
	return n != ""
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log.level must be debug, info, warn or error, not %q", s)
}

// userPasswords resolves the configured users' passwords. Generated
// passwords are kept in generated (by user name) so that a reload keeps
// them; fresh maps each newly generated user to its password.
func (c *Config) userPasswords(generated map[string]string) (passwords map[string]string, fresh map[string]string, err error) {
	passwords = map[string]string{}
	fresh = map[string]string{}
	for _, u := range c.Admin.Users {
		p := u.Password
		if u.PasswordEnv != "" {
			p = os.Getenv(u.PasswordEnv)
		}
		if p == "" && u.Generate {
			if g, ok := generated[u.Name]; ok {
				p = g
			} else {
				p, err = generatePassword()
				if err != nil {
					return nil, nil, err
				}
				generated[u.Name] = p
				fresh[u.Name] = p
			}
		}
		if p == "" {
			if u.PasswordEnv != "" {
				return nil, nil, fmt.Errorf("admin user %s: $%s is not set", u.Name, u.PasswordEnv)
			}
			return nil, nil, fmt.Errorf("admin user %s: no password (set password, password_env or generate)", u.Name)
		}
		passwords[u.Name] = p
	}
	return passwords, fresh, nil
}

// roles returns the roles of a user.
func (c *Config) roles(user string) []string {
	var roles []string
	for _, u := range c.Admin.Users {
		if u.Name == user {
			roles = append(roles, u.Roles...)
		}
	}
	return append(roles, c.Admin.Roles[user]...)
}

// generatePassword returns 18 random bytes as URL-safe base64 (24
// characters, 144 bits).
func generatePassword() (string, error) {
	b := make([]byte, 18)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// dsn returns the database DSN with {data} replaced.
func (c *Config) dsn() string { return strings.ReplaceAll(c.DB.DSN, "{data}", filepath.Clean(c.Data)) }

// redacted returns the configuration with passwords hidden, for the
// admin object.
func (c *Config) redacted() Config {
	r := *c
	r.Admin.Users = append([]UserConfig(nil), c.Admin.Users...)
	for i := range r.Admin.Users {
		if r.Admin.Users[i].Password != "" {
			r.Admin.Users[i].Password = "<redacted>"
		}
	}
	if r.DB.DSN != "" {
		r.DB.DSN = redactDSN(r.DB.DSN)
	}
	return r
}

// redactDSN hides a password in a URL-style DSN.
func redactDSN(dsn string) string {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return dsn
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return dsn
	}
	userinfo := rest[:at]
	if user, _, hasPass := strings.Cut(userinfo, ":"); hasPass {
		return scheme + "://" + user + ":<redacted>" + rest[at:]
	}
	return dsn
}

// ensureDataDir creates the data directory.
func ensureDataDir(dir string) error {
	if err := os.MkdirAll(filepath.Clean(dir), 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	return nil
}
