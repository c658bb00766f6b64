package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// The tests of this file start their clusters at these bases, one at a
// time (the package's tests run in sequence).
const (
	baseKill   = 186 // 3 hosts: 186..189
	baseResume = 190 // 3 hosts: 190..193
	baseRefuse = 194 // 3 hosts: 194..197
)

// richKill kills the master under load with every kind of diff to apply:
// server3's SQL thread stopped early (its own relay log), then both IO
// threads stopped (the rest only in the dead master's binlog). extra rows
// are written after the IO threads stop.
func (s *scenario) richKill(extra int) []int64 {
	return s.killUnderLoad(300, func() {
		if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
			s.t.Fatal(err)
		}
		s.waitRows(1, 600)
		for _, i := range []int{2, 3} {
			if err := s.c.StopIOThread(s.ctx, i); err != nil {
				s.t.Fatal(err)
			}
		}
		s.waitRows(1, 600+extra)
	})
}

// failoverText runs failover in-process and returns its exit code and
// stdout (text report or refusal).
func (s *scenario) failoverText(conf string, args ...string) (int, string) {
	s.t.Helper()
	code, out, errOut := runCLI(s.t, append([]string{"failover", "--conf", conf}, args...)...)
	return code, out + errOut
}

// assertOneWritable requires exactly one surviving server to accept
// writes, and that it is the new master.
func (s *scenario) assertOneWritable(newMaster int, survivors ...int) {
	s.t.Helper()
	var writable []int
	for _, i := range survivors {
		db, err := s.c.DB(i)
		if err != nil {
			s.t.Fatal(err)
		}
		var ro int
		if err := db.QueryRow("SELECT @@global.read_only").Scan(&ro); err != nil {
			s.t.Fatal(err)
		}
		if ro == 0 {
			writable = append(writable, i)
		}
	}
	if !slices.Equal(writable, []int{newMaster}) {
		s.t.Fatalf("writable servers %v, want only the new master %d", writable, newMaster)
	}
}

// killedElection is the new master a killed run had chosen, from its
// journal (archived as resumed), or "" if it had not chosen one.
func killedElection(t *testing.T, dir string) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.journal.*."+journal.EndResumed))
	for _, f := range files {
		r, err := journal.Read(f)
		if err != nil {
			t.Fatal(err)
		}
		var e struct {
			NewMaster string `json:"new_master"`
		}
		if ok, _ := r.Decision("election", &e); ok {
			return e.NewMaster
		}
	}
	return ""
}

// TestFailoverKilledAtEachPhaseBoundary SIGKILLs mhago at the end of each
// phase. Before the lock nothing was recorded and a rerun simply fails
// over. After it, a rerun stops with exit 9 and prints both ways on;
// --resume then finishes: every acknowledged commit on the new master
// (the one the killed run chose, once it chose one), equal checksums, no
// duplicate, exactly one writable server.
func TestFailoverKilledAtEachPhaseBoundary(t *testing.T) {
	for _, tc := range []struct {
		phase      string
		unfinished bool
	}{
		{"1 dead master confirmation", false},
		{"lock", true},
		{"1 topology re-check", true},
		{"1 failover locks", true},
		{"agents", true},
		{"2 dead master shutdown", true},
		{"3.1 latest replicas", true},
		{"3.2 save dead master binlog", true},
		{"3.3 new master election", true},
		{"3.4 diff generation", true},
		{"3.4 diff distribution", true},
		{"3.4 readiness check", true},
		{"point of no return", true},
		{"3.5 new master apply", true},
		{"3.5 new master position", true},
		{"3.5 new master activation", true},
		{"3.5 new master writable", true},
		{"3.5 active-master record", true},
		{"4 replica recovery", true},
		{"5 new master cleanup", true},
		{"publish topology", true},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			s := newScenario(t, cluster.Options{Base: baseKill, Hosts: 3})
			hook := writeHook(t, s.c.Dir(), `echo "$*" >> `+s.c.Dir()+`/hook.log; exit 0`)
			conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nmaster_ip_failover_script="+hook)
			acked := s.richKill(200)
			code, _, _ := runFault(t, "kill@after:"+tc.phase, "failover", "--conf", conf)
			if code != -1 {
				t.Fatalf("mhago was not killed at the end of %q (exit %d)", tc.phase, code)
			}
			code, out := s.failoverText(conf)
			if !tc.unfinished {
				s.checkDone(conf, code, out, acked, "")
				s.assertActiveMaster(conf, "server1")
				return
			}
			if code != exitGuard || !strings.Contains(out, "--resume") || !strings.Contains(out, "--abandon") ||
				!strings.Contains(out, "did not finish") {
				t.Fatalf("rerun after the kill: exit %d, want %d naming --resume and --abandon:\n%s", code, exitGuard, out)
			}
			code, out = s.failoverText(conf, "--resume")
			s.checkDone(conf, code, out, acked, killedElection(t, s.c.ManagerDir()))
			s.assertActiveMaster(conf, "server1")
			if n := strings.Count(readFile(t, s.c.Dir()+"/hook.log"), "--command=start"); n != 1 {
				t.Errorf("master_ip_failover_script --command=start ran %d times, want once", n)
			}
		})
	}
}

