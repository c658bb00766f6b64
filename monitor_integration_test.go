package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/configsync"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/testenv/cluster"
)

// managerHost is one monitor of the cluster, as if on its own manager
// host: its own config file name, manager_workdir and manager_log.
type managerHost struct {
	name, conf, log string
	cancel          context.CancelFunc
	done            chan int // the exit code, once it stopped
	out             bytes.Buffer
}

// baseMonitor is the monitor tests' loopback block (4 hosts: 181..184,
// redis on .180), one only main-package tests use: they run one at a time.
const baseMonitor = 180

// writeManagerConfigs copies the cluster's app.cnf into n manager configs
// whose host-local keys differ, with ping_interval set to interval.
func writeManagerConfigs(t *testing.T, c *cluster.Cluster, n int, interval string) []*managerHost {
	t.Helper()
	base, err := os.ReadFile(c.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	var hosts []*managerHost
	for i := 1; i <= n; i++ {
		dir := filepath.Join(c.Dir(), fmt.Sprintf("manager%d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		h := &managerHost{name: fmt.Sprintf("mgr%d", i), conf: filepath.Join(c.Dir(), fmt.Sprintf("app-mgr%d.cnf", i)), log: filepath.Join(dir, "app.log")}
		text := regexp.MustCompile(`(?m)^manager_workdir=.*$`).ReplaceAllString(string(base), "manager_workdir="+dir)
		text = regexp.MustCompile(`(?m)^manager_log=.*$`).ReplaceAllString(text, "manager_log="+h.log)
		text = regexp.MustCompile(`(?m)^ping_interval=.*$`).ReplaceAllString(text, "ping_interval="+interval)
		if err := os.WriteFile(h.conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		hosts = append(hosts, h)
	}
	return hosts
}

// start runs the monitor in a goroutine, as `mhago monitor` would run.
func (h *managerHost) start(t *testing.T, extra ...string) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan int, 1)
	args := append([]string{"mhago", "--log-level", "info", "monitor", "--conf", h.conf}, extra...)
	go func() {
		err := newApp(&h.out, &h.out).RunContext(ctx, args)
		h.done <- exitCode(err)
	}()
	t.Cleanup(func() { h.stop(t) })
}

// stop ends the monitor (SIGTERM's path: its context) and returns its exit
// code; a monitor that does not stop within 60 s fails the test.
func (h *managerHost) stop(t *testing.T) int {
	if h.cancel == nil {
		return -1
	}
	h.cancel()
	h.cancel = nil
	select {
	case code := <-h.done:
		return code
	case <-time.After(60 * time.Second):
		t.Errorf("%s: monitor did not stop within 60 s", h.name)
		return -1
	}
}

func (h *managerHost) logText() string {
	b, _ := os.ReadFile(h.log)
	return string(b)
}

// monitoring reports whether the monitor's last "monitoring master" line
// names host.
func (h *managerHost) monitoring(host string) bool {
	ms := regexp.MustCompile(`msg="monitoring master" phase=monitor host=(\S+)`).FindAllStringSubmatch(h.logText(), -1)
	return len(ms) > 0 && ms[len(ms)-1][1] == host
}

func (h *managerHost) count(re string) int {
	return len(regexp.MustCompile(re).FindAllString(h.logText(), -1))
}

// waitAll polls until every monitor satisfies ok, or fails after bound.
func waitAll(t *testing.T, hosts []*managerHost, bound time.Duration, what string, ok func(*managerHost) bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < bound {
		all := true
		for _, h := range hosts {
			all = all && ok(h)
		}
		if all {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, h := range hosts {
		t.Logf("%s log:\n%s\nstdout:\n%s", h.name, tail(h.logText(), 30), tail(h.out.String(), 20))
	}
	t.Fatalf("not every monitor %s within %s", what, bound)
	return 0
}

// firstLogged is the earliest time any monitor logged a line matching re.
func firstLogged(hosts []*managerHost, re string) time.Time {
	var first time.Time
	line := regexp.MustCompile(`(?m)^time=(\S+) .*` + re)
	for _, h := range hosts {
		for _, m := range line.FindAllStringSubmatch(h.logText(), -1) {
			if at, err := time.Parse(time.RFC3339Nano, m[1]); err == nil && (first.IsZero() || at.Before(first)) {
				first = at
			}
		}
	}
	return first
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// waitWritable polls host's read_only every 10 ms and returns when it is
// OFF: the moment a client's write would be accepted.
func waitWritable(t *testing.T, c *cluster.Cluster, host int, bound time.Duration) time.Time {
	t.Helper()
	db, err := c.DB(host)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(bound); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var ro int
		if db.QueryRow("SELECT @@global.read_only").Scan(&ro) == nil && ro == 0 {
			return time.Now()
		}
	}
	t.Fatalf("host %d not writable within %s", host, bound)
	return time.Time{}
}

// TestMonitorThreeManagersOneFailover: three monitors watch one cluster;
// the master's mysqld is killed; exactly one of them fails over, and all
// three end monitoring the new master.
func TestMonitorThreeManagersOneFailover(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseMonitor, Hosts: 4})
	hosts := writeManagerConfigs(t, c, 3, "1")
	for _, h := range hosts {
		h.start(t, "--await-publish", "20s")
	}
	waitAll(t, hosts, 30*time.Second, "monitors server1", func(h *managerHost) bool { return h.monitoring("server1") })
	time.Sleep(1500 * time.Millisecond) // a few healthy cycles first

	killed := time.Now()
	if err := c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	writable := waitWritable(t, c, 2, 30*time.Second).Sub(killed)
	followBound := 60 * time.Second
	follow := waitAll(t, hosts, followBound, "follows server2", func(h *managerHost) bool { return h.monitoring("server2") })
	t.Logf("kill to writable new master: %s (detected after %s); every monitor on server2 %s after that (bound %s)",
		writable.Round(time.Millisecond), firstLogged(hosts, `msg="master confirmed dead"`).Sub(killed).Round(time.Millisecond),
		follow.Round(time.Millisecond), followBound)

	done, confirmed := 0, 0
	for _, h := range hosts {
		done += h.count(`msg="failover ended" phase=monitor host=server1 outcome=done`)
		confirmed += h.count(`msg="master confirmed dead"`)
		if n := h.count(`outcome=(broken|aborted)`); n > 0 {
			t.Errorf("%s: %d failover runs broke or aborted:\n%s", h.name, n, tail(h.logText(), 30))
		}
	}
	for _, h := range hosts {
		if os.Getenv("MONITOR_TEST_DUMP") != "" {
			t.Logf("%s stdout:\n%s", h.name, h.out.String())
		}
	}
	if done != 1 {
		t.Errorf("%d monitors failed over, want exactly 1", done)
	}
	if confirmed == 0 {
		t.Error("no monitor logged the master's death")
	}
	if writable > 2*time.Second {
		t.Logf("WARNING: kill to writable %s is above the 2 s target (machine load?)", writable)
	}
	sameClusterConfig(t, hosts)
	for _, h := range hosts {
		if code := h.stop(t); code != exitOK {
			t.Errorf("%s: stopped with exit %d, want 0:\n%s", h.name, code, tail(h.out.String(), 20))
		}
	}
}

// sameClusterConfig requires the three files to hold one cluster part,
// and, once a version was published, that version's.
func sameClusterConfig(t *testing.T, hosts []*managerHost) {
	t.Helper()
	var parts []string
	for _, h := range hosts {
		b, err := os.ReadFile(h.conf)
		if err != nil {
			t.Fatal(err)
		}
		p, err := configsync.Extract(string(b))
		if err != nil {
			t.Fatalf("%s: %v", h.conf, err)
		}
		parts = append(parts, p)
	}
	cfg, err := config.Load(hosts[0].conf, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ro, _ := endpoints.Redis(cfg)
	rc := coord.NewClient(ro)
	defer rc.Close()
	pub, err := configsync.Latest(context.Background(), rc, ro.KeyPrefix, cfg.ClusterID())
	if err != nil {
		t.Fatal(err)
	}
	if pub != nil {
		want, err := configsync.Extract(pub.Text)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, want)
		t.Logf("published config version %d (fence %d, by %s)", pub.Version, pub.Fence, pub.By)
	} else {
		t.Log("no config version published (the failover does not push yet): comparing the files only")
	}
	for i, p := range parts[1:] {
		if p != parts[0] {
			t.Errorf("cluster config %d differs from the first:\n%s\n---\n%s", i+1, parts[0], p)
		}
	}
}

// TestMonitorSlowMasterNotFailedOver: a master stopped (SIGSTOP) for less
// than the confirmation window (3 × ping_interval) is noticed, but not
// failed over.
func TestMonitorSlowMasterNotFailedOver(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: baseMonitor, Hosts: 3})
	hosts := writeManagerConfigs(t, c, 1, "1")
	h := hosts[0]
	h.start(t)
	waitAll(t, hosts, 30*time.Second, "monitors server1", func(h *managerHost) bool { return h.monitoring("server1") })
	time.Sleep(1200 * time.Millisecond)

	if err := c.HangMySQL(1); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	resume := func() {
		once.Do(func() {
			if err := c.ResumeMySQL(1); err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(resume)
	waitAll(t, hosts, 5*time.Second, "notices the hang", func(h *managerHost) bool { return h.count(`msg="(ping failed|master state changed)"`) > 0 })
	time.Sleep(700 * time.Millisecond) // stopped about 2 s of the 3 s window
	resume()
	waitAll(t, hosts, 10*time.Second, "sees the master healthy again", func(h *managerHost) bool {
		return h.count(`to=healthy`) > 0
	})
	time.Sleep(3 * time.Second)
	if n := h.count(`msg="starting the failover"|msg="master confirmed dead"`); n > 0 {
		t.Fatalf("a master stopped for less than the window was confirmed dead or failed over:\n%s", tail(h.logText(), 30))
	}
	if !h.monitoring("server1") {
		t.Fatalf("the monitor left server1:\n%s", tail(h.logText(), 30))
	}
	t.Logf("hang noticed (%d failed pings), no failover", h.count(`msg="(ping failed|master state changed)" phase=monitor host=server1 (from=healthy to=suspect )?ping=silent`))
	if code := h.stop(t); code != exitOK {
		t.Errorf("monitor stopped with exit %d, want 0", code)
	}
}
