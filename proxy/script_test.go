package proxy

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
)

func TestScriptArgs(t *testing.T) {
	got := ScriptArgs("proxy2", ScriptStop, Change{Orig: s1, New: s2, Others: []Target{s3}})
	want := []string{"--command=stop", "--proxy=proxy2",
		"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306",
		"--new_master_host=db2", "--new_master_ip=10.0.0.2", "--new_master_port=3306"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("args\n got %q\nwant %q", got, want)
	}
}

// runHooks runs proxy hooks as the product's runner does, without a run.
func runHooks(ctx context.Context, name, command string, args []string) hooks.Result {
	return hooks.Run(ctx, hooks.Call{Name: name, Path: command, Args: args, Timeout: time.Minute})
}

// writeScript writes an executable shell script and returns its path.
func writeScript(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "proxy-hook")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

func scriptProxy(t *testing.T, command string, timeout time.Duration) Proxy {
	t.Helper()
	cfg := &config.Config{Proxies: []config.Proxy{{Block: "proxy3", Type: config.ProxyScript, Command: command, Timeout: timeout}}}
	ps, err := FromConfig(cfg, runHooks)
	if err != nil || len(ps) != 1 || ps[0].Name() != "proxy3" {
		t.Fatalf("FromConfig: %v, %v", ps, err)
	}
	return ps[0]
}

func TestScriptProxy(t *testing.T) {
	log := filepath.Join(t.TempDir(), "calls")
	p := scriptProxy(t, writeScript(t, `echo "$*" >> `+log+"\n"), 5*time.Second)
	c := Change{Orig: s1, New: s2, Others: []Target{s3}}
	if err := p.Stop(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := p.Open(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(log)
	want := "--command=stop --proxy=proxy3 --orig_master_host=db1 --orig_master_ip=10.0.0.1 --orig_master_port=3306 " +
		"--new_master_host=db2 --new_master_ip=10.0.0.2 --new_master_port=3306\n" +
		"--command=start --proxy=proxy3 --orig_master_host=db1 --orig_master_ip=10.0.0.1 --orig_master_port=3306 " +
		"--new_master_host=db2 --new_master_ip=10.0.0.2 --new_master_port=3306\n"
	if string(b) != want {
		t.Errorf("calls:\n%s\nwant:\n%s", b, want)
	}
}

func TestScriptProxyFails(t *testing.T) {
	path := writeScript(t, "echo connecting\necho 'backend writers: no such server' >&2\nexit 3\n")
	err := scriptProxy(t, path+" --zone a", 5*time.Second).Stop(context.Background(), Change{Orig: s1, New: s2})
	want := "proxy did not take the change: [proxy3] --command=stop: hook failed: proxy_command " + path +
		" --zone a: exit code 3: backend writers: no such server (fix: run the command line from the report by hand and see why it fails)"
	if err == nil || err.Error() != want || !errors.Is(err, ErrRejected) {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

func TestScriptProxyTimeout(t *testing.T) {
	path := writeScript(t, "sleep 30\n")
	t0 := time.Now()
	err := scriptProxy(t, path, 300*time.Millisecond).Open(context.Background(), Change{Orig: s1, New: s2})
	took := time.Since(t0)
	want := "proxy did not answer in time: [proxy3] script " + path + " --command=start: no answer within timeout=300ms, killed " +
		"(fix: make the script finish sooner, or raise timeout= in [proxy3])"
	if err == nil || err.Error() != want || !errors.Is(err, ErrTimeout) {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	if took > 2*time.Second {
		t.Errorf("took %s with timeout 300ms", took)
	}
}

func TestFromConfig(t *testing.T) {
	cfg := &config.Config{Proxies: []config.Proxy{
		{Block: "proxy1", Type: config.ProxyHAProxy, HAProxySocket: "/run/h.sock", HAProxyBackend: "b"},
		{Block: "proxy2", Type: config.ProxyScript, Command: "/bin/true"}}}
	if _, err := FromConfig(cfg, nil); err == nil || err.Error() != "[proxy2] type=script: no hook runner given" {
		t.Errorf("no runner: %v", err)
	}
	ps, err := FromConfig(cfg, runHooks)
	if err != nil || len(ps) != 2 || ps[0].Name() != "proxy1" || ps[1].Name() != "proxy2" {
		t.Fatalf("%v, %v", ps, err)
	}
	if h := ps[0].(*haproxy); h.cfg.Timeout != defaultTimeout || h.network != "unix" {
		t.Errorf("haproxy: %+v", h)
	}
}

// TestHAProxyUnreachable: no haproxy behind the socket fails at once with
// the line haproxy.cfg needs.
func TestHAProxyUnreachable(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "none.sock")
	p := newHAProxy(config.Proxy{Block: "proxy1", Type: config.ProxyHAProxy, HAProxySocket: sock, HAProxyBackend: "mysql", Timeout: time.Second})
	err := p.Stop(context.Background(), Change{Orig: s1, New: s2})
	want := "[proxy1] haproxy socket " + sock + ", backend mysql: stop traffic to [server1] db1(10.0.0.1:3306): connect: dial unix " + sock +
		": connect: no such file or directory (fix: check that haproxy runs with \"stats socket " + sock + " mode 600 level admin\" in its global section)"
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
}

func TestNewChange(t *testing.T) {
	cfg := &config.Config{Path: "/etc/app.cnf", Servers: []config.Server{
		{Block: "server1", Hostname: "db1", IP: "10.0.0.1", Port: 3306},
		{Block: "server2", Hostname: "db2", IP: "10.0.0.2", Port: 3306},
		{Block: "server3", Hostname: "db3", IP: "10.0.0.3", Port: 3306}}}
	c, err := NewChange(cfg, "server1", "server2")
	if want := (Change{Orig: s1, New: s2, Others: []Target{s3}}); err != nil || !reflect.DeepEqual(c, want) {
		t.Errorf("switchover: %+v, %v", c, err)
	}
	c, err = NewChange(cfg, "server1", "server1")
	if want := (Change{Orig: s1, New: s1, Others: []Target{s2, s3}}); err != nil || !reflect.DeepEqual(c, want) {
		t.Errorf("rollback: %+v, %v", c, err)
	}
	if want := []Target{s2, s3}; !reflect.DeepEqual(c.out(), want) {
		t.Errorf("rollback out: %v", c.out())
	}
	_, err = NewChange(cfg, "server1", "server9")
	if err == nil || !strings.Contains(err.Error(), "proxy change from [server1] to [server9]: not both are [serverN] blocks of /etc/app.cnf") {
		t.Errorf("unknown block: %v", err)
	}
}