// checkDone asserts a finished failover: exit 0, the new master the killed
// run chose (when it chose one), every promise kept, and no journal left
// unfinished.
func (s *scenario) checkDone(conf string, code int, out string, acked []int64, chosen string) {
	s.t.Helper()
	if code != exitOK {
		s.t.Fatalf("exit %d, want 0:\n%s", code, out)
	}
	rep := s.reportIn(conf)
	if chosen != "" && rep.NewMaster.Name != chosen {
		s.t.Fatalf("new master %s, but the killed run had chosen %s", rep.NewMaster.Name, chosen)
	}
	nm := s.assertRecovered(rep, acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
	if active, _ := journal.Active(s.c.ManagerDir(), s.clusterID()); len(active) != 0 {
		s.t.Fatalf("%d journals left unfinished", len(active))
	}
	s.assertNoAgentDirs(1, 2, 3)
}

// assertNoAgentDirs requires that no run left its agent directory (and
// diff files) behind on the hosts once the work is done.
func (s *scenario) assertNoAgentDirs(hosts ...int) {
	s.t.Helper()
	for _, i := range hosts {
		left, _ := filepath.Glob(filepath.Join(s.c.WorkDir(i), "mhago-2*"))
		if len(left) > 0 {
			s.t.Errorf("host %d keeps agent directories after the run finished: %v", i, left)
		}
	}
}

// lastReport reads the last failover report written for the cluster's
// own app.cnf.
func (s *scenario) lastReport() *report.Report { return s.reportIn(s.c.ConfigPath()) }

func (s *scenario) clusterID() string {
	cfg, err := config.Load(s.c.ConfigPath(), config.LoadOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	return cfg.ClusterID()
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

// bigKill leaves about rows transactions that only host target lacks, or
// (target 0) that only the dead master has, so that an apply lasts long
// enough to be cut in the middle.
func (s *scenario) bigKill(target, rows int) []int64 {
	return s.killUnderLoad(300, func() {
		stop := []int{target}
		if target == 0 {
			stop = []int{2, 3}
		}
		for _, i := range stop {
			if err := s.c.StopIOThread(s.ctx, i); err != nil {
				s.t.Fatal(err)
			}
		}
		s.waitRows(1, 300+rows)
	})
}

// TestFailoverKilledMidApplyResumes SIGKILLs mhago while an apply runs on
// a host: the apply goes on there without its manager. The resumed run
// finds it by its pid file, waits for it or stops it, never races it, and
// applies only what the server still lacks. The last case resumes from a
// second manager host: another config file and workdir, the journal read
// from Redis.
func TestFailoverKilledMidApplyResumes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		target int // host whose apply is cut; 0: the new master's
		host   string
		second bool
	}{
		{"new master", 0, "server2", false},
		{"replica", 3, "server3", false},
		{"new master, resumed from a second manager host", 0, "server2", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
			acked := s.bigKill(tc.target, 12000)
			conf := s.c.ConfigPath()
			code, _, _ := runFault(t, "kill@apply:"+tc.host+"+300ms", "failover", "--conf", conf)
			if code != -1 {
				t.Fatalf("mhago was not killed during the apply on %s (exit %d)", tc.host, code)
			}
			if tc.second {
				conf = s.secondManager()
			}
			if code, out := s.failoverText(conf); code != exitGuard || !strings.Contains(out, "apply on "+tc.host) {
				t.Fatalf("rerun: exit %d, want %d naming the unfinished apply on %s:\n%s", code, exitGuard, tc.host, out)
			}
			code, out := s.failoverText(conf, "--resume")
			if code != exitOK {
				t.Fatalf("resume: exit %d\n%s", code, out)
			}
			rep := s.reportIn(conf)
			nm := s.assertRecovered(rep, acked, 2, 3)
			s.assertOneWritable(nm, 2, 3)
			// Either the orphaned apply was still running (waited for or
			// stopped) or it had finished (everything skipped): never both
			// applying at once, never twice.
			seen := regexp.MustCompile(tc.host + `: ((waited for|stopped) an apply left running by run|\d+ transactions it already had were not applied again)`)
			if !seen.MatchString(strings.Join(rep.Notes, "\n")) {
				t.Errorf("the report does not say what became of the apply left running on %s: %v", tc.host, rep.Notes)
			}
			if tc.second {
				// The first manager's own unfinished journal is closed, not
				// offered for resumption again: the master is alive now.
				if code, out := s.failoverText(s.c.ConfigPath()); code != exitMasterAlive {
					t.Fatalf("first manager after the resume elsewhere: exit %d, want %d\n%s", code, exitMasterAlive, out)
				}
			}
		})
	}
}

