package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhago/mhago/internal/atomicfile"
)

// HAProxyState is one haproxy the cluster started, for state.json.
type HAProxyState struct {
	K    int  `json:"k"`
	Proc Proc `json:"proc"`
}

// HAProxy is a real haproxy in front of the cluster: a TCP frontend that
// forwards to backend "mysql", one server per host named by its block
// (server1..serverN), and a runtime API on a unix socket at level admin.
type HAProxy struct {
	c    *Cluster
	k    int
	proc Proc
}

// HAProxyBackend is the backend every testenv haproxy forwards to.
const HAProxyBackend = "mysql"

// HAProxyAddr is haproxy k's frontend: the cluster's base address (where
// only redis listens, on another port) at MySQL port + k, so that it never
// clashes with a host or another cluster's haproxy.
func (c *Cluster) HAProxyAddr(k int) string {
	return fmt.Sprintf("127.0.%d.%d:%d", c.opts.Net, c.opts.Base, c.opts.MySQLPort+k)
}

// HAProxySocket is haproxy k's runtime API socket.
func (c *Cluster) HAProxySocket(k int) string {
	return filepath.Join(c.opts.Dir, fmt.Sprintf("haproxy%d.sock", k))
}

func (c *Cluster) haproxyFile(k int, ext string) string {
	return filepath.Join(c.opts.Dir, fmt.Sprintf("haproxy%d.%s", k, ext))
}

// haproxyConfig renders haproxy k's configuration: host 1 (the master Up
// builds) ready, the other hosts in maint ("disabled"). No health checks:
// bare TCP probes count as connection errors in mariadbd and would get the
// haproxy's address blocked (max_connect_errors).
func (c *Cluster) haproxyConfig(k int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "global\n    stats socket %s mode 600 level admin\n    stats timeout 1m\n", c.HAProxySocket(k))
	b.WriteString("defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 10m\n    timeout server 10m\n")
	fmt.Fprintf(&b, "frontend mysql_front\n    bind %s\n    default_backend %s\n", c.HAProxyAddr(k), HAProxyBackend)
	fmt.Fprintf(&b, "backend %s\n", HAProxyBackend)
	for i := 1; i <= c.opts.Hosts; i++ {
		disabled := ""
		if i != 1 {
			disabled = " disabled"
		}
		fmt.Fprintf(&b, "    server server%d %s%s\n", i, c.MySQLAddr(i), disabled)
	}
	return b.String()
}

// StartHAProxy starts haproxy k (k >= 1) in the foreground (-db) as a
// process the cluster tracks: Down stops it, also from `testenv down`.
func (c *Cluster) StartHAProxy(ctx context.Context, k int) (*HAProxy, error) {
	if k < 1 || c.opts.MySQLPort+k > 65535 {
		return nil, fmt.Errorf("testenv: haproxy number %d out of range", k)
	}
	bin, err := findBinary("haproxy")
	if err != nil {
		return nil, err
	}
	if tcpOpen(c.HAProxyAddr(k)) {
		return nil, fmt.Errorf("testenv: haproxy %d: %s is already in use", k, c.HAProxyAddr(k))
	}
	cfgPath := c.haproxyFile(k, "cfg")
	if err := os.WriteFile(cfgPath, []byte(c.haproxyConfig(k)), 0o600); err != nil {
		return nil, fmt.Errorf("testenv: write %s: %w", cfgPath, err)
	}
	p, err := spawn(c.HAProxyLog(k), []string{bin, "-db", "-f", cfgPath})
	if err != nil {
		return nil, fmt.Errorf("testenv: haproxy %d: %w", k, err)
	}
	if err := c.setProc(func(st *state) { st.HAProxies = append(st.HAProxies, HAProxyState{K: k, Proc: p}) }); err != nil {
		return nil, err
	}
	h := &HAProxy{c: c, k: k, proc: p}
	if err := h.wait(ctx); err != nil {
		return nil, errors.Join(err, h.Stop())
	}
	return h, nil
}

// wait returns once the frontend and the runtime API both accept.
func (h *HAProxy) wait(ctx context.Context) error {
	ready := func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !tcpOpen(h.Addr()) {
			return fmt.Errorf("%s refuses connections", h.Addr())
		}
		conn, err := net.DialTimeout("unix", h.Socket(), time.Second)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	if err := waitFor(h.proc, h.c.opts.StartTimeout, ready); err != nil {
		return processError(fmt.Sprintf("haproxy %d (pid %d)", h.k, h.proc.Pid), h.c.HAProxyLog(h.k), err)
	}
	return nil
}

