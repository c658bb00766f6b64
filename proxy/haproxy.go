package proxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/mhago/mhago/config"
)

// haproxy drives one HAProxy through its runtime API, one command per
// connection: the API answers each and closes, so every answer is read to
// EOF and belongs to exactly one command.
type haproxy struct {
	cfg     config.Proxy
	network string // "unix" or "tcp"
	addr    string
}

func newHAProxy(p config.Proxy) *haproxy {
	if p.HAProxySocket != "" {
		return &haproxy{cfg: p, network: "unix", addr: p.HAProxySocket}
	}
	return &haproxy{cfg: p, network: "tcp", addr: p.HAProxyAddress}
}

func (h *haproxy) Name() string { return h.cfg.Block }

// endpoint names the runtime API in messages.
func (h *haproxy) endpoint() string {
	if h.network == "unix" {
		return "socket " + h.addr
	}
	return "address " + h.addr
}

// pollInterval is how often Stop and Open read the state back until it is
// as wanted (a server leaving maint may need a moment to come up).
const pollInterval = 50 * time.Millisecond

// maxAnswer bounds an answer; "show servers state" of one backend is a few
// hundred bytes per server.
const maxAnswer = 4 << 20

func (h *haproxy) Stop(ctx context.Context, c Change) error {
	return h.apply(ctx, "stop traffic to "+c.Orig.String(), c, stopCommands, checkStopped)
}

func (h *haproxy) Open(ctx context.Context, c Change) error {
	return h.apply(ctx, "open traffic to "+c.New.String(), c, openCommands, checkOpen)
}

// apply reads the backend, sends the planned commands, and reads the state
// back until check passes, all within the proxy's timeout.
func (h *haproxy) apply(parent context.Context, what string, c Change,
	plan func(backendView, Change) ([]string, error), check func(backendView, Change) error) error {
	ctx, cancel := bound(parent, h.cfg.Timeout)
	defer cancel()
	v, err := h.view(parent, ctx)
	if err != nil {
		return h.fail(what, err)
	}
	cmds, err := plan(v, c)
	if err != nil {
		return h.fail(what, fmt.Errorf("%w: %w", ErrRejected, err))
	}
	for _, cmd := range cmds {
		if err := h.command(parent, ctx, cmd); err != nil {
			return h.fail(what, err)
		}
	}
	return h.fail(what, h.await(parent, ctx, c, check))
}

// fail names the proxy, its endpoint and the operation; nil stays nil.
func (h *haproxy) fail(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("[%s] haproxy %s, backend %s: %s: %w", h.cfg.Block, h.endpoint(), h.cfg.HAProxyBackend, what, err)
}

// await reads the state back until check passes or the timeout ends.
func (h *haproxy) await(parent, ctx context.Context, c Change, check func(backendView, Change) error) error {
	for {
		v, err := h.view(parent, ctx)
		if err != nil {
			return err
		}
		bad := check(v, c)
		if bad == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			if timedOut(parent, ctx) {
				return fmt.Errorf("%w: state not as wanted after %s: %w (fix: see haproxy's log for why the server "+
					"is not up, or raise timeout= in [%s])", ErrRejected, h.cfg.Timeout, bad, h.cfg.Block)
			}
			return fmt.Errorf("%w (last state read: %w)", ctx.Err(), bad)
		case <-time.After(pollInterval):
		}
	}
}

// view reads the backend's state.
func (h *haproxy) view(parent, ctx context.Context) (backendView, error) {
	out, err := h.send(parent, ctx, "show servers state "+h.cfg.HAProxyBackend)
	if err != nil {
		return backendView{}, err
	}
	rows, err := ParseServersState(out)
	if err != nil {
		return backendView{}, fmt.Errorf("%w: show servers state: %w (fix: check haproxy_backend against the backends of haproxy.cfg)", ErrRejected, err)
	}
	return backendView{backend: h.cfg.HAProxyBackend, names: h.cfg.HAProxyServer, rows: rows}, nil
}

// command sends a command that answers nothing when it succeeds.
func (h *haproxy) command(parent, ctx context.Context, cmd string) error {
	out, err := h.send(parent, ctx, cmd)
	if err != nil {
		return err
	}
	if answer := strings.TrimSpace(out); answer != "" {
		return fmt.Errorf("%w: %q answered %q (fix: %s)", ErrRejected, cmd, clip(answer), refusalFix(answer, h.cfg.Block))
	}
	return nil
}

// refusalFix is the fix for an answer HAProxy gives to a refused command.
func refusalFix(answer, block string) string {
	switch {
	case strings.Contains(answer, "Permission denied"):
		return "give the stats socket \"level admin\" in haproxy.cfg and reload haproxy"
	case strings.Contains(answer, "No such"), strings.Contains(answer, "Can't find"):
		return fmt.Sprintf("check haproxy_backend and haproxy_servers in [%s] against haproxy.cfg", block)
	}
	return "see haproxy's answer and its log"
}

// send runs one command and returns the whole answer. The connection's
// deadline is the proxy's timeout, so a haproxy that accepts but never
// answers (stopped, overloaded) fails in time.
func (h *haproxy) send(parent, ctx context.Context, cmd string) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, h.network, h.addr)
	if err != nil {
		return "", h.ioError(parent, ctx, "connect", err)
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// A caller giving up (not only the deadline) ends the wait at once.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Now()) })
	defer stop()
	if _, err := io.WriteString(conn, cmd+"\n"); err != nil {
		return "", h.ioError(parent, ctx, fmt.Sprintf("send %q", cmd), err)
	}
	out, err := io.ReadAll(io.LimitReader(conn, maxAnswer))
	if err != nil {
		return "", h.ioError(parent, ctx, fmt.Sprintf("answer to %q", cmd), err)
	}
	return string(out), nil
}

// ioError explains a failed exchange: no answer within the timeout, the
// caller's cancellation, or a connection problem.
func (h *haproxy) ioError(parent, ctx context.Context, op string, err error) error {
	switch {
	case timedOut(parent, ctx) || (parent.Err() == nil && errors.Is(err, os.ErrDeadlineExceeded)):
		return fmt.Errorf("%w: %s: no answer within timeout=%s (fix: check that haproxy runs and is not stopped or "+
			"overloaded, and that its runtime API listens there; or raise timeout= in [%s])", ErrTimeout, op, h.cfg.Timeout, h.cfg.Block)
	case parent.Err() != nil:
		return fmt.Errorf("%s: %w", op, parent.Err())
	}
	return fmt.Errorf("%s: %w (fix: check that haproxy runs with \"%s\" in its global section)", op, err, h.statsLine())
}

// statsLine is the haproxy.cfg line that opens the runtime API mhago uses.
func (h *haproxy) statsLine() string {
	if h.network == "unix" {
		return "stats socket " + h.addr + " mode 600 level admin"
	}
	return "stats socket ipv4@" + h.addr + " level admin"
}