// secondManager writes a second config file for the same cluster, as
// another manager host would have it: another name, another workdir.
func (s *scenario) secondManager() string {
	s.t.Helper()
	dir := filepath.Join(s.c.Dir(), "manager2")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.t.Fatal(err)
	}
	text := strings.ReplaceAll(readFile(s.t, s.c.ConfigPath()), "manager_workdir="+s.c.ManagerDir(), "manager_workdir="+dir)
	text = strings.ReplaceAll(text, "manager_log="+s.c.ManagerDir()+"/app.log", "manager_log="+dir+"/app.log")
	p := filepath.Join(s.c.Dir(), "app-if.cnf")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		s.t.Fatal(err)
	}
	return p
}

// reportIn reads the last report written by the manager of conf.
func (s *scenario) reportIn(conf string) *report.Report {
	s.t.Helper()
	cfg, err := config.Load(conf, config.LoadOptions{})
	if err != nil {
		s.t.Fatal(err)
	}
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(readFile(s.t, filepath.Join(cfg.ManagerWorkdir, cfg.App+".failover.last.json"))), rep); err != nil {
		s.t.Fatal(err)
	}
	return rep
}

// TestFailoverRerunAfterExit13AppliesNothingTwice: a run fails after its
// point of no return (a panic right after the new master's apply), the
// operator removes the error file and reruns the plain failover. With
// gtid_strict_mode off only mhago stands between the new master and a
// second copy of every transaction it already applied.
func TestFailoverRerunAfterExit13AppliesNothingTwice(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	acked := s.richKill(300)
	for _, i := range []int{2, 3} {
		if err := s.c.Exec(s.ctx, i, "SET GLOBAL gtid_strict_mode = 0"); err != nil {
			t.Fatal(err)
		}
	}
	conf := s.c.ConfigPath()
	code, _, _ := runFault(t, "panic@in:3.5 new master position", "failover", "--conf", conf)
	if code != exitAfterPONR {
		t.Fatalf("panic past the point of no return: exit %d, want %d", code, exitAfterPONR)
	}
	rep := s.lastReport()
	if rep.Outcome != report.OutcomeFailed || !strings.Contains(rep.Error, "panic") || rep.NewMaster == nil {
		t.Fatalf("report after the panic: outcome %s, error %q", rep.Outcome, rep.Error)
	}
	errFile := filepath.Join(s.c.ManagerDir(), s.clusterID()+".failover.error")
	if _, err := os.Stat(errFile); err != nil {
		t.Fatalf("no error file after exit 13: %v", err)
	}
	if _, err := os.Stat(filepath.Join(s.c.ManagerDir(), s.clusterID()+".failover.complete")); err == nil {
		t.Fatal("a complete file after exit 13")
	}
	if code, out := s.failoverText(conf); code != exitGuard || !strings.Contains(out, errFile) {
		t.Fatalf("rerun with the error file: exit %d\n%s", code, out)
	}
	if err := os.Remove(errFile); err != nil {
		t.Fatal(err)
	}
	code, out := s.failoverText(conf)
	if code != exitOK {
		t.Fatalf("rerun after removing the error file: exit %d\n%s", code, out)
	}
	rep = s.lastReport()
	nm := s.assertRecovered(rep, acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
	notes := strings.Join(rep.Notes, "\n")
	if !regexp.MustCompile(rep.NewMaster.Name + `: \d+ transactions it already had were not applied again`).MatchString(notes) {
		t.Fatalf("the rerun does not say it left out what %s already had:\n%s", rep.NewMaster.Name, notes)
	}
}

// TestFailoverPanicBeforePointOfNoReturn: a panic inside a phase is a
// failure with exit 1, the cluster is restored, and no guard file claims
// a completed failover.
func TestFailoverPanicBeforePointOfNoReturn(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	s.killUnderLoad(300, nil)
	s.waitApplied(2, 3)
	before := s.replicationState(2, 3)
	code, out, _ := runFault(t, "panic@in:3.3 new master election", "failover", "--conf", s.c.ConfigPath())
	if code != exitError || strings.Contains(out, "completed successfully") {
		t.Fatalf("exit %d, want %d and no success:\n%s", code, exitError, out)
	}
	rep := s.lastReport()
	if rep.Outcome != report.OutcomeAborted || !strings.Contains(rep.Error, `panic) in phase "3.3 new master election"`) {
		t.Fatalf("report: outcome %s, error %q", rep.Outcome, rep.Error)
	}
	for _, f := range []string{"complete", "error"} {
		if _, err := os.Stat(filepath.Join(s.c.ManagerDir(), s.clusterID()+".failover."+f)); err == nil {
			t.Errorf("a %s file after a panic before the point of no return", f)
		}
	}
	if after := s.replicationState(2, 3); after != before {
		t.Fatalf("cluster changed:\nbefore %s\nafter  %s", before, after)
	}
}

// TestFailoverRedisKilledMidRun kills Redis from the fencing hook, before
// the point of no return: the lock cannot be renewed, the run stops at
// once without reverting anything (another manager could hold the lock
// now), says so with exit 14, and leaves its journal for --abandon to
// restore from once Redis is back. A plain failover then succeeds.
func TestFailoverRedisKilledMidRun(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) kill -9 `+itoa(s.c.RedisPid())+`; sleep 8;; esac; exit 0`)
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nlock_ttl=3s\nmaster_ip_failover_script="+hook)
	acked := s.killUnderLoad(300, nil)
	t0 := time.Now()
	code, out := s.failoverText(conf)
	if code != exitAbortIncomplete || !strings.Contains(out, "lock") || !strings.Contains(out, "--abandon") {
		t.Fatalf("exit %d, want %d naming the lost lock and --abandon:\n%s", code, exitAbortIncomplete, out)
	}
	if d := time.Since(t0); d > 30*time.Second {
		t.Errorf("the lost lock stopped the run only after %s", d)
	}
	if st, _ := s.c.SlaveStatus(s.ctx, 2); st["Slave_IO_Running"] != "No" {
		t.Fatalf("server2's IO thread was restarted without the lock: %v", st["Slave_IO_Running"])
	}
	if err := s.c.StartRedis(); err != nil {
		t.Fatal(err)
	}
	if code, out := s.failoverText(conf); code != exitGuard {
		t.Fatalf("plain rerun: exit %d, want %d\n%s", code, exitGuard, out)
	}
	_, crep := checkJSON(t, conf)
	if f := findingOf(crep, "unfinished_run"); f == nil || !strings.Contains(f.Fix, "--abandon") {
		t.Fatalf("check does not report the unfinished run: %+v", crep.Findings)
	}
	code, out = s.failoverText(conf, "--abandon")
	if code != exitOK || !strings.Contains(out, "START SLAVE IO_THREAD on server2 (undo)") {
		t.Fatalf("abandon: exit %d\n%s", code, out)
	}
	noHook := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nlock_ttl=3s")
	if code, out := s.failoverText(noHook); code != exitOK {
		t.Fatalf("failover after the abandon: exit %d\n%s", code, out)
	}
	nm := s.assertRecovered(s.reportIn(noHook), acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
}

// TestFailoverRedisKilledAfterPointOfNoReturn: Redis dies while the new
// master is being activated. The run finishes what is safe to repeat; the
// topology it cannot publish is a warning, not a failure.
func TestFailoverRedisKilledAfterPointOfNoReturn(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=start*) kill -9 `+itoa(s.c.RedisPid())+`;; esac; exit 0`)
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nlock_ttl=3s\nmaster_ip_failover_script="+hook)
	acked := s.killUnderLoad(300, nil)
	code, out := s.failoverText(conf)
	if code != exitOK || !strings.Contains(out, "publish topology failed") {
		t.Fatalf("exit %d, want 0 with a warning about the topology:\n%s", code, out)
	}
	nm := s.assertRecovered(s.reportIn(conf), acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
}

