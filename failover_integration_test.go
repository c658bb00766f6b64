package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// scenario is a test cluster with helpers for the failover stories.
type scenario struct {
	t   *testing.T
	c   *cluster.Cluster
	ctx context.Context
}

func newScenario(t *testing.T, opts cluster.Options) *scenario {
	t.Helper()
	return &scenario{t: t, c: cluster.Start(t, opts), ctx: context.Background()}
}

// killUnderLoad starts a write load on the master, runs before() once the
// master has rows rows, lets the load go on for a moment, kills the master
// with SIGKILL while writes are in flight, and returns the acknowledged ids.
func (s *scenario) killUnderLoad(rows int, before func()) []int64 {
	s.t.Helper()
	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Rows: 1_000_000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		s.t.Fatal(err)
	}
	s.waitRows(1, rows)
	if before != nil {
		before()
	}
	s.waitRows(1, rows+300)
	if err := s.c.KillMySQL(1); err != nil {
		s.t.Fatal(err)
	}
	res := l.Wait()
	if res.LastErr == nil || len(res.Acked) < rows {
		s.t.Fatalf("load was not interrupted by the kill: %d acked, last error %v", len(res.Acked), res.LastErr)
	}
	s.t.Logf("master killed under load after %d acknowledged commits", len(res.Acked))
	return res.Acked
}

func (s *scenario) waitRows(host, n int) {
	s.t.Helper()
	db, err := s.c.DB(host)
	if err != nil {
		s.t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var got int
		if db.QueryRow("SELECT COUNT(*) FROM mhago_test.load").Scan(&got) == nil && got >= n {
			return
		}
	}
	s.t.Fatalf("host %d never reached %d rows", host, n)
}

// failover runs mhago failover --json and decodes the report it prints.
func (s *scenario) failover(args ...string) (int, *report.Report) {
	s.t.Helper()
	code, out, _ := runCLI(s.t, append([]string{"failover", "--conf", s.c.ConfigPath(), "--json"}, args...)...)
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(out), rep); err != nil {
		s.t.Fatalf("failover output is not a report (exit %d): %v", code, err)
	}
	return code, rep
}

// hostIndex maps a config block ("server2") to its testenv host number.
func hostIndex(block string) int {
	var i int
	fmt.Sscanf(block, "server%d", &i)
	return i
}

// assertRecovered checks the promises of a failover: every acknowledged
// commit is on the new master, all surviving hosts have equal checksums, and
// every other replica replicates from the new master without error.
func (s *scenario) assertRecovered(rep *report.Report, acked []int64, survivors ...int) int {
	s.t.Helper()
	if rep.NewMaster == nil {
		s.t.Fatalf("report names no new master: outcome %s: %s", rep.Outcome, rep.Error)
	}
	nm := hostIndex(rep.NewMaster.Name)
	ids, err := s.c.RowIDs(s.ctx, nm, "mhago_test.load")
	if err != nil {
		s.t.Fatal(err)
	}
	if missing := missingAcked(acked, ids); len(missing) > 0 {
		s.t.Fatalf("%d acknowledged commits missing on the new master %s, e.g. %v", len(missing), rep.NewMaster.Name, missing[:min(5, len(missing))])
	}
	for _, i := range survivors {
		if i == nm {
			continue
		}
		st, err := s.c.SlaveStatus(s.ctx, i)
		if err != nil {
			s.t.Fatal(err)
		}
		if st["Master_Host"] != s.c.IP(nm) || st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes" {
			s.t.Fatalf("host %d does not replicate from the new master %s: %v", i, s.c.IP(nm), st)
		}
	}
	if err := s.c.SyncReplicas(s.ctx, survivors...); err != nil {
		s.t.Fatal(err)
	}
	if err := s.c.CompareChecksums(s.ctx, survivors...); err != nil {
		s.t.Fatalf("checksums differ after failover: %v", err)
	}
	if st, _ := s.c.SlaveStatus(s.ctx, nm); len(st) != 0 {
		s.t.Fatalf("new master %d still has replication settings: %v", nm, st)
	}
	return nm
}

