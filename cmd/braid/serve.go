package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"reflect"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/braidkit/braid/cred"
	"github.com/braidkit/braid/pb"
)

type serveOptions struct {
	config   string
	admin    string
	data     string
	logLevel string
	listen   listenFlags
}

// listenFlags collects --listen NAME=ENDPOINT overrides.
type listenFlags map[string]string

func (l *listenFlags) String() string { return "" }

func (l *listenFlags) Set(v string) error {
	name, ep, ok := strings.Cut(v, "=")
	if !ok || name == "" || ep == "" {
		return fmt.Errorf("want NAME=ENDPOINT")
	}
	if *l == nil {
		*l = listenFlags{}
	}
	(*l)[name] = ep
	return nil
}

type serveFlags struct{ fs *flag.FlagSet }

func newServeFlags(o *serveOptions) serveFlags {
	fs := flag.NewFlagSet("braid serve", flag.ContinueOnError)
	fs.StringVar(&o.config, "config", "", "read the configuration from `FILE` (YAML; default: the embedded default)")
	fs.StringVar(&o.admin, "admin", "", "serve the admin PB endpoint on `ENDPOINT` instead of the configured one (\"off\": none)")
	fs.StringVar(&o.data, "data", "", "use `DIR` as the data directory instead of the configured one")
	fs.Var(&o.listen, "listen", "serve service `NAME=ENDPOINT` on ENDPOINT instead of the configured one (repeatable)")
	fs.StringVar(&o.logLevel, "log-level", "", "log `LEVEL`: debug, info, warn, error (overrides the configuration)")
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `Usage: braid serve [flags]

Runs the configured services and the admin PB endpoint, whose avatars with
the admin role reach every admin object (root.server(), root.db(), one per
service). Without --config it runs the embedded default:

  admin PB on tcp:127.0.0.1:8789, user "admin" with the password in
  $BRAID_ADMIN_PASSWORD, or generated and printed once on stderr
  SQLite database ./braid-data/braid.db
  the demo service (echo, add, child, ...) on tcp:127.0.0.1:8788

Then:  braid shell -u admin tcp:127.0.0.1:8789
       braid call tcp:127.0.0.1:8788 add 2 3

SIGHUP reloads the configuration file (users, services, log level);
SIGINT or SIGTERM stop accepting, let in-flight calls finish for up to
shutdown_timeout (10s), and exit.

Flags:
`)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), "\nThe embedded default configuration, a starting point for --config:\n\n%s", defaultConfigYAML)
	}
	return serveFlags{fs}
}

func runServe(args []string, stdout, stderr io.Writer) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	return serve(args, stderr, sigs, nil)
}

// serve runs braid serve until SIGINT or SIGTERM arrives on sigs; SIGHUP
// reloads. ready, if not nil, receives the server once it is up (tests).
func serve(args []string, stderr io.Writer, sigs <-chan os.Signal, ready chan<- *server) error {
	var o serveOptions
	sf := newServeFlags(&o)
	sf.fs.SetOutput(stderr)
	pos, err := parseInterleaved(sf.fs, args, 0)
	if err != nil {
		if err == flag.ErrHelp {
			return err
		}
		return &exitError{exitUsage}
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments (got %q)", pos[0])
	}
	s := &server{opts: o, configPath: o.config, stderr: stderr, generated: map[string]string{}}
	cfg, err := s.loadConfig()
	if err != nil {
		return err
	}
	s.level = new(slog.LevelVar)
	s.logger = newLogger(stderr, cfg.Log.Format, s.level)
	s.applyLevel(cfg)

	ctx := context.Background()
	if err := s.start(ctx, cfg); err != nil {
		s.shutdown(time.Second)
		return err
	}
	if ready != nil {
		ready <- s
	}
	for sig := range sigs {
		if sig == syscall.SIGHUP {
			if err := s.reload(ctx); err != nil {
				s.logger.Error("reload failed; keeping the running configuration", "err", err)
			}
			continue
		}
		s.logger.Info("shutting down", "signal", sig.String(), "timeout", s.config().ShutdownTimeout.String())
		done := make(chan struct{})
		go func() {
			s.shutdown(s.config().ShutdownTimeout)
			close(done)
		}()
	wait:
		for {
			select {
			case <-done:
				break wait
			case sig := <-sigs:
				if sig != syscall.SIGHUP {
					s.logger.Warn("second signal: closing at once", "signal", sig.String())
					s.closeNow()
				}
			}
		}
		s.logger.Info("stopped")
		return nil
	}
	return nil
}