// TestFailoverRefusedBeforePointOfNoReturn: what would break the recovery
// is found while the cluster can still be left as it was.
func TestFailoverRefusedBeforePointOfNoReturn(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseRefuse, Hosts: 3})
	acked := s.richKill(3000)
	s.waitApplied(2)
	before := s.replicationState(2, 3)
	work3 := s.c.WorkDir(3)
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string // returns the config to use
		code  int
		want  string
	}{
		{"wrong MySQL password", func(t *testing.T) string {
			return rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server3\]$`, "[server3]\npassword=not-the-password")
		}, exitLogin, "server3: mysql login refused"},
		{"wrong repl password", func(t *testing.T) string {
			return rewriteConf(t, s.c.ConfigPath(), `(?m)^repl_password_file=.*$`, "repl_password=not-the-password")
		}, exitAborted, `replication user "repl" cannot log in to server2`},
		{"full remote_workdir", func(t *testing.T) string {
			mountTmpfs(t, work3, "rw") // 16 MiB
			fill(t, work3, 11<<20+512<<10)
			return s.c.ConfigPath()
		}, exitAborted, "server3: its diffs need"},
		{"noexec remote_workdir", func(t *testing.T) string {
			mountTmpfs(t, work3, "noexec")
			return s.c.ConfigPath()
		}, exitAborted, "noexec"},
		{"unwritable manager_workdir", func(t *testing.T) string {
			file := filepath.Join(s.c.Dir(), "not-a-dir")
			os.WriteFile(file, nil, 0o600)
			return rewriteConf(t, s.c.ConfigPath(), `(?m)^manager_workdir=.*$`, "manager_workdir="+file+"/manager")
		}, exitEnvironment, "manager_workdir not writable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out := s.failoverText(tc.setup(t))
			if code != tc.code || !strings.Contains(out, tc.want) || strings.Contains(out, "Point of no return: passed") {
				t.Fatalf("exit %d, want %d with %q before the point of no return:\n%s", code, tc.code, tc.want, out)
			}
			if after := s.replicationState(2, 3); after != before {
				t.Fatalf("cluster changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	code, out := s.failoverText(s.c.ConfigPath())
	if code != exitOK {
		t.Fatalf("failover once the faults are gone: exit %d\n%s", code, out)
	}
	s.assertRecovered(s.lastReport(), acked, 2, 3)
}

// TestFailoverReplicaKilledMidApply: a replica's server dies while its
// diffs are replayed. That host fails within seconds with the client's own
// error line, not after phase_timeout; the others are recovered (exit 10).
func TestFailoverReplicaKilledMidApply(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	acked := s.bigKill(3, 12000)
	pidFile := filepath.Join(s.c.WorkDir(3), "mhago-apply-3306.pid")
	done := make(chan struct{})
	go func() {
		defer close(done)
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(pidFile); err == nil {
				time.Sleep(200 * time.Millisecond)
				s.c.KillMySQL(3)
				return
			}
		}
	}()
	code, out := s.failoverText(s.c.ConfigPath())
	<-done
	if code != exitPartial {
		t.Fatalf("exit %d, want %d\n%s", code, exitPartial, out)
	}
	rep := s.lastReport()
	h3 := rep.HostResult("server3", "", "")
	if h3.Status != report.HostFailed || !regexp.MustCompile(`ERROR 20\d\d \(HY000\)`).MatchString(h3.Error) || len(h3.Error) > 2000 {
		t.Fatalf("server3: status %s, error %q; want the client's ERROR 20xx line", h3.Status, h3.Error)
	}
	for _, p := range rep.Phases {
		if p.Name == "4 replica recovery" && p.Duration > 30*time.Second {
			t.Errorf("phase 4 took %s: the dead client was not noticed at once", p.Duration)
		}
	}
	nm := hostIndex(rep.NewMaster.Name)
	ids, _ := s.c.RowIDs(s.ctx, nm, "mhago_test.load")
	if missing := missingAcked(acked, ids); len(missing) > 0 {
		t.Fatalf("%d acknowledged commits missing on the new master", len(missing))
	}
}

// TestFailoverTwoConfigFilesOneLock: two manager hosts name their config
// files differently; they still contend for one lock.
func TestFailoverTwoConfigFilesOneLock(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseResume, Hosts: 3})
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) sleep 3;; esac; exit 0`)
	a := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nmaster_ip_failover_script="+hook)
	b := s.secondManager() // another file name, another workdir: only Redis is shared
	os.WriteFile(b, []byte(strings.Replace(readFile(t, b), "[server default]\n", "[server default]\nmaster_ip_failover_script="+hook+"\n", 1)), 0o600)
	// server1 stays in both files after it dies; ignore_fail lets a later
	// failover (of the new master) reach its guards.
	for _, conf := range []string{a, b} {
		os.WriteFile(conf, []byte(strings.Replace(readFile(t, conf), "[server1]\n", "[server1]\nignore_fail=1\n", 1)), 0o600)
	}
	_, ra := checkJSON(t, a)
	_, rb := checkJSON(t, b)
	if ra.Cluster == "" || ra.Cluster != rb.Cluster || ra.App == rb.App {
		t.Fatalf("check names clusters %q (%s) and %q (%s): want one cluster id for both files", ra.Cluster, ra.App, rb.Cluster, rb.App)
	}
	s.killUnderLoad(300, nil)
	codes := make([]int, 2)
	outs := make([]string, 2)
	done := make(chan int, 2)
	for i, conf := range []string{a, b} {
		go func() { codes[i], outs[i] = s.failoverText(conf); done <- i }()
	}
	<-done
	<-done
	winner := a
	if codes[1] == exitOK {
		winner = b
	}
	slices.Sort(codes)
	if codes[0] != exitOK || codes[1] != exitLocked {
		t.Fatalf("exit codes %v, want 0 and %d:\n%s\n%s", codes, exitLocked, outs[0], outs[1])
	}
	// The new master dies too, soon after: the other manager host has no
	// complete file of its own, yet the cluster's last-failover guard holds.
	if err := s.c.KillMySQL(hostIndex(s.reportIn(winner).NewMaster.Name)); err != nil {
		t.Fatal(err)
	}
	loser := b
	if winner == b {
		loser = a
	}
	if code, out := s.failoverText(loser, "--confirm-wait", "2s"); code != exitGuard || !strings.Contains(out, "recorded in Redis") {
		t.Fatalf("second failover from the other manager host: exit %d, want %d naming the last failover in Redis:\n%s", code, exitGuard, out)
	}
}

