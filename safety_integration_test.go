package main

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// baseSafety is the base of this file's clusters (3 hosts: 234..237).
const baseSafety = 234

// relayPurge turns relay_log_purge on for host i and rotates its relay
// log: from now on each relay log its SQL thread finishes is removed, as
// with MHA's purge_relay_logs cron.
func (s *scenario) relayPurge(i int) {
	s.t.Helper()
	for _, q := range []string{"SET GLOBAL relay_log_purge = 1", "FLUSH RELAY LOGS"} {
		if err := s.c.Exec(s.ctx, i, q); err != nil {
			s.t.Fatal(err)
		}
	}
}

// replicaPos is what host i has read (IO thread) or executed (SQL thread),
// in its master's binlog coordinates.
func (s *scenario) replicaPos(i int, executed bool) repl.Coordinates {
	s.t.Helper()
	st, err := s.c.SlaveStatus(s.ctx, i)
	if err != nil {
		s.t.Fatal(err)
	}
	file, pos := st["Master_Log_File"], st["Read_Master_Log_Pos"]
	if executed {
		file, pos = st["Relay_Master_Log_File"], st["Exec_Master_Log_Pos"]
	}
	c, err := repl.ParseCoordinates(file + ":" + pos)
	if err != nil {
		s.t.Fatalf("host %d: %v", i, err)
	}
	return c
}

// waitExecutedPast waits until host i's SQL thread has executed beyond p;
// the load goes on meanwhile, so it never catches up entirely.
func (s *scenario) waitExecutedPast(i int, p repl.Coordinates) {
	s.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); s.replicaPos(i, true).Compare(p) <= 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			s.t.Fatalf("host %d never executed up to %v (at %v)", i, p, s.replicaPos(i, true))
		}
	}
}

// lackingRelayLogs leaves server3 behind with its missing events purged
// from server2's relay logs: no replica can bring server3 level. server2
// rotates its relay log after server3 stopped reading, and again later;
// once its SQL thread is past the second rotation, the relay log holding
// server3's position is finished, hence purged.
func (s *scenario) lackingRelayLogs() []int64 {
	return s.killUnderLoad(300, func() {
		if err := s.c.StopIOThread(s.ctx, 3); err != nil {
			s.t.Fatal(err)
		}
		s.relayPurge(2)
		s.waitRows(1, 700)
		s.relayPurge(2)
		s.waitExecutedPast(2, s.replicaPos(2, false))
	})
}

// TestFailoverReplicaLackingRelayLogs: a replica whose missing events are
// in no relay log stops the run before the point of no return, as MHA
// does; with ignore_fail=1 the run fails over without it (exit 10).
func TestFailoverReplicaLackingRelayLogs(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 3})
	acked := s.lackingRelayLogs()
	s.waitApplied(2)
	before := s.replicationState(2, 3)
	code, out := s.failoverText(s.c.ConfigPath())
	if code != exitAborted || !strings.Contains(out, "server3: no latest replica (server2) holds relay logs back to its read position") ||
		!strings.Contains(out, "set ignore_fail=1") {
		t.Fatalf("exit %d, want %d naming server3's missing relay logs and ignore_fail:\n%s", code, exitAborted, out)
	}
	if after := s.replicationState(2, 3); after != before {
		t.Fatalf("cluster changed:\nbefore %s\nafter  %s", before, after)
	}
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server3\]$`, "[server3]\nignore_fail=1")
	code, out = s.failoverText(conf)
	if code != exitPartial {
		t.Fatalf("with ignore_fail=1 on server3: exit %d, want %d\n%s", code, exitPartial, out)
	}
	rep := s.reportIn(conf)
	if h := rep.HostResult("server3", "", ""); h.Status != report.HostSkipped || !strings.Contains(h.Error, "ignore_fail=1") {
		t.Fatalf("server3: %s %q, want skipped naming ignore_fail", h.Status, h.Error)
	}
	nm := s.assertRecovered(rep, acked, 2)
	if st, _ := s.c.SlaveStatus(s.ctx, 3); st["Master_Host"] == s.c.IP(nm) {
		t.Fatal("server3 was repointed without the events it lacks")
	}
}

// hangUnderLoad writes until the master has rows rows, then stops its
// mysqld with SIGSTOP (a hang: TCP accepted, nothing answers) and returns
// the acknowledged ids once the load gave up. The replicas notice after
// slave_net_timeout, set to 2 s here.
func (s *scenario) hangUnderLoad(rows int) []int64 {
	for _, i := range []int{2, 3} {
		for _, q := range []string{"STOP SLAVE IO_THREAD", "SET GLOBAL slave_net_timeout = 2", "START SLAVE IO_THREAD"} {
			if err := s.c.Exec(s.ctx, i, q); err != nil {
				s.t.Fatal(err)
			}
		}
	}
	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Rows: 1_000_000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		s.t.Fatal(err)
	}
	s.waitRows(1, rows)
	if err := s.c.HangMySQL(1); err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { s.c.ResumeMySQL(1) })
	return l.Wait().Acked
}

// TestFailoverHungMaster: a master whose mysqld hangs is not "alive
// because the port is open". Once the replicas lost it, it is dead; without
// shutdown_script the run refuses and says how to fence it; with one that
// kills mysqld (exit 10: SSH reachable, mysqld killed) the run fences it,
// saves its binlog and fails over without losing a commit.
func TestFailoverHungMaster(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 3})
	acked := s.hangUnderLoad(500)
	code, out := s.failoverText(s.c.ConfigPath(), "--confirm-wait", "20s")
	if code != exitMasterAlive || !strings.Contains(out, "mysqld sends no greeting: it is hung") || !strings.Contains(out, "Fence it first") ||
		strings.Contains(out, "is down!") || !strings.Contains(out, "is not confirmed dead") {
		t.Fatalf("without shutdown_script: exit %d, want %d with how to fence it:\n%s", code, exitMasterAlive, out)
	}
	fence := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) kill -9 `+itoa(s.c.MySQLPid(1))+`; exit 10;; esac; exit 0`)
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nshutdown_script="+fence)
	code, out = s.failoverText(conf, "--confirm-wait", "20s")
	if code != exitOK {
		t.Fatalf("with a fencing shutdown_script: exit %d\n%s", code, out)
	}
	if s.c.MySQLRunning(1) {
		t.Fatal("the hung mysqld was not fenced")
	}
	rep := s.reportIn(conf)
	nm := s.assertRecovered(rep, acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
}

