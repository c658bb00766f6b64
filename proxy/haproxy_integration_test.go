package proxy_test

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/proxy"
	"github.com/mhago/mhago/testenv/cluster"
)

// The driver logs "unexpected EOF" when haproxy ends a session on purpose.
func init() { _ = mysql.SetLogger(log.New(io.Discard, "", 0)) }

// baseProxy is this package's cluster: 3 hosts on 127.0.N.215..217, the
// haproxies' frontends on 127.0.N.214 ports 3307 and 3308.
const baseProxy = 214

// proxyTimeout is the [proxyN] timeout: short, so that the paused haproxy
// fails fast, yet far above a healthy haproxy's answer (about a millisecond).
const proxyTimeout = time.Second

// serverID connects through a haproxy and returns the server_id behind it.
func serverID(ctx context.Context, h *cluster.HAProxy) (int, error) {
	db, err := sql.Open("mysql", h.DSN())
	if err != nil {
		return 0, err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	var id int
	err = db.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id)
	return id, err
}

// wantServer fails unless every haproxy sends new connections to host id.
func wantServer(t *testing.T, id int, hs ...*cluster.HAProxy) {
	t.Helper()
	for _, h := range hs {
		got, err := serverID(context.Background(), h)
		if err != nil || got != id {
			t.Fatalf("%s %s: server_id %d (%v), want %d", h.Block(), h.Addr(), got, err, id)
		}
	}
}

// wantNoServer fails unless every haproxy refuses new connections.
func wantNoServer(t *testing.T, hs ...*cluster.HAProxy) {
	t.Helper()
	for _, h := range hs {
		if got, err := serverID(context.Background(), h); err == nil {
			t.Fatalf("%s %s: reached server_id %d, want no server", h.Block(), h.Addr(), got)
		}
	}
}

func setup(t *testing.T) (*cluster.Cluster, []*cluster.HAProxy, *config.Config, []proxy.Proxy) {
	t.Helper()
	c := cluster.Start(t, cluster.Options{Base: baseProxy, Hosts: 3})
	hs := c.StartHAProxies(t, 2, proxyTimeout)
	cfg, err := config.Load(c.ConfigPath(), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := proxy.FromConfig(cfg, nil)
	if err != nil || len(ps) != 2 || ps[0].Name() != "proxy1" || ps[1].Name() != "proxy2" {
		t.Fatalf("FromConfig: %v, %v", ps, err)
	}
	return c, hs, cfg, ps
}

func change(t *testing.T, cfg *config.Config, orig, new string) proxy.Change {
	t.Helper()
	ch, err := proxy.NewChange(cfg, orig, new)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// each runs op on every proxy and reports the slowest call.
func each(t *testing.T, what string, ps []proxy.Proxy, op func(proxy.Proxy) error) {
	t.Helper()
	var slowest time.Duration
	for _, p := range ps {
		t0 := time.Now()
		if err := op(p); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		slowest = max(slowest, time.Since(t0))
	}
	t.Logf("%s on %d haproxies: slowest call %s", what, len(ps), slowest)
}

// TestHAProxySwitchoverAndRollback moves two real haproxies from host 1 to
// host 2 and back; a session open across the change lives through Stop and
// is ended by Open.
func TestHAProxySwitchoverAndRollback(t *testing.T) {
	_, hs, cfg, ps := setup(t)
	ctx := context.Background()
	wantServer(t, 1, hs...)

	db, err := sql.Open("mysql", hs[0].DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	session, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer session.Close()
	var id int
	if err := session.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil || id != 1 {
		t.Fatalf("session: server_id %d, %v", id, err)
	}

	sw := change(t, cfg, "server1", "server2")
	each(t, "stop", ps, func(p proxy.Proxy) error { return p.Stop(ctx, sw) })
	wantNoServer(t, hs...)
	if err := session.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err != nil || id != 1 {
		t.Fatalf("session after Stop: server_id %d, %v (maint must leave open sessions alone)", id, err)
	}
	each(t, "open", ps, func(p proxy.Proxy) error { return p.Open(ctx, sw) })
	wantServer(t, 2, hs...)
	if err := session.QueryRowContext(ctx, "SELECT @@server_id").Scan(&id); err == nil {
		t.Fatalf("session to the old master still answers after Open (server_id %d)", id)
	}

	back := change(t, cfg, "server1", "server1")
	each(t, "rollback", ps, func(p proxy.Proxy) error { return p.Open(ctx, back) })
	wantServer(t, 1, hs...)
	// Opening twice is harmless: a retried rollback finds the state it wants.
	each(t, "rollback again", ps, func(p proxy.Proxy) error { return p.Open(ctx, back) })
	wantServer(t, 1, hs...)
}

// TestHAProxyPaused: a haproxy that accepts connections but does not answer
// fails Stop within its timeout, naming itself, its socket and the fix;
// the other haproxy, already stopped, is reopened to the old master.
func TestHAProxyPaused(t *testing.T) {
	_, hs, cfg, ps := setup(t)
	ctx := context.Background()
	sw := change(t, cfg, "server1", "server3")
	if err := ps[0].Stop(ctx, sw); err != nil {
		t.Fatal(err)
	}
	if err := hs[1].Pause(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = hs[1].Resume() })
	t0 := time.Now()
	err := ps[1].Stop(ctx, sw)
	took := time.Since(t0)
	t.Logf("paused haproxy: Stop failed after %s: %v", took, err)
	if !errors.Is(err, proxy.ErrTimeout) {
		t.Fatalf("Stop on a paused haproxy: %v, want ErrTimeout", err)
	}
	for _, want := range []string{"[proxy2]", "socket " + hs[1].Socket(), "timeout=1s", "fix: check that haproxy runs and is not stopped"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	if took < proxyTimeout-50*time.Millisecond || took > proxyTimeout+500*time.Millisecond {
		t.Errorf("Stop failed after %s, want about the timeout %s", took, proxyTimeout)
	}

	back := change(t, cfg, "server1", "server1")
	wantNoServer(t, hs[0])
	if err := ps[0].Open(ctx, back); err != nil {
		t.Fatalf("reopen proxy1: %v", err)
	}
	wantServer(t, 1, hs[0])

	if err := hs[1].Resume(); err != nil {
		t.Fatal(err)
	}
	if err := ps[1].Open(ctx, back); err != nil {
		t.Fatalf("reopen proxy2 once resumed: %v", err)
	}
	wantServer(t, 1, hs...)
}
