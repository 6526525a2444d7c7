package transport

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"syscall"
	"time"
)

// listenUnix listens on a Unix socket, replacing a stale socket file that
// nothing listens on any more.
func listenUnix(ctx context.Context, path string) (net.Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "unix", path)
	if err == nil || !errors.Is(err, syscall.EADDRINUSE) {
		return l, err
	}
	fi, serr := os.Lstat(path)
	if serr != nil || fi.Mode().Type() != fs.ModeSocket {
		return nil, err // not a socket file (or abstract): leave it alone
	}
	d := net.Dialer{Timeout: time.Second}
	c, derr := d.DialContext(ctx, "unix", path)
	if derr == nil {
		c.Close()
		return nil, fmt.Errorf("%w (a server is accepting connections on it)", err)
	}
	if !errors.Is(derr, syscall.ECONNREFUSED) {
		return nil, err // cannot tell whether it is stale
	}
	if rerr := os.Remove(path); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
		return nil, fmt.Errorf("removing stale socket: %w", rerr)
	}
	return lc.Listen(ctx, "unix", path)
}
