package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"

	"github.com/braidkit/braid/pb"
	"github.com/braidkit/braid/transport"
)

// service is one server braid serve runs.
type service interface {
	// Start listens and serves in the background; it returns the
	// endpoint it listens on (with the port chosen, for port 0).
	Start(ctx context.Context) (endpoint string, err error)
	// Shutdown stops accepting, lets in-flight calls finish until ctx is
	// done, then closes everything.
	Shutdown(ctx context.Context) error
	// Admin returns the service's admin object, published under the
	// admin root by the service's name, or nil.
	Admin() any
}

// serviceEnv is what a service is made with besides its configuration.
type serviceEnv struct {
	data   string // the data directory
	logger *slog.Logger
}

// expand replaces {data} in a configured path.
func (e serviceEnv) expand(path string) string {
	return strings.ReplaceAll(path, "{data}", filepath.Clean(e.data))
}

// serviceTypes makes services by their configured type. Each bundled
// protocol adds its type here as it lands.
var serviceTypes = map[string]func(cfg ServiceConfig, env serviceEnv) (service, error){
	"demo": func(cfg ServiceConfig, env serviceEnv) (service, error) {
		d := newDemoService()
		s := newPBService(cfg.Listen, &pb.Server{NewRoot: d.newRoot, Config: pb.Config{Logger: env.logger}}, env.logger)
		s.admin = &demoAdmin{d: d}
		return s, nil
	},
	"smtp": newSMTPService,
	"pop3": newPOP3Service,
}

func serviceTypeNames() []string {
	var names []string
	for n := range serviceTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// pbService serves a pb.Server on one endpoint.
type pbService struct {
	listen string
	srv    *pb.Server
	logger *slog.Logger
	admin  any
	done   chan struct{} // closed when Serve returns
}

func newPBService(listen string, srv *pb.Server, logger *slog.Logger) *pbService {
	return &pbService{listen: listen, srv: srv, logger: logger, done: make(chan struct{})}
}

func (s *pbService) Start(ctx context.Context) (string, error) {
	l, err := transport.Listen(ctx, s.listen)
	if err != nil {
		return "", err
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(l); err != nil && !errors.Is(err, pb.ErrServerClosed) {
			s.logger.Error("serve failed", "err", err)
		}
	}()
	return transport.EndpointOf(l.Addr()), nil
}

func (s *pbService) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	<-s.done
	return err
}

func (s *pbService) Admin() any { return s.admin }
