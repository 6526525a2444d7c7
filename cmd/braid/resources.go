package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/braidkit/braid/db"
)

// resources are what braid serve opens for the services and publishes to
// admins: the database pool.
type resources struct {
	pool    *db.Pool
	dbAdmin any // published as root.db(): the pool's remote facade
	closers []func()
}

// openResources opens the database named by the configuration, if any.
func openResources(ctx context.Context, cfg *Config, logger *slog.Logger) (*resources, error) {
	r := &resources{}
	if dsn := cfg.dsn(); dsn != "" {
		pool, err := db.Open(ctx, dsn, db.WithLogger(logger.With("service", "db")))
		if err != nil {
			return nil, fmt.Errorf("db: %w", err)
		}
		r.pool = pool
		r.closers = append(r.closers, pool.Close)
		// Only avatars with the admin role reach the facade, so it
		// allows every statement.
		r.dbAdmin = db.NewFacade(pool, db.ReadWrite)
		logger.Info("database open", "service", "db", "dialect", pool.Dialect().Name, "dsn", redactDSN(dsn))
	}
	return r, nil
}

// Close releases the resources.
func (r *resources) Close() {
	for i := len(r.closers) - 1; i >= 0; i-- {
		r.closers[i]()
	}
}