func newLogger(w io.Writer, format string, level *slog.LevelVar) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// server is a running braid serve.
type server struct {
	opts       serveOptions
	configPath string
	stderr     io.Writer
	logger     *slog.Logger
	level      *slog.LevelVar
	started    time.Time

	portal atomic.Pointer[cred.Portal] // swapped on reload

	mu            sync.Mutex
	cfg           *Config
	generated     map[string]string // generated passwords, by user
	admin         *pbService
	adminEndpoint string
	adminListen   string // as configured
	serverAdmin   *serverAdmin
	services      map[string]*runningService
	reloads       int
	res           *resources
}

type runningService struct {
	cfg      ServiceConfig
	svc      service
	endpoint string
}

func (s *server) config() *Config {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// loadConfig reads the configuration and applies the flags.
func (s *server) loadConfig() (*Config, error) {
	cfg, err := loadConfig(s.configPath)
	if err != nil {
		return nil, err
	}
	if s.opts.admin != "" {
		cfg.Admin.Listen = s.opts.admin
	}
	if s.opts.data != "" {
		cfg.Data = s.opts.data
	}
	if s.opts.logLevel != "" {
		cfg.Log.Level = s.opts.logLevel
	}
	for name, ep := range s.opts.listen {
		found := false
		for i := range cfg.Services {
			if cfg.Services[i].Name == name {
				cfg.Services[i].Listen, found = ep, true
			}
		}
		if !found {
			return nil, usagef("--listen %s=%s: no service is named %s", name, ep, name)
		}
	}
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return cfg, nil
}

func (s *server) applyLevel(cfg *Config) {
	l, _ := parseLevel(cfg.Log.Level)
	s.level.Set(l)
}

// buildPortal makes the admin portal for cfg, printing newly generated
// passwords once.
func (s *server) buildPortal(cfg *Config) (*cred.Portal, error) {
	passwords, fresh, err := cfg.userPasswords(s.generated)
	if err != nil {
		return nil, err
	}
	checkers := []cred.Checker{cred.NewInMemory(passwords)}
	if cfg.Admin.PasswordFile != "" {
		pf, err := cred.LoadPasswordFile(cfg.Admin.PasswordFile, cred.PasswordFileOptions{AllowPlaintext: cfg.Admin.AllowPlaintext})
		if err != nil {
			return nil, err
		}
		checkers = append(checkers, pf)
	}
	names := make([]string, 0, len(fresh))
	for n := range fresh {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "admin" {
			fmt.Fprintf(s.stderr, "admin password: %s\n", fresh[n])
		} else {
			fmt.Fprintf(s.stderr, "password for %s: %s\n", n, fresh[n])
		}
	}
	return cred.NewPortal(&adminRealm{s: s}, checkers), nil
}

// start brings up everything cfg describes.
func (s *server) start(ctx context.Context, cfg *Config) error {
	s.started = time.Now()
	s.services = map[string]*runningService{}
	s.serverAdmin = &serverAdmin{s: s}
	if err := ensureDataDir(cfg.Data); err != nil {
		return err
	}
	portal, err := s.buildPortal(cfg)
	if err != nil {
		return err
	}
	s.portal.Store(portal)
	s.mu.Lock()
	s.cfg = cfg
	s.mu.Unlock()

	res, err := openResources(ctx, cfg, s.logger)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.res = res
	s.mu.Unlock()

	if err := s.startAdmin(ctx, cfg.Admin.Listen); err != nil {
		return err
	}
	for _, sc := range cfg.Services {
		if err := s.startService(ctx, sc); err != nil {
			return err
		}
	}
	s.mu.Lock()
	ep := s.adminEndpoint
	s.mu.Unlock()
	if ep != "" {
		user := "admin"
		if len(cfg.Admin.Users) > 0 {
			user = cfg.Admin.Users[0].Name
		}
		s.logger.Info("ready", "try", fmt.Sprintf("braid shell -u %s %s", user, ep))
	} else {
		s.logger.Info("ready")
	}
	return nil
}

// startAdmin starts the admin endpoint on listen ("" for none).
func (s *server) startAdmin(ctx context.Context, listen string) error {
	if listen == "" {
		return nil
	}
	srv := &pb.Server{
		NewRoot: func(b *pb.Broker) any { return pb.LoginRoot(s.portal.Load())(b) },
		Config:  pb.Config{Logger: s.logger.With("service", "admin")},
	}
	svc := newPBService(listen, srv, s.logger)
	ep, err := svc.Start(ctx)
	if err != nil {
		return fmt.Errorf("admin endpoint: %w", err)
	}
	s.logger.Info("listening", "service", "admin", "endpoint", ep)
	s.mu.Lock()
	s.admin, s.adminEndpoint, s.adminListen = svc, ep, listen
	s.mu.Unlock()
	return nil
}

func (s *server) startService(ctx context.Context, sc ServiceConfig) error {
	logger := s.logger.With("service", sc.Name)
	svc, err := serviceTypes[sc.Type](sc, serviceEnv{data: s.config().Data, logger: logger})
	if err != nil {
		return fmt.Errorf("service %s: %w", sc.Name, err)
	}
	ep, err := svc.Start(ctx)
	if err != nil {
		return fmt.Errorf("service %s: %w", sc.Name, err)
	}
	logger.Info("listening", "type", sc.Type, "endpoint", ep)
	s.mu.Lock()
	s.services[sc.Name] = &runningService{cfg: sc, svc: svc, endpoint: ep}
	s.mu.Unlock()
	return nil
}

// serviceList returns the running services by name; s.mu is held.
func (s *server) serviceList() []*runningService {
	var out []*runningService
	for _, rs := range s.services {
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].cfg.Name < out[j].cfg.Name })
	return out
}

