package main

import (
	"context"
	"sort"
	"time"

	"github.com/braidkit/braid/jelly"
	"github.com/braidkit/braid/pb"
)

// roleAdmin is the role that sees the admin objects.
const roleAdmin = "admin"

// adminRealm hands out the admin endpoint's avatars.
type adminRealm struct{ s *server }

func (r *adminRealm) RequestAvatar(ctx context.Context, avatarID string, mind any) (any, func(), error) {
	roles := r.s.config().roles(avatarID)
	log := r.s.logger.With("user", avatarID)
	log.Info("admin login", "roles", roles)
	return &adminAvatar{s: r.s, user: avatarID, roles: roles}, func() { log.Info("admin logout") }, nil
}

// adminAvatar is what a user of the admin endpoint gets after logging in.
// Every avatar answers whoami and roles; one with the admin role also
// reaches each admin object by name: root.server(), root.db(),
// root.demo(), ... It dispatches itself (pb.Handler) because the set of
// admin objects changes with the configuration.
type adminAvatar struct {
	s     *server
	user  string
	roles []string
}

func (a *adminAvatar) isAdmin() bool {
	for _, r := range a.roles {
		if r == roleAdmin {
			return true
		}
	}
	return false
}

// HandleCall implements pb.Handler.
func (a *adminAvatar) HandleCall(ctx context.Context, req *pb.Request) (any, error) {
	switch req.Method {
	case "whoami":
		return a.user, nil
	case "roles":
		out := jelly.List{}
		for _, r := range a.roles {
			out = append(out, r)
		}
		return out, nil
	case "objects":
		if !a.isAdmin() {
			return nil, errNotAdmin
		}
		out := jelly.List{}
		for _, n := range a.s.adminNames() {
			out = append(out, n)
		}
		return out, nil
	}
	if obj := a.s.adminObject(req.Method); obj != nil {
		if !a.isAdmin() {
			return nil, errNotAdmin
		}
		if len(req.Args) > 0 || len(req.Kwargs) > 0 {
			return nil, &pb.RemoteError{Type: pb.TypeTypeError, Value: req.Method + "() takes no arguments"}
		}
		return obj, nil
	}
	return nil, pb.NewError(pb.TypeNoSuchMethod, "No such method: perspective_"+req.Method)
}

var errNotAdmin = pb.NewError("braid.PermissionDenied", "the admin role is needed")

// PBDescribe implements pb.Describer.
func (a *adminAvatar) PBDescribe(ctx context.Context) pb.Description {
	d := pb.Description{
		Type: "braid.AdminAvatar",
		Doc:  "You, logged in to braid serve's admin endpoint.",
		Methods: []pb.MethodDoc{
			{Name: "whoami", Args: []string{}, Doc: "whoami() returns your user name."},
			{Name: "roles", Args: []string{}, Doc: "roles() lists your roles."},
		},
	}
	if a.isAdmin() {
		d.Doc += " Each admin object is a method returning it: server(), db(), and one per service."
		d.Methods = append(d.Methods, pb.MethodDoc{Name: "objects", Args: []string{}, Doc: "objects() lists the admin objects."})
		for _, n := range a.s.adminNames() {
			doc := "The admin object of " + n + "."
			switch obj := a.s.adminObject(n).(type) {
			case pb.Documented:
				if od, _ := obj.PBDoc(); od != "" {
					doc = od
				}
			case pb.Describer:
				if od := obj.PBDescribe(ctx).Doc; od != "" {
					doc = od
				}
			}
			d.Methods = append(d.Methods, pb.MethodDoc{Name: n, Args: []string{}, Doc: doc})
		}
	}
	sort.Slice(d.Methods, func(i, j int) bool { return d.Methods[i].Name < d.Methods[j].Name })
	return d
}

// serverAdmin is the admin object of braid serve itself: root.server().
type serverAdmin struct {
	pb.Referenceable
	s *server
}

// PBDoc documents the object.
func (a *serverAdmin) PBDoc() (string, map[string]string) {
	return "braid serve itself: status, services, configuration, reload.", map[string]string{
		"status":      "status() returns the uptime, configuration file and service count.",
		"services":    "services() lists each service with its type and endpoint.",
		"config":      "config() returns the configuration in force, passwords hidden.",
		"reload":      "reload() re-reads the configuration file, as SIGHUP does.",
		"setLogLevel": `setLogLevel(level) sets the log level: "debug", "info", "warn" or "error".`,
	}
}

// RemoteStatus reports the server's state.
func (a *serverAdmin) RemoteStatus(ctx context.Context) (jelly.Dict, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	file := any(nil)
	if s.configPath != "" {
		file = s.configPath
	}
	return jelly.Dict{
		{Key: "started", Value: s.started.UTC()},
		{Key: "uptime", Value: time.Since(s.started).Round(time.Second)},
		{Key: "config", Value: file},
		{Key: "admin", Value: s.adminEndpoint},
		{Key: "services", Value: int64(len(s.services))},
		{Key: "reloads", Value: int64(s.reloads)},
	}, nil
}

// RemoteServices lists the services.
func (a *serverAdmin) RemoteServices(ctx context.Context) (jelly.List, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := jelly.List{}
	for _, rs := range s.serviceList() {
		out = append(out, jelly.Dict{
			{Key: "name", Value: rs.cfg.Name},
			{Key: "type", Value: rs.cfg.Type},
			{Key: "listen", Value: rs.endpoint},
		})
	}
	return out, nil
}

// RemoteConfig returns the configuration in force.
func (a *serverAdmin) RemoteConfig(ctx context.Context) (any, error) {
	return a.s.config().redacted(), nil
}

// RemoteReload reloads the configuration.
func (a *serverAdmin) RemoteReload(ctx context.Context) error {
	return a.s.reload(ctx)
}

// RemoteSetLogLevel changes the log level until the next reload.
func (a *serverAdmin) RemoteSetLogLevel(ctx context.Context, level string) error {
	l, err := parseLevel(level)
	if err != nil {
		return &pb.RemoteError{Type: "builtins.ValueError", Value: err.Error()}
	}
	a.s.level.Set(l)
	a.s.logger.Info("log level set", "level", l.String())
	return nil
}