func missingAcked(acked, have []int64) []int64 {
	var out []int64
	for _, id := range acked {
		if _, ok := slices.BinarySearch(have, id); !ok {
			out = append(out, id)
		}
	}
	return out
}

// pathsOf lists the apply paths the report gives host.
func pathsOf(rep *report.Report, host string) []report.ApplyPath {
	var out []report.ApplyPath
	for _, h := range rep.Hosts {
		if h.Name == host {
			for _, p := range h.Paths {
				out = append(out, p.Path)
			}
		}
	}
	return out
}

// assertOwnApplier: host i's SQL thread executed its own relay log (and
// its exec diff was not replayed), with parallel workers for the
// catch-up, and none again after the failover.
func (s *scenario) assertOwnApplier(rep *report.Report, i int) {
	s.t.Helper()
	name := fmt.Sprintf("server%d", i)
	var own *report.PathTaken
	for _, h := range rep.Hosts {
		for k, p := range h.Paths {
			if h.Name == name && p.Path == report.PathOwnSQLThread {
				own = &h.Paths[k]
			}
		}
	}
	if own == nil || own.Bytes <= 0 || !strings.Contains(own.Why, "with 4 worker threads (conservative mode), then slave_parallel_threads=0") {
		s.t.Fatalf("%s: own SQL thread path %+v, want bytes and the parallel workers named", name, own)
	}
	for _, h := range rep.Hosts {
		for _, p := range h.Paths {
			if h.Name == name && p.Path == report.PathDiffReplay && strings.Contains(p.Why, "exec from") {
				s.t.Errorf("%s: the exec diff was replayed too: %s", name, p.Why)
			}
		}
	}
	db, err := s.c.DB(i)
	if err != nil {
		s.t.Fatal(err)
	}
	var threads int
	if err := db.QueryRow("SELECT @@GLOBAL.slave_parallel_threads").Scan(&threads); err != nil || threads != 0 {
		s.t.Errorf("%s: slave_parallel_threads %d after the failover (%v), want 0 again", name, threads, err)
	}
}

func diffKinds(rep *report.Report) map[string]int {
	kinds := map[string]int{}
	for _, h := range rep.Hosts {
		for _, d := range h.Diffs {
			if d.Transactions > 0 {
				kinds[d.Kind]++
			}
		}
	}
	return kinds
}

// (a) master killed under write load, file/position replication. With
// --remove-dead-master-conf (MHA's) the old master's block is gone from the
// config afterwards, so the next check is healthy.
func TestFailoverFilePos(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 100})
	acked := s.killUnderLoad(1000, nil)
	code, rep := s.failover("--remove_dead_master_conf")
	if code != exitOK || rep.Outcome != "success" {
		t.Fatalf("exit %d outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3, 4)
	if len(rep.Phases) < 10 || rep.Fence == 0 || !rep.PointOfNoReturnPassed {
		t.Errorf("report lacks phases (%d), fence (%d) or point of no return", len(rep.Phases), rep.Fence)
	}
	conf, err := os.ReadFile(s.c.ConfigPath())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(conf), "[server1]") || !strings.Contains(string(conf), "[server2]") {
		t.Fatalf("the dead master's block was not removed (alone):\n%s", conf)
	}
	if code, out, _ := runCLI(t, "check", "--conf", s.c.ConfigPath()); code != exitOK {
		t.Fatalf("check after the failover: exit %d\n%s", code, out)
	}
}