// TestFailoverHungReplica: a replica whose mysqld hangs costs the run at
// most mysql_connect_timeout: with ignore_fail=1 the run goes on without
// it (exit 10), without it the run stops at once, nothing changed.
func TestFailoverHungReplica(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 3})
	acked := s.killUnderLoad(300, nil)
	s.waitApplied(2)
	if err := s.c.HangMySQL(3); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.c.ResumeMySQL(3) })
	t0 := time.Now()
	code, out := s.failoverText(s.c.ConfigPath())
	if code != exitAborted || !strings.Contains(out, "server3: unreachable over MySQL") || time.Since(t0) > 30*time.Second {
		t.Fatalf("without ignore_fail: exit %d after %s, want %d within the connect timeout:\n%s", code, time.Since(t0), exitAborted, out)
	}
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server3\]$`, "[server3]\nignore_fail=1")
	code, out = s.failoverText(conf)
	if code != exitPartial {
		t.Fatalf("with ignore_fail=1: exit %d, want %d\n%s", code, exitPartial, out)
	}
	rep := s.reportIn(conf)
	for _, p := range rep.Phases {
		if p.Name == "1 configuration check" && p.Duration > 15*time.Second {
			t.Errorf("phase 1 took %s with a hung replica; mysql_connect_timeout is 4s", p.Duration)
		}
	}
	s.assertRecovered(rep, acked, 2)
}

// TestFailoverMultiTier: server4 replicates from server3, which replicates
// from the master. MHA refuses such a topology unless multi_tier_slave=1,
// and then leaves the third tier alone: it follows server3, which the
// failover brings level with the new master.
func TestFailoverMultiTier(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 4, GTID: true})
	for _, q := range []string{"STOP SLAVE", "CHANGE MASTER TO MASTER_HOST='" + s.c.IP(3) + "', MASTER_USE_GTID=slave_pos", "START SLAVE"} {
		if err := s.c.Exec(s.ctx, 4, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.c.WaitSlaveRunning(s.ctx, 4); err != nil {
		t.Fatal(err)
	}
	acked := s.killUnderLoad(500, nil)
	code, out := s.failoverText(s.c.ConfigPath())
	if code != exitAborted || !strings.Contains(out, "server4: replicates from "+s.c.IP(3)) {
		t.Fatalf("without multi_tier_slave: exit %d, want %d naming server4's master:\n%s", code, exitAborted, out)
	}
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nmulti_tier_slave=1")
	code, out = s.failoverText(conf)
	if code != exitOK {
		t.Fatalf("with multi_tier_slave=1: exit %d\n%s", code, out)
	}
	rep := s.reportIn(conf)
	nm := s.assertRecovered(rep, acked, 2, 3)
	if st, _ := s.c.SlaveStatus(s.ctx, 4); st["Master_Host"] != s.c.IP(3) || st["Slave_SQL_Running"] != "Yes" {
		t.Fatalf("server4 no longer follows server3: %v", st)
	}
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.c.CompareChecksums(s.ctx, nm, 3, 4); err != nil {
		t.Fatalf("the third tier differs: %v", err)
	}
}

// TestFailoverBinlogServer: MHA's [binlogN] servers hold copies of the
// master's binlog. With the dead master's host unreachable, the events no
// replica received come from the binlog server; a binlog server that
// cannot provide them stops the run before the point of no return.
func TestFailoverBinlogServer(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 3})
	acked := s.killUnderLoad(300, func() {
		for _, i := range []int{2, 3} {
			if err := s.c.StopIOThread(s.ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		s.waitRows(1, 600) // 300 commits only in the master's binlog
	})
	if err := s.c.StopSSHD(1); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(s.c.Dir(), "binlogsrv-empty")
	full := filepath.Join(s.c.Dir(), "binlogsrv")
	work := filepath.Join(s.c.Dir(), "binlogsrv-work")
	for _, d := range []string{empty, full, work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	copyBinlogs(t, s.c.BinlogDir(1), full) // what a binlog server streamed
	block := func(dir string) string {
		return "\n[binlog1]\nhostname=" + s.c.IP(3) + "\nmaster_binlog_dir=" + dir + "\nremote_workdir=" + work + "\n"
	}
	bad := rewriteConf(t, s.c.ConfigPath(), `\z`, block(empty))
	code, out := s.failoverText(bad)
	if code != exitAborted || !strings.Contains(out, "no binlog server provided it") || !strings.Contains(out, "--ignore-binlog-server-error") {
		t.Fatalf("binlog server without the files: exit %d, want %d:\n%s", code, exitAborted, out)
	}
	good := rewriteConf(t, s.c.ConfigPath(), `\z`, block(full))
	code, out = s.failoverText(good)
	if code != exitOK || !strings.Contains(out, "saved from binlog server binlog1") {
		t.Fatalf("binlog server with the files: exit %d\n%s", code, out)
	}
	nm := s.assertRecovered(s.reportIn(good), acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
}

// copyBinlogs copies the binlog files of src into dst.
func copyBinlogs(t *testing.T, src, dst string) {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(src, "mysql-bin.*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, filepath.Base(f)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// holdFailoverLock takes MHA's failover lock on host i in a session of its
// own, as purge_relay_logs does while it purges, and returns that
// session's connection id and the function that lets the lock go.
func (s *scenario) holdFailoverLock(i int) (int64, func()) {
	s.t.Helper()
	db, err := s.c.DB(i)
	if err != nil {
		s.t.Fatal(err)
	}
	conn, err := db.Conn(s.ctx)
	if err != nil {
		s.t.Fatal(err)
	}
	var got, id int64
	if err := conn.QueryRowContext(s.ctx, "SELECT GET_LOCK('MHA_Master_High_Availability_Failover', 0), CONNECTION_ID()").Scan(&got, &id); err != nil || got != 1 {
		s.t.Fatalf("GET_LOCK on host %d: %d %v", i, got, err)
	}
	var once sync.Once
	release := func() {
		once.Do(func() {
			conn.ExecContext(s.ctx, "SELECT RELEASE_LOCK('MHA_Master_High_Availability_Failover')")
			conn.Close()
		})
	}
	s.t.Cleanup(release)
	return id, release
}

// lockHolder is the connection id holding MHA's failover lock on host i,
// or 0 when it is free.
func (s *scenario) lockHolder(i int) int64 {
	db, err := s.c.DB(i)
	if err != nil {
		return 0
	}
	var id sql.NullInt64
	if err := db.QueryRowContext(s.ctx, "SELECT IS_USED_LOCK('MHA_Master_High_Availability_Failover')").Scan(&id); err != nil {
		return 0
	}
	return id.Int64
}

// TestFailoverMHAFailoverLock: while purge_relay_logs (here a session
// holding MHA's failover lock) works on a replica, the run stops before
// anything changed (exit 9, naming the replica); a holder that lets go
// within the wait only delays it. The run holds the lock on every replica
// for its whole course and lets it go at the end.
func TestFailoverMHAFailoverLock(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSafety, Hosts: 3})
	acked := s.killUnderLoad(300, nil)
	s.waitApplied(2, 3)
	before := s.replicationState(2, 3)
	holder, release := s.holdFailoverLock(3)
	code, out := s.failoverText(s.c.ConfigPath())
	if code != exitGuard || !strings.Contains(out, "server3") || !strings.Contains(out, "purge_relay_logs") {
		t.Fatalf("exit %d, want %d naming server3 and purge_relay_logs:\n%s", code, exitGuard, out)
	}
	if after := s.replicationState(2, 3); after != before {
		t.Fatalf("cluster changed:\nbefore %s\nafter  %s", before, after)
	}

	// The holder lets go 2 s into the next run; meanwhile every replica's
	// lock holder is sampled.
	time.AfterFunc(2*time.Second, release)
	seen := map[int]bool{}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			for _, i := range []int{2, 3} {
				if id := s.lockHolder(i); id != 0 && id != holder {
					seen[i] = true
				}
			}
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	code, out = s.failoverText(s.c.ConfigPath())
	close(done)
	wg.Wait()
	if code != exitOK {
		t.Fatalf("after the holder let go: exit %d\n%s", code, out)
	}
	if !seen[2] || !seen[3] {
		t.Fatalf("the run's failover lock was seen on %v, want servers 2 and 3", seen)
	}
	rep := s.reportIn(s.c.ConfigPath())
	nm := s.assertRecovered(rep, acked, 2, 3)
	for _, i := range []int{2, 3} {
		if id := s.lockHolder(i); id != 0 {
			t.Errorf("host %d: the failover lock is still held by connection %d after the run", i, id)
		}
	}
	s.assertOneWritable(nm, 2, 3)
}
