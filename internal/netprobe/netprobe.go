// Package netprobe tells, with a plain TCP connect, a MySQL server that
// answers from one that is hung and from one that cannot be reached. The
// manager probes a suspected dead master with it, and so does the node
// agent on each replica's host: a replica whose IO thread still says Yes
// after its master vanished without a reset (packets dropped, host gone)
// is stale exactly when its own host cannot reach the master either.
package netprobe

import (
	"context"
	"net"
	"time"
)

// Reach is what a TCP connect to a MySQL port finds.
type Reach string

// Results.
const (
	// Unreachable: refused, timed out or no route: nothing listens there
	// for this host.
	Unreachable Reach = "unreachable"
	// Silent: the connection was accepted but no greeting came: mysqld is
	// hung (stopped, disk full), or closed it at once; not gone.
	Silent Reach = "silent"
	// Greeted: mysqld sent its greeting.
	Greeted Reach = "greeted"
)

// Probe connects to addr within timeout and waits as long for the first
// byte of the server's greeting. err says why it is Unreachable.
func Probe(ctx context.Context, addr string, timeout time.Duration) (Reach, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return Unreachable, err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(timeout))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		// Something accepted the connection: never taken for gone.
		return Silent, nil
	}
	return Greeted, nil
}