// (b) the same in MariaDB GTID mode, with server3's SQL thread stopped
// mid-load: there starting it would discard its relay logs, so what it
// did not execute is replayed as a diff (the fallback of the own-SQL-
// thread path), and the report says why.
func TestFailoverMariaDBGTID(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 110, GTID: true})
	acked := s.killUnderLoad(1000, func() {
		if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
			t.Fatal(err)
		}
		s.waitRows(1, 900)
	})
	code, rep := s.failover()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	nm := s.assertRecovered(rep, acked, 2, 3, 4)
	if p := pathsOf(rep, "server3"); !slices.Contains(p, report.PathDiffReplay) || slices.Contains(p, report.PathOwnSQLThread) {
		t.Errorf("server3 took %v, want the diff replay only", p)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "server3: its own relay log is replayed as a diff, not executed by its SQL thread: MariaDB GTID mode") {
		t.Errorf("the report does not say why server3's SQL thread was not started: %v", rep.Notes)
	}
	for _, i := range []int{2, 3, 4} {
		if i == nm {
			continue
		}
		st, _ := s.c.SlaveStatus(s.ctx, i)
		if st["Using_Gtid"] != "Slave_Pos" {
			t.Errorf("host %d replicates with Using_Gtid=%s, want Slave_Pos", i, st["Using_Gtid"])
		}
	}
}

// (c) one replica's SQL thread and another's IO thread stopped before the
// kill: after the point of no return the first executes its own relay log
// with its SQL thread (parallel workers, put back after) unless that log
// ends inside a transaction, the other gets read diffs. (d) the master's
// binlog rotates during the load and the replicas stop reading before the
// kill, so the dead master's saved binlog spans several files.
func TestFailoverAppliesRelayAndBinlogDiffs(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 120, MaxBinlogSize: 16 << 10})
	acked := s.killUnderLoad(600, func() {
		if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
			t.Fatal(err)
		}
		if err := s.c.StopIOThread(s.ctx, 4); err != nil {
			t.Fatal(err)
		}
		s.waitRows(1, 750)
		// From here to the kill at 900 rows, commits live only in the
		// master's binlog.
		for _, i := range []int{2, 3} {
			if err := s.c.StopIOThread(s.ctx, i); err != nil {
				t.Fatal(err)
			}
		}
	})
	code, rep := s.failover()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3, 4)
	kinds := diffKinds(rep)
	if kinds["exec"] == 0 || kinds["read"] == 0 || kinds["master_binlog"] == 0 {
		t.Fatalf("want exec, read and master_binlog diffs, got %v", kinds)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "server3: its own relay log is replayed as a diff, not executed by its SQL thread: its relay log ends inside a transaction") {
		s.assertOwnApplier(rep, 3)
	}
	files, _ := filepath.Glob(filepath.Join(s.c.BinlogDir(1), "mysql-bin.0*"))
	if len(files) < 3 {
		t.Fatalf("the master's binlog did not rotate during the load: %v", files)
	}
}

// (e) the dead master's sshd is down too: the failover succeeds with what
// the replicas have, and the report says what could not be saved.
func TestFailoverDeadMasterSSHDown(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 130, Hosts: 3})
	s.killUnderLoad(500, nil)
	if err := s.c.StopSSHD(1); err != nil {
		t.Fatal(err)
	}
	code, rep := s.failover()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	if len(rep.Unsaved) == 0 || !strings.Contains(strings.Join(rep.Unsaved, " "), "SSH") {
		t.Fatalf("report does not state what could not be saved: %v", rep.Unsaved)
	}
	if rep.Lost == nil || rep.Lost.Host != "server1" || rep.Lost.File == "" || rep.Lost.Pos < 4 {
		t.Fatalf("report does not bound the loss with the dead master's coordinates: %+v", rep.Lost)
	}
	s.assertRecovered(rep, nil, 2, 3)
}

