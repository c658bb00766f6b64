// Package proxy redirects client traffic from one database server to
// another through the proxies of the [proxyN] blocks: HAProxy through its
// runtime API, or any proxy through a hook script with MHA-style
// arguments. Deciding (parsing HAProxy's answers, planning its commands,
// checking the state read back, building a hook's arguments) is pure and
// table-tested; talking to sockets and running scripts is thin.
package proxy

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
)

// Target is a database server as a proxy sees it.
type Target struct {
	Block    string // the [serverN] block
	Hostname string
	IP       string
	Port     int
}

// TargetOf is the Target of a configured server.
func TargetOf(s config.Server) Target {
	return Target{Block: s.Block, Hostname: s.Hostname, IP: s.IP, Port: s.Port}
}

// String is "[server1] host(ip:port)", for messages.
func (t Target) String() string {
	return fmt.Sprintf("[%s] %s(%s)", t.Block, t.Hostname, net.JoinHostPort(t.IP, strconv.Itoa(t.Port)))
}

// Change moves traffic from Orig (the current master) to New. Others are
// every other configured server: none of them may get traffic afterwards.
// A rollback is the Change whose New is the old master.
type Change struct {
	Orig, New Target
	Others    []Target
}

// NewChange is the Change from block orig to block new among cfg's
// [serverN] blocks; orig == new makes the rollback to orig.
func NewChange(cfg *config.Config, orig, new string) (Change, error) {
	c := Change{}
	var found int
	for _, s := range cfg.Servers {
		if s.Block == orig {
			c.Orig = TargetOf(s)
			found |= 1
		}
		if s.Block == new {
			c.New = TargetOf(s)
			found |= 2
			continue
		}
		if s.Block != orig {
			c.Others = append(c.Others, TargetOf(s))
		}
	}
	if found != 3 {
		return Change{}, fmt.Errorf("proxy change from [%s] to [%s]: not both are [serverN] blocks of %s", orig, new, cfg.Path)
	}
	return c, nil
}

// out is every server that must get no traffic once c is open.
func (c Change) out() []Target {
	if c.Orig.Block == c.New.Block {
		return c.Others
	}
	return append([]Target{c.Orig}, c.Others...)
}

// Proxy is one proxy in front of the cluster.
type Proxy interface {
	// Name is the config block, e.g. "proxy1".
	Name() string
	// Stop stops new traffic to c.Orig (the current master) and returns
	// once the proxy acknowledged.
	Stop(ctx context.Context, c Change) error
	// Open sends traffic to c.New only: it takes every server in c.Others
	// (and c.Orig if it is not c.New) out, ends their sessions, and
	// returns once the proxy acknowledged (its state read back).
	Open(ctx context.Context, c Change) error
}

// ScriptRunner runs a proxy's hook command with the given arguments, as
// the other hooks are run (phases' runHook: environment, secrets kept out,
// output scrubbed and recorded). name is hooks.ProxyCommand. The proxy
// bounds ctx with its own timeout.
type ScriptRunner func(ctx context.Context, name, command string, args []string) hooks.Result

// Errors a Stop or Open wraps, so that a caller can tell a proxy that did
// not answer (abort and roll back) from one that answered no.
var (
	ErrTimeout  = errors.New("proxy did not answer in time")
	ErrRejected = errors.New("proxy did not take the change")
)

// defaultTimeout applies to a config.Proxy built without Timeout.
const defaultTimeout = 5 * time.Second

// FromConfig builds the proxies of cfg's [proxyN] blocks, in block order.
// run is needed only when a block has type=script.
func FromConfig(cfg *config.Config, run ScriptRunner) ([]Proxy, error) {
	out := make([]Proxy, 0, len(cfg.Proxies))
	for _, p := range cfg.Proxies {
		if p.Timeout <= 0 {
			p.Timeout = defaultTimeout
		}
		switch p.Type {
		case config.ProxyHAProxy:
			out = append(out, newHAProxy(p))
		case config.ProxyScript:
			if run == nil {
				return nil, fmt.Errorf("[%s] type=script: no hook runner given", p.Block)
			}
			out = append(out, &script{cfg: p, run: run})
		default:
			return nil, fmt.Errorf("[%s]: proxy type %q is not haproxy or script", p.Block, p.Type)
		}
	}
	return out, nil
}

// bound limits ctx to the proxy's timeout.
func bound(ctx context.Context, timeout time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, timeout)
}

// timedOut tells an expired proxy timeout (ctx) from a caller that gave up
// (parent), so that only the first is reported as a proxy not answering.
func timedOut(parent, ctx context.Context) bool {
	return parent.Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded)
}
