package cluster

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestHAProxyConfig: host 1 ready, the others disabled, each at its MySQL
// address; the frontend sits on the base address, clear of every host.
func TestHAProxyConfig(t *testing.T) {
	c := &Cluster{opts: Options{Dir: "/tmp/x", Hosts: 3, Base: 40, Net: 21, MySQLPort: 3306}}
	want := "global\n    stats socket /tmp/x/haproxy2.sock mode 600 level admin\n    stats timeout 1m\n" +
		"defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 10m\n    timeout server 10m\n" +
		"frontend mysql_front\n    bind 127.0.21.40:3308\n    default_backend mysql\n" +
		"backend mysql\n    server server1 127.0.21.41:3306\n    server server2 127.0.21.42:3306 disabled\n" +
		"    server server3 127.0.21.43:3306 disabled\n"
	if got := c.haproxyConfig(2); got != want {
		t.Errorf("config:\n%s\nwant:\n%s", got, want)
	}
}

// TestHAProxyDown: a paused haproxy is in state.json, so Down (also from
// another process, through Open) stops it.
func TestHAProxyDown(t *testing.T) {
	t.Parallel()
	RequireBinaries(t)
	RequireHAProxy(t)
	dir := fmt.Sprintf("/tmp/mhago-240-%s", randomHex(4))
	c, err := Up(testCtx(t), Options{Base: 240, Hosts: 2, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Down() })
	h, err := c.StartHAProxy(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(h.Socket()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("runtime API socket %s: %v, %v", h.Socket(), fi, err)
	}
	if err := c.AddProxiesToConfig(2*time.Second, h); err != nil {
		t.Fatal(err)
	}
	conf, _ := os.ReadFile(c.ConfigPath())
	if !strings.HasSuffix(string(conf), "\n[proxy1]\ntype=haproxy\nhaproxy_socket="+h.Socket()+"\nhaproxy_backend=mysql\ntimeout=2s\n") {
		t.Errorf("app.cnf does not end with the proxy block:\n%s", conf)
	}
	if err := h.Pause(); err != nil {
		t.Fatal(err)
	}
	other, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	procs := other.Procs()
	if !slices.ContainsFunc(procs, func(p Proc) bool { return p.Pid == h.Pid() }) {
		t.Fatalf("haproxy pid %d not in state.json: %v", h.Pid(), procs)
	}
	t0 := time.Now()
	if err := other.Down(); err != nil {
		t.Fatal(err)
	}
	t.Logf("down with a paused haproxy took %s", time.Since(t0))
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("pid %d alive after Down", p.Pid)
		}
	}
	assertRefused(t, h.Addr())
}