// (f) two mhago runs at once: one fails over, the other exits with the lock
// code and names the holder.
func TestFailoverTwoManagers(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 150, Hosts: 3})
	// A slow fencing hook keeps the winner inside the lock long enough.
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) sleep 3;; esac; exit 0`)
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nmaster_ip_failover_script="+hook)
	s.killUnderLoad(300, nil)
	codes := make([]int, 2)
	outs := make([]string, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { codes[i], outs[i], _ = runCLI(t, "failover", "--conf", conf, "--json") })
	}
	wg.Wait()
	slices.Sort(codes)
	if codes[0] != exitOK || codes[1] != exitLocked {
		t.Fatalf("exit codes %v, want one %d and one %d", codes, exitOK, exitLocked)
	}
	// Same host, same manager_workdir: the host's own lock stops the
	// loser before Redis is asked; it names the holder's pid.
	if !regexp.MustCompile(`another mhago on this host is working on the cluster: cluster \S+, pid \d+`).MatchString(outs[0] + outs[1]) {
		t.Errorf("the loser does not name the lock holder")
	}
}

// (g) a fencing hook that exits 1 aborts before the point of no return and
// leaves the cluster as it was.
func TestFailoverHookFailureLeavesClusterAsItWas(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 160, Hosts: 3})
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) echo "cannot move the VIP" >&2; exit 1;; esac; exit 0`)
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nmaster_ip_failover_script="+hook)
	s.killUnderLoad(300, func() {
		// An operator stopped this SQL thread: the abort must not start it.
		if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
			t.Fatal(err)
		}
	})
	s.waitApplied(2)
	before := s.replicationState(2, 3)
	code, out, _ := runCLI(t, "failover", "--conf", conf, "--json")
	if code != exitAborted {
		t.Fatalf("exit %d, want %d", code, exitAborted)
	}
	rep := &report.Report{}
	json.Unmarshal([]byte(out), rep)
	if rep.Outcome != "aborted" || rep.PointOfNoReturnPassed || !strings.Contains(rep.Error, "cannot move the VIP") {
		t.Fatalf("report: outcome %s, PONR %v, error %q", rep.Outcome, rep.PointOfNoReturnPassed, rep.Error)
	}
	if after := s.replicationState(2, 3); after != before {
		t.Fatalf("cluster changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestFailoverDryRunChangesNothing: the plan is printed, nothing changes on
// any server or in Redis.
func TestFailoverDryRunChangesNothing(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 170})
	s.killUnderLoad(500, func() {
		if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
			t.Fatal(err)
		}
	})
	s.waitApplied(2, 4)
	before := s.replicationState(2, 3, 4)
	keysBefore := s.redisKeys()
	confBefore, _ := os.ReadFile(s.c.ConfigPath())
	code, out, _ := runCLI(t, "failover", "--conf", s.c.ConfigPath(), "--dry-run", "--remove-dead-master-conf")
	if code != exitOK || !strings.Contains(out, "Dry run finished") || !strings.Contains(out, "PLAN") ||
		!strings.Contains(out, "would run: STOP SLAVE IO_THREAD") || !strings.Contains(out, "would lose:") ||
		!strings.Contains(out, "would run: remove the [server1] block") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	// The plan prints the statements the run would send, password hidden
	// (the report's own scrubbing shows it as MASTER_PASSWORD=xxx).
	replPW, err := os.ReadFile(s.c.ReplPasswordFile())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "then STOP SLAVE; RESET SLAVE; ") || !strings.Contains(out, "CHANGE MASTER TO MASTER_HOST=") ||
		!strings.Contains(out, "MASTER_PASSWORD=xxx,") || !strings.Contains(out, "; START SLAVE\n") ||
		!strings.Contains(out, "would run: STOP SLAVE; RESET SLAVE ALL on server") {
		t.Errorf("dry run does not print the repoint statements:\n%s", out)
	}
	if pw := strings.TrimSpace(string(replPW)); pw == "" || strings.Contains(out, pw) {
		t.Errorf("dry run output holds the replication password (%d bytes) or none is set", len(pw))
	}
	if confAfter, _ := os.ReadFile(s.c.ConfigPath()); string(confAfter) != string(confBefore) {
		t.Fatalf("dry run changed the config file")
	}
	if after := s.replicationState(2, 3, 4); after != before {
		t.Fatalf("dry run changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
	if keys := s.redisKeys(); !slices.Equal(keys, keysBefore) {
		t.Fatalf("dry run changed Redis keys: %v -> %v", keysBefore, keys)
	}
	for _, i := range []int{2, 3, 4} {
		entries, _ := os.ReadDir(s.c.WorkDir(i))
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), "mhago-") && e.Name() != "mhago-agent-cache" {
				t.Errorf("dry run left %s in host %d's remote_workdir", e.Name(), i)
			}
		}
	}
}

