package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/configsync"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// baseConfigSync is the loopback block of the config sync test (3 hosts:
// 171..173, redis on .170), one only main-package tests use (they run one
// at a time); agentctl's tests hold 200-231 at the same time.
const baseConfigSync = 170

// TestConfigSyncAcrossManagers: two manager hosts' config files (other
// names, other local settings) of one real cluster. A switchover pushes a
// version the second file pulls; a change the second file lacks makes its
// switchover and failover refuse (exit 17, the pull command printed, the
// cluster unchanged); a watch with --exec pulls it; the failover from the
// second file then drops the dead master and pushes, and the first file
// pulls that: both end with the same cluster part and their own local lines.
func TestConfigSyncAcrossManagers(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseConfigSync, Hosts: 3})
	confA := s.c.ConfigPath()
	confB := s.secondManager()
	writeFile(t, confB, "# manager B's own comment\n"+strings.Replace(readFile(t, confB), "ping_interval=3\n", "ping_interval=1\n", 1))
	rc := coord.NewClient(coord.Options{Addr: s.c.RedisAddr()})
	defer rc.Close()

	// The first push, then a switchover that pushes by itself.
	if code, out, _ := runCLI(t, "config", "push", "--conf", confA, "--json"); code != exitOK || !strings.Contains(out, `"version": 1`) {
		t.Fatalf("config push: exit %d: %s", code, out)
	}
	code, rep := s.switchover("--new-master", "server2", "--orig-master-is-new-slave")
	if code != exitOK {
		t.Fatalf("switchover: exit %d: %s", code, rep.Error)
	}
	latest := mustLatest(t, rc, confA)
	if latest.Version != 2 || latest.Fence != rep.Fence || latest.RunID != rep.RunID || !hasNote(rep, "pushed config version 2") {
		t.Fatalf("the switchover did not push: %+v, report fence %d run %s, notes %v", latest, rep.Fence, rep.RunID, rep.Notes)
	}
	if code, out, _ := runCLI(t, "config", "pull", "--conf", confB); code != exitOK || !strings.Contains(out, "pulled version 2") {
		t.Fatalf("config pull: exit %d: %s", code, out)
	}

	// A changes the cluster part; B is now stale.
	writeFile(t, confA, strings.Replace(readFile(t, confA), "[server3]\n", "[server3]\nno_master=1\n", 1))
	if code, _, _ := runCLI(t, "config", "push", "--conf", confA); code != exitOK {
		t.Fatalf("config push of v3: exit %d", code)
	}
	before := s.topology()
	code, out, _ := runCLI(t, "switchover", "--conf", confB, "--new-master", "server1", "--json")
	assertStale(t, "switchover", code, decodeReport(t, code, out), confB)
	if after := s.topology(); !equalMaps(before, after) {
		t.Fatalf("a refused switchover changed the cluster:\n%v\n%v", before, after)
	}
	if err := s.c.KillMySQL(2); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "failover", "--conf", confB, "--json")
	assertStale(t, "failover", code, decodeReport(t, code, out), confB)
	for _, i := range []int{1, 3} {
		if got := s.replicationState(i); !strings.Contains(got, "master="+s.c.IP(2)+":") || !strings.Contains(got, "read_only=1") {
			t.Fatalf("a refused failover changed host %d: %s", i, got)
		}
	}

	// A watch on B pulls v3 and runs --exec with the version.
	marker := filepath.Join(t.TempDir(), "exec.out")
	w := startWatch(t, "--conf", confB, "--exec", `echo "v=$MHAGO_CONFIG_VERSION $MHAGO_CONFIG" >> `+marker)
	waitFor(t, 15*time.Second, func() bool { return strings.Contains(readFileOr(marker), "v=3 "+confB) })
	if !strings.Contains(readFile(t, confB), "[server3]\nno_master=1\n") {
		t.Fatalf("B did not pull the change:\n%s", readFile(t, confB))
	}

	// B is fresh now: its failover runs, drops the dead master and pushes.
	code, out, _ = runCLI(t, "failover", "--conf", confB, "--json", "--remove-dead-master-conf")
	rep = decodeReport(t, code, out)
	if code != exitOK || !hasNote(rep, "pushed config version 4") {
		t.Fatalf("failover from B: exit %d: %s; notes %v", code, rep.Error, rep.Notes)
	}
	if code, out, _ := runCLI(t, "config", "pull", "--conf", confA, "--json"); code != exitOK || !strings.Contains(out, `"version": 4`) {
		t.Fatalf("config pull into A: exit %d: %s", code, out)
	}
	partA, partB := partOf(t, confA), partOf(t, confB)
	if partA != partB || strings.Contains(partA, "[server2]") {
		t.Fatalf("cluster parts after the failover:\nA %q\nB %q", partA, partB)
	}
	if !strings.HasPrefix(readFile(t, confB), "# manager B's own comment\n") || !strings.Contains(readFile(t, confB), "ping_interval=1\n") ||
		!strings.Contains(readFile(t, confA), "ping_interval=3\n") {
		t.Fatal("a local line was lost")
	}
	w.stop(t)
	// The watch may see v4 announced before B's push records it in B's
	// file, and then write the same file itself: v4 at most once.
	runs := readFileOr(marker)
	if strings.Count(runs, "v=3 ") != 1 || strings.Count(runs, "v=") > 2 || (strings.Count(runs, "v=") == 2 && !strings.Contains(runs, "v=4 ")) {
		t.Errorf("--exec ran for versions:\n%s", runs)
	}
}

func assertStale(t *testing.T, op string, code int, rep *report.Report, conf string) {
	t.Helper()
	if code != exitStaleConfig || rep.Outcome != report.OutcomeRefused || !strings.Contains(rep.Error, "mhago config pull --conf "+conf) {
		t.Fatalf("%s from a stale config: exit %d, outcome %s: %s", op, code, rep.Outcome, rep.Error)
	}
}

func mustLatest(t *testing.T, rc *coord.Client, conf string) *configsync.Published {
	t.Helper()
	cfg, err := config.Load(conf, config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := configsync.Latest(context.Background(), rc, cfg.Redis.KeyPrefix, cfg.ClusterID())
	if err != nil || p == nil {
		t.Fatalf("latest config: %v %v", p, err)
	}
	return p
}

func partOf(t *testing.T, conf string) string {
	t.Helper()
	p, err := configsync.Extract(readFile(t, conf))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hasNote(rep *report.Report, text string) bool {
	return strings.Contains(strings.Join(rep.Notes, "\n"), text)
}

func equalMaps(a, b map[int]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func writeFile(t *testing.T, p, text string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFileOr(p string) string {
	b, _ := os.ReadFile(p)
	return string(b)
}

func waitFor(t *testing.T, limit time.Duration, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("condition not met within %s", limit)
}

// watchRun is a `mhago config watch` running in the test process.
type watchRun struct {
	cancel   context.CancelFunc
	done     chan error
	out, err lockedBuffer
}

func startWatch(t *testing.T, args ...string) *watchRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watchRun{cancel: cancel, done: make(chan error, 1)}
	app := newApp(&w.out, &w.err)
	go func() { w.done <- app.RunContext(ctx, append([]string{"mhago", "config", "watch"}, args...)) }()
	t.Cleanup(cancel)
	return w
}

func (w *watchRun) stop(t *testing.T) {
	t.Helper()
	w.cancel()
	select {
	case err := <-w.done:
		t.Logf("config watch:\nstdout:\n%s\nstderr:\n%s", w.out.String(), w.err.String())
		if err != nil {
			t.Fatalf("config watch ended with %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("config watch did not stop")
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