// fill writes n bytes into a file in dir.
func fill(t *testing.T, dir string, n int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, n), 0o600); err != nil {
		t.Fatal(err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// findingOf is the first finding of check name, or nil.
func findingOf(rep checks.Report, check string) *checks.Finding {
	for i, f := range rep.Findings {
		if f.Check == check {
			return &rep.Findings[i]
		}
	}
	return nil
}

const baseOwnApplier = 74 // 3 hosts: 75..77

// TestOwnApplierKilledThenResumed: mhago is SIGKILLed after the point of
// no return while server2's SQL thread, which the operator had stopped,
// executes its own relay log with the parallel workers mhago gave it.
// --resume waits for it, stops it and puts slave_parallel_threads back to
// what the journal recorded; nothing is lost or applied twice.
func TestOwnApplierKilledThenResumed(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseOwnApplier, Hosts: 3})
	if err := s.c.StopSQLThread(s.ctx, 2); err != nil {
		t.Fatal(err)
	}
	acked := s.killUnderLoad(15000, nil)
	cmd := exec.Command(faultBinary(t), "failover", "--conf", s.c.ConfigPath())
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	db, err := s.c.DB(2)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		st, _ := s.c.SlaveStatus(s.ctx, 2)
		if st["Slave_SQL_Running"] == "Yes" {
			cmd.Process.Kill()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("server2's SQL thread was never started:\n%s", out.String())
		}
	}
	cmd.Wait()
	var threads int
	if err := db.QueryRow("SELECT @@GLOBAL.slave_parallel_threads").Scan(&threads); err != nil || threads != phases.OwnApplierThreads {
		t.Fatalf("server2 slave_parallel_threads %d while its SQL thread caught up (%v), want %d", threads, err, phases.OwnApplierThreads)
	}
	code, text := s.failoverText(s.c.ConfigPath())
	if code != exitGuard || !strings.Contains(text, "--resume") {
		t.Fatalf("rerun after the kill: exit %d, want %d naming --resume:\n%s", code, exitGuard, text)
	}
	// The same binary as the killed run, hence the same agent.
	code, stdout, _ := runFault(t, "", "failover", "--conf", s.c.ConfigPath(), "--resume", "--json")
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(stdout), rep); err != nil || code != exitOK {
		t.Fatalf("--resume: exit %d: %v %s", code, err, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3)
	s.assertOwnApplier(rep, 2)
	// The killed run pushed the agent; the resumed one finds it cached.
	if notes := strings.Join(rep.Notes, "\n"); !strings.Contains(notes, "agent found in remote_workdir's cache (SHA-256 checked) on server2, server3") {
		t.Errorf("the resumed run does not say it found the agent cached: %v", rep.Notes)
	}
}