// waitApplied waits until the hosts' SQL threads have executed all they
// can, so that a snapshot is not moved by replication catching up:
// everything read, or (an IO thread stopped, or the master killed, in the
// middle of a transaction) nothing more for a second, since the rest of
// that transaction never arrives.
func (s *scenario) waitApplied(hosts ...int) {
	s.t.Helper()
	for _, i := range hosts {
		last, since := "", time.Now()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			st, err := s.c.SlaveStatus(s.ctx, i)
			if err != nil {
				if time.Now().After(deadline) {
					s.t.Fatalf("host %d: %v", i, err)
				}
				continue
			}
			pos := st["Relay_Master_Log_File"] + ":" + st["Exec_Master_Log_Pos"]
			if pos != last {
				last, since = pos, time.Now()
			}
			caughtUp := st["Exec_Master_Log_Pos"] == st["Read_Master_Log_Pos"] && st["Relay_Master_Log_File"] == st["Master_Log_File"]
			if caughtUp || time.Since(since) > time.Second {
				break
			}
			if time.Now().After(deadline) {
				s.t.Fatalf("host %d's SQL thread never settled: %v", i, st)
			}
		}
	}
}

// replicationState is a comparable snapshot of what a failover may change.
func (s *scenario) replicationState(hosts ...int) string {
	var b strings.Builder
	for _, i := range hosts {
		st, err := s.c.SlaveStatus(s.ctx, i)
		if err != nil {
			s.t.Fatal(err)
		}
		db, _ := s.c.DB(i)
		var ro string
		db.QueryRow("SELECT @@global.read_only").Scan(&ro)
		fmt.Fprintf(&b, "host%d master=%s:%s read=%s:%s exec=%s:%s sql=%s read_only=%s; ", i, st["Master_Host"], st["Master_Port"],
			st["Master_Log_File"], st["Read_Master_Log_Pos"], st["Relay_Master_Log_File"], st["Exec_Master_Log_Pos"], st["Slave_SQL_Running"], ro)
	}
	return b.String()
}

func (s *scenario) redisKeys() []string {
	c := redis.NewClient(&redis.Options{Addr: s.c.RedisAddr()})
	defer c.Close()
	keys, err := c.Keys(s.ctx, "*").Result()
	if err != nil {
		s.t.Fatal(err)
	}
	slices.Sort(keys)
	return keys
}

func writeHook(t *testing.T, dir, body string) string {
	t.Helper()
	p := filepath.Join(dir, fmt.Sprintf("hook-%s.sh", strings.ReplaceAll(t.Name(), "/", "_")))
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckFailoverIfDead is the cron mode: check finds the master dead and
// fails over; the next run finds the new topology and does not act again.
func TestCheckFailoverIfDead(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 180, Hosts: 3})
	acked := s.killUnderLoad(300, nil)
	code, out, _ := runCLI(t, "check", "--conf", s.c.ConfigPath(), "--failover-if-dead")
	if code != exitOK || !strings.Contains(out, "starting the failover") || !strings.Contains(out, "completed successfully") {
		t.Fatalf("check --failover-if-dead: exit %d\n%s", code, out)
	}
	ids, _ := s.c.RowIDs(s.ctx, 2, "mhago_test.load")
	if missing := missingAcked(acked, ids); len(missing) > 0 {
		t.Fatalf("%d acknowledged commits missing on server2", len(missing))
	}
	// A minute later cron runs again: the old master is still down and still
	// in the config, but nobody replicates from it, so nothing happens.
	code, out, _ = runCLI(t, "check", "--conf", s.c.ConfigPath(), "--failover-if-dead")
	if code != exitReplication || strings.Contains(out, "starting the failover") {
		t.Fatalf("second cron run: exit %d, want %d without a failover\n%s", code, exitReplication, out)
	}
}
