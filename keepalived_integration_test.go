package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/testenv/cluster"
)

// TestKeepalivedFollowsMhago runs the setup docs/vip.md documents for a
// VIP that keepalived owns: the keepalived.conf and track script are read
// from the document itself, with this cluster's addresses put in, and run
// by real keepalived processes, one in each host's network namespace.
// mhago has no vip= key. keepalived gives the VIP to the master; once its
// mysqld dies and mhago has failed over, to the new master, and to no one
// in between.
func TestKeepalivedFollowsMhago(t *testing.T) {
	requireKeepalived(t)
	s := newScenario(t, cluster.Options{Base: 244, Hosts: 2, Netns: true})
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^vip(_interface)?=.*\n`, "")
	// keepalived brings the VIP, not testenv.
	if out, err := exec.Command("ip", "-n", s.c.Namespace(1), "addr", "del", s.c.VIP()+"/32", "dev", s.c.VIPInterface()).CombinedOutput(); err != nil {
		t.Fatalf("remove testenv's VIP: %v: %s", err, out)
	}
	doc, err := os.ReadFile("docs/vip.md")
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		startKeepalived(t, s.c, conf, string(doc), i)
	}
	waitVIP(t, s.c, 1)
	if id := vipServerID(t, s.c); id != 1 {
		t.Fatalf("VIP:3306 is server_id %d, want 1", id)
	}
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	// The master's check fails, the replica's fails too (read_only): no
	// one may hold the VIP until mhago has promoted the replica.
	waitVIP(t, s.c)
	code, out, _ := runCLI(t, "failover", "--conf", conf)
	if code != exitOK {
		t.Fatalf("failover: exit %d\n%s", code, out)
	}
	t0 := time.Now()
	waitVIP(t, s.c, 2)
	t.Logf("keepalived moved the VIP %s after the failover", time.Since(t0).Round(10*time.Millisecond))
	if id := vipServerID(t, s.c); id != 2 {
		t.Fatalf("VIP:3306 is server_id %d after the failover, want 2", id)
	}
	if strings.Contains(out, "VIP "+s.c.VIP()) {
		t.Errorf("mhago moved the VIP itself although vip= is not set:\n%s", out)
	}
}

func requireKeepalived(t *testing.T) {
	t.Helper()
	cluster.RequireNetns(t)
	if _, err := exec.LookPath("keepalived"); err == nil {
		return
	}
	if _, err := os.Stat("/usr/sbin/keepalived"); err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: keepalived is not installed (apt-get install keepalived)")
	}
	t.Skip("keepalived is not installed (apt-get install keepalived)")
}

// docBlock is the first fenced block after the line containing marker.
func docBlock(t *testing.T, doc, marker string) string {
	t.Helper()
	_, rest, ok := strings.Cut(doc, marker)
	if !ok {
		t.Fatalf("docs/vip.md has no %q", marker)
	}
	m := regexp.MustCompile("(?s)```[a-z]*\n(.*?)```").FindStringSubmatch(rest)
	if m == nil {
		t.Fatalf("docs/vip.md has no code block after %q", marker)
	}
	return m[1]
}

// startKeepalived writes host i's keepalived.conf, track and notify
// scripts from the document and starts keepalived in its namespace;
// cleanup stops it by pid.
func startKeepalived(t *testing.T, c *cluster.Cluster, conf, doc string, i int) {
	t.Helper()
	cfg, err := config.Load(conf, config.LoadOptions{SkipInitScript: true})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(c.Dir(), fmt.Sprintf("keepalived%d", i))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	file := func(name, body string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	check := file("mhago-check.cnf", "[client]\nuser=mhago\npassword="+c.Password()+"\n", 0o600)
	script := strings.NewReplacer(
		"/etc/keepalived/mhago-check.cnf", check,
		"mhago:{app1}:topology", coord.TopologyKey(cfg.Redis.KeyPrefix, cfg.ClusterID()),
		"10.0.0.5", strings.Split(c.RedisAddr(), ":")[0],
	).Replace(docBlock(t, doc, "`/etc/keepalived/mhago-is-master`"))
	isMaster := file("mhago-is-master", script, 0o755)
	notify := file("mhago-notify", docBlock(t, doc, "`/etc/keepalived/mhago-notify`"), 0o755)
	kconf := strings.NewReplacer(
		// Scripts under /tmp fail enable_script_security's check of
		// every directory above them; these run as root.
		"    enable_script_security\n", "",
		"script_user keepalived_script", "script_user root",
		"/etc/keepalived/mhago-is-master 10.0.1.11 3306", fmt.Sprintf("%s %s %d", isMaster, c.IP(i), c.Options().MySQLPort),
		"/etc/keepalived/mhago-notify", notify,
		"10.0.1.100/24 dev eth0", c.VIP()+"/32 dev "+c.VIPInterface(),
		"priority 100", fmt.Sprintf("priority %d", 100-10*(i-1)),
	).Replace(docBlock(t, doc, "`/etc/keepalived/keepalived.conf`"))
	kpath := file("keepalived.conf", kconf, 0o644)
	log, err := os.Create(filepath.Join(dir, "keepalived.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("ip", "netns", "exec", c.Namespace(i), "/usr/sbin/keepalived", "-n", "-l", "-P", "-G",
		"-f", kpath, "-p", filepath.Join(dir, "keepalived.pid"), "-r", filepath.Join(dir, "vrrp.pid"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		log.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log.Name())
			t.Logf("keepalived on host %d:\n%s", i, b)
		}
	})
}

// waitVIP waits up to 20 s until exactly the given hosts hold the VIP,
// then checks that it stays so for a VRRP advertisement or two.
func waitVIP(t *testing.T, c *cluster.Cluster, want ...int) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got, err := c.VIPHolders(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("VIP on hosts %v after 20s, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if got, err := c.VIPHolders(ctx); err != nil || !slices.Equal(got, want) {
		t.Fatalf("VIP moved on to hosts %v (%v), want it to stay on %v", got, err, want)
	}
}