// HAProxyLog is haproxy k's log (its stderr).
func (c *Cluster) HAProxyLog(k int) string { return c.haproxyFile(k, "log") }

// Addr is the frontend's ip:port, where clients connect.
func (h *HAProxy) Addr() string { return h.c.HAProxyAddr(h.k) }

// Socket is the runtime API's unix socket.
func (h *HAProxy) Socket() string { return h.c.HAProxySocket(h.k) }

// Block is the [proxyK] block name of this haproxy.
func (h *HAProxy) Block() string { return fmt.Sprintf("proxy%d", h.k) }

// Pid is haproxy's process id.
func (h *HAProxy) Pid() int { return h.proc.Pid }

// DSN is the admin user's go-sql-driver DSN through this haproxy.
func (h *HAProxy) DSN() string {
	cfg := h.c.adminConfig(1)
	cfg.Addr = h.Addr()
	return cfg.FormatDSN()
}

// Pause stops haproxy with SIGSTOP: the kernel still accepts connections
// on its socket and frontend, but nothing answers, as with a hung proxy.
func (h *HAProxy) Pause() error {
	if err := h.proc.signal(syscall.SIGSTOP); err != nil {
		return fmt.Errorf("testenv: pause haproxy %d: %w", h.k, err)
	}
	return nil
}

// Resume continues a paused haproxy (SIGCONT).
func (h *HAProxy) Resume() error {
	if err := h.proc.signal(syscall.SIGCONT); err != nil {
		return fmt.Errorf("testenv: resume haproxy %d: %w", h.k, err)
	}
	return nil
}

// Stop ends haproxy and forgets it.
func (h *HAProxy) Stop() error {
	if err := stopProcs(5*time.Second, h.proc); err != nil {
		return fmt.Errorf("testenv: stop haproxy %d: %w", h.k, err)
	}
	return h.c.setProc(func(st *state) {
		st.HAProxies = slices.DeleteFunc(st.HAProxies, func(s HAProxyState) bool { return s.Proc == h.proc })
	})
}

// ProxyBlock is the [proxyK] block that drives this haproxy.
func (h *HAProxy) ProxyBlock(timeout time.Duration) string {
	return fmt.Sprintf("\n[%s]\ntype=haproxy\nhaproxy_socket=%s\nhaproxy_backend=%s\ntimeout=%s\n",
		h.Block(), h.Socket(), HAProxyBackend, timeout)
}

// AddProxiesToConfig appends the [proxyK] blocks of hs to app.cnf.
func (c *Cluster) AddProxiesToConfig(timeout time.Duration, hs ...*HAProxy) error {
	b, err := os.ReadFile(c.ConfigPath())
	if err != nil {
		return fmt.Errorf("testenv: read %s: %w", c.ConfigPath(), err)
	}
	for _, h := range hs {
		b = append(b, h.ProxyBlock(timeout)...)
	}
	if err := atomicfile.Write(c.ConfigPath(), b, 0o600); err != nil {
		return fmt.Errorf("testenv: write %s: %w", c.ConfigPath(), err)
	}
	return nil
}

// StartHAProxies starts haproxies 1..n for a test, adds their [proxyK]
// blocks to app.cnf, and stops them at the end of the test. A missing
// haproxy skips the test, except under CI=true, where it fails.
func (c *Cluster) StartHAProxies(t testing.TB, n int, timeout time.Duration) []*HAProxy {
	t.Helper()
	RequireHAProxy(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var hs []*HAProxy
	for k := 1; k <= n; k++ {
		h, err := c.StartHAProxy(ctx, k)
		if err != nil {
			t.Fatalf("start haproxy: %v", err)
		}
		t.Cleanup(func() {
			if err := h.Stop(); err != nil {
				t.Errorf("%v", err)
			}
		})
		hs = append(hs, h)
	}
	if err := c.AddProxiesToConfig(timeout, hs...); err != nil {
		t.Fatal(err)
	}
	return hs
}

// RequireHAProxy skips a test without haproxy installed, or fails it
// under CI=true, where every integration test must run.
func RequireHAProxy(t testing.TB) {
	t.Helper()
	if _, err := findBinary("haproxy"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and haproxy is missing (apt-get install haproxy; scripts/install-deps.sh installs it)")
	}
	t.Skip("test needs haproxy (apt-get install haproxy)")
}