// adminNames lists the admin objects.
func (s *server) adminNames() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := []string{"server"}
	if s.res != nil && s.res.dbAdmin != nil {
		names = append(names, "db")
	}
	for _, rs := range s.serviceList() {
		if rs.svc.Admin() != nil {
			names = append(names, rs.cfg.Name)
		}
	}
	sort.Strings(names)
	return names
}

// adminObject returns the admin object published under name, or nil.
func (s *server) adminObject(name string) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch name {
	case "server":
		return s.serverAdmin
	case "db":
		if s.res != nil && s.res.dbAdmin != nil {
			return s.res.dbAdmin
		}
		return nil
	}
	if rs, ok := s.services[name]; ok {
		return rs.svc.Admin()
	}
	return nil
}

// reload re-reads the configuration and applies what changed: users and
// passwords, the log level, the admin endpoint, and services (added,
// removed, or restarted when their settings changed). The data directory,
// log format and database need a restart.
func (s *server) reload(ctx context.Context) error {
	cfg, err := s.loadConfig()
	if err != nil {
		return err
	}
	old := s.config()
	portal, err := s.buildPortal(cfg)
	if err != nil {
		return err
	}
	s.portal.Store(portal)
	s.applyLevel(cfg)
	if cfg.Data != old.Data || cfg.Log.Format != old.Log.Format || cfg.DB.DSN != old.DB.DSN {
		s.logger.Warn("data, log.format and db changes take effect at the next start")
		cfg.Data, cfg.Log.Format, cfg.DB = old.Data, old.Log.Format, old.DB
	}
	s.mu.Lock()
	s.cfg = cfg
	s.reloads++
	adminListen, adminSvc := s.adminListen, s.admin
	s.mu.Unlock()

	bound, cancel := context.WithTimeout(ctx, cfg.ShutdownTimeout)
	defer cancel()
	var errs []error
	if cfg.Admin.Listen != adminListen {
		s.mu.Lock()
		s.admin, s.adminEndpoint, s.adminListen = nil, "", ""
		s.mu.Unlock()
		if adminSvc != nil {
			_ = adminSvc.Shutdown(bound)
		}
		if err := s.startAdmin(ctx, cfg.Admin.Listen); err != nil {
			errs = append(errs, err)
		}
	}
	want := map[string]ServiceConfig{}
	for _, sc := range cfg.Services {
		want[sc.Name] = sc
	}
	s.mu.Lock()
	var stop []*runningService
	for name, rs := range s.services {
		if sc, ok := want[name]; !ok || !reflect.DeepEqual(sc, rs.cfg) {
			stop = append(stop, rs)
			delete(s.services, name)
		}
	}
	s.mu.Unlock()
	for _, rs := range stop {
		if err := rs.svc.Shutdown(bound); err != nil {
			s.logger.Warn("service stopped before its calls finished", "service", rs.cfg.Name, "err", err)
		}
		s.logger.Info("stopped", "service", rs.cfg.Name)
	}
	for _, sc := range cfg.Services {
		s.mu.Lock()
		_, running := s.services[sc.Name]
		s.mu.Unlock()
		if !running {
			if err := s.startService(ctx, sc); err != nil {
				errs = append(errs, err)
			}
		}
	}
	s.logger.Info("configuration reloaded", "services", len(cfg.Services))
	return errors.Join(errs...)
}

// shutdown stops every server gracefully within timeout, then releases
// the resources.
func (s *server) shutdown(timeout time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	s.mu.Lock()
	var all []service
	if s.admin != nil {
		all = append(all, s.admin)
	}
	for _, rs := range s.services {
		all = append(all, rs.svc)
	}
	res := s.res
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, svc := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := svc.Shutdown(ctx); err != nil {
				s.logger.Warn("in-flight calls cut short", "err", err)
			}
		}()
	}
	wg.Wait()
	if res != nil {
		res.Close()
	}
}

// closeNow cuts every connection at once.
func (s *server) closeNow() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.admin != nil {
		s.admin.srv.Close()
	}
	for _, rs := range s.services {
		if p, ok := rs.svc.(*pbService); ok {
			p.srv.Close()
		}
	}
}
