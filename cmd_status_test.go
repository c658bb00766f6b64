package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/monitor"
)

func TestIsMonitorCmdline(t *testing.T) {
	tests := []struct {
		argv []string
		want bool
	}{
		{[]string{"/usr/bin/mhago", "monitor", "--conf", "/etc/mha/app1.cnf"}, true},
		{[]string{"mhago", "--log-level", "info", "monitor", "--conf=/etc/mha/app1.cnf", "--exit-after-failover"}, true},
		{[]string{"/usr/local/bin/masterha_manager", "--conf=/etc/mha/app1.cnf", "--remove_dead_master_conf"}, true},
		{[]string{"mhago", "masterha", "masterha_manager", "--conf=/etc/app1.cnf"}, true},
		{[]string{"mhago", "monitor", "--conf", "/etc/mha/app2.cnf"}, false}, // another app
		{[]string{"mhago", "check", "--conf", "/etc/mha/app1.cnf"}, false},
		{[]string{"mhago", "status", "--conf", "/etc/mha/app1.cnf"}, false},
		// MHA's own (Perl) manager is not mhago's to signal.
		{[]string{"/usr/bin/perl", "/usr/bin/masterha_manager", "--conf=/etc/mha/app1.cnf"}, false},
		{[]string{"vim", "monitor", "--conf", "/etc/mha/app1.cnf"}, false},
		{[]string{"mhago", "monitor"}, false}, // no conf: cannot be told apart
		{[]string{"mhago", "monitor", "--conf"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := isMonitorCmdline(tt.argv, "app1"); got != tt.want {
			t.Errorf("isMonitorCmdline(%q) = %v, want %v", tt.argv, got, tt.want)
		}
	}
}

func TestAppName(t *testing.T) {
	for in, want := range map[string]string{"/etc/mha/app1.cnf": "app1", "app1": "app1", "/x/app.v2.cnf": "app.v2", "/x/.hidden": ".hidden"} {
		if got := appName(in); got != want {
			t.Errorf("appName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestJudgeStatus(t *testing.T) {
	ok := &monitor.HealthFile{Pid: 100, Health: monitor.HealthPingOK, Master: "db1"}
	failing := &monitor.HealthFile{Pid: 100, Health: monitor.HealthPingFailing, Master: "db1"}
	running := procView{Alive: true, Monitor: true}
	tests := []struct {
		name string
		f    *monitor.HealthFile
		p    procView
		age  time.Duration
		want monitor.Health
	}{
		{"no file", nil, procView{}, 0, monitor.HealthNotRunning},
		{"pid gone", ok, procView{}, 0, monitor.HealthNotRunning},
		{"pid reused by another program", ok, procView{Alive: true}, 0, monitor.HealthNotRunning},
		{"fresh ping ok", ok, running, 3 * time.Second, monitor.HealthPingOK},
		{"ping ok too old", ok, running, 11 * time.Second, monitor.HealthTimestampOld},
		{"failing is never too old", failing, running, time.Hour, monitor.HealthPingFailing},
	}
	for _, tt := range tests {
		if got := judgeStatus(tt.f, tt.p, tt.age, 10*time.Second); got != tt.want {
			t.Errorf("%s: judgeStatus = %s, want %s", tt.name, got, tt.want)
		}
	}
}

// TestProcChecks runs against real processes: this test's own (not a
// monitor) and a pid that does not exist.
func TestProcChecks(t *testing.T) {
	self := os.Getpid()
	if !pidAlive(self) {
		t.Error("pidAlive(self) = false")
	}
	if args := procArgs(self); len(args) == 0 || !strings.Contains(args[0], ".test") {
		t.Errorf("procArgs(self) = %q", args)
	}
	if v := viewProc(self, "app1"); v != (procView{Alive: true}) {
		t.Errorf("viewProc(self) = %+v, want alive and not a monitor", v)
	}
	const gone = 1 << 30 // above pid_max
	if pidAlive(gone) || procArgs(gone) != nil {
		t.Error("a pid that does not exist looks alive")
	}
}

// TestStatusNoMonitor: status and stop of a config whose monitor does not
// run, and of one whose status file names a process that is no monitor.
func TestStatusNoMonitor(t *testing.T) {
	dir := t.TempDir()
	conf := writeStatusConf(t, dir)
	code, out, _ := runCLI(t, "status", "--conf", conf)
	if code != int(monitor.HealthNotRunning) || !strings.Contains(out, "app1 is stopped(2:NOT_RUNNING)") {
		t.Errorf("status without a file: exit %d, %q", code, out)
	}
	// A file left behind whose pid is now this test process.
	f := monitor.HealthFile{Pid: os.Getpid(), Health: monitor.HealthPingOK, Master: "127.0.0.1"}
	if err := os.WriteFile(monitor.HealthFilePath(dir, "app1"), f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runCLI(t, "status", "--conf", conf, "--json")
	if code != 2 || !strings.Contains(out, `"status": "not_running"`) || !strings.Contains(out, `"exit_code": 2`) {
		t.Errorf("status with a stale file: exit %d, %s", code, out)
	}
	code, out, _ = runCLI(t, "stop", "--conf", conf)
	if code != 0 || !strings.Contains(out, "not running") {
		t.Errorf("stop of a stale file: exit %d, %q", code, out)
	}
	if code, _, _ := runCLI(t, "status", "--conf", filepath.Join(dir, "missing.cnf")); code != 1 {
		t.Errorf("status of a missing config: exit %d, want 1", code)
	}
	code, out, _ = runCLI(t, "status", "--conf", filepath.Join(dir, "missing.cnf"), "--json")
	if code != 1 || !strings.Contains(out, `"status": "error"`) || !strings.Contains(out, `"exit_code": 1`) {
		t.Errorf("status --json of a missing config: exit %d, %s", code, out)
	}
	if code, _, _ := runCLI(t, "status", "--conf", conf, "--no-such-flag"); code != 1 {
		t.Errorf("status with a bad flag: exit %d, want 1 (2 is NOT_RUNNING)", code)
	}
}

func TestMHAExitCode(t *testing.T) {
	if got := exitCode(mhaCode(21, "x")); got != 21 {
		t.Errorf("exitCode(mhaCode(21)) = %d", got)
	}
	if got := exitCode(mhaFail(1, errors.Join(errUsage, errors.New("bad")))); got != 1 {
		t.Errorf("an MHA-coded usage error = %d, want 1", got)
	}
	if !errors.Is(mhaCode(3, "x"), errReported) {
		t.Error("mhaCode is not reported: main would print it again")
	}
}

func TestWithoutSSHCheck(t *testing.T) {
	cfg, err := config.Load(writeStatusConf(t, t.TempDir()), config.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	skipped := withoutSSHCheck(cfg)
	for i := range cfg.Servers {
		if !skipped.Servers[i].SkipInitSSHCheck || cfg.Servers[i].SkipInitSSHCheck {
			t.Errorf("server %s: skipped copy %v, original %v", cfg.Servers[i].Block, skipped.Servers[i].SkipInitSSHCheck, cfg.Servers[i].SkipInitSSHCheck)
		}
	}
}

// writeStatusConf writes a two-server app1.cnf whose manager_workdir is dir.
func writeStatusConf(t *testing.T, dir string) string {
	t.Helper()
	conf := filepath.Join(dir, "app1.cnf")
	text := "[server default]\nuser=mhago\npassword=x\nmanager_workdir=" + dir + "\nssh_user=root\n\n[server1]\nhostname=127.0.0.1\n\n[server2]\nhostname=127.0.0.2\n"
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return conf
}

// fakeMonitor starts a shell whose argv reads as `mhago ... monitor
// --conf conf` and that ignores SIGTERM when stubborn: a stand-in with
// the process-level behaviour stop acts on. It returns once the shell
// has set its trap (it touches a file then): its argv is there from the
// exec on, the trap only when the shell has read its script.
func fakeMonitor(t *testing.T, conf string, stubborn bool) *exec.Cmd {
	t.Helper()
	ready := filepath.Join(t.TempDir(), "ready")
	script := `: > "$FAKE_MONITOR_READY"; while :; do sleep 0.1; done`
	if stubborn {
		script = `trap "" TERM; ` + script
	}
	cmd := &exec.Cmd{Path: "/bin/sh", Args: []string{"mhago", "-c", script, "monitor", "--conf", conf},
		Env: append(os.Environ(), "FAKE_MONITOR_READY="+ready)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill() // this test's own child only
		<-done
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		_, err := os.Stat(ready)
		if err == nil && isMonitorCmdline(procArgs(cmd.Process.Pid), appName(conf)) {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("fake monitor not ready (%v), argv: %q", err, procArgs(cmd.Process.Pid))
		}
	}
}

func writeHealth(t *testing.T, dir string, f monitor.HealthFile, age time.Duration) {
	t.Helper()
	path := monitor.HealthFilePath(dir, "app1")
	if err := os.WriteFile(path, f.Marshal(), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// TestStatusAndStopOfAProcess: status reports what the file of a live
// monitor says (TIMESTAMP_OLD for a PING_OK not touched in time); stop
// refuses during a failover without --abort, fails on a monitor that
// ignores SIGTERM, and kills it with --abort.
func TestStatusAndStopOfAProcess(t *testing.T) {
	dir := t.TempDir()
	conf := writeStatusConf(t, dir)
	p := fakeMonitor(t, conf, true)
	pid := p.Process.Pid

	writeHealth(t, dir, monitor.HealthFile{Pid: pid, Health: monitor.HealthPingOK, Master: "127.0.0.1"}, 30*time.Second)
	code, out, _ := runCLI(t, "status", "--conf", conf)
	if code != int(monitor.HealthTimestampOld) || !strings.Contains(out, "32:TIMESTAMP_OLD") {
		t.Errorf("stale PING_OK: exit %d, %q", code, out)
	}
	if code, _, _ := runCLI(t, "status", "--conf", conf, "--ping-limit", "1m"); code != 0 {
		t.Errorf("PING_OK within --ping-limit: exit %d", code)
	}
	writeHealth(t, dir, monitor.HealthFile{Pid: pid, Health: monitor.HealthFailoverRunning, Master: "127.0.0.1"}, time.Minute)
	code, out, _ = runCLI(t, "status", "--conf", conf)
	if code != 50 || !strings.Contains(out, "failover is running(50:FAILOVER_RUNNING), master:127.0.0.1") {
		t.Errorf("failover running: exit %d, %q", code, out)
	}
	if code, out, _ := runCLI(t, "stop", "--conf", conf); code != 1 || !strings.Contains(out, "--abort") || !pidAlive(pid) {
		t.Errorf("stop during a failover: exit %d, %q, alive %v", code, out, pidAlive(pid))
	}
	writeHealth(t, dir, monitor.HealthFile{Pid: pid, Health: monitor.HealthPingFailing}, 0)
	if code, out, _ := runCLI(t, "stop", "--conf", conf, "--abort-timeout", "300ms"); code != 1 || !strings.Contains(out, "did not stop") {
		t.Errorf("stop of a monitor that ignores SIGTERM: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "stop", "--conf", conf, "--abort", "--abort-timeout", "300ms")
	if code != 0 || !strings.Contains(out, "Killed app1") || isMonitorCmdline(procArgs(pid), "app1") {
		t.Errorf("stop --abort: exit %d, %q", code, out)
	}
}

// TestStopSignalsOnlyAMonitor: a status file whose pid is another
// program (here this test) is not signalled: it is NOT_RUNNING.
func TestStopSignalsOnlyAMonitor(t *testing.T) {
	dir := t.TempDir()
	conf := writeStatusConf(t, dir)
	other := fakeMonitor(t, filepath.Join(dir, "app2.cnf"), false) // a monitor of another app
	writeHealth(t, dir, monitor.HealthFile{Pid: other.Process.Pid, Health: monitor.HealthPingOK}, 0)
	if code, out, _ := runCLI(t, "stop", "--conf", conf); code != 0 || !strings.Contains(out, "not running") {
		t.Errorf("stop: exit %d, %q", code, out)
	}
	if !pidAlive(other.Process.Pid) || !isMonitorCmdline(procArgs(other.Process.Pid), "app2") {
		t.Error("stop signalled the monitor of another app")
	}
}

// TestMonitorRefusesASecond: a monitor whose status file names a live
// monitor of the same config does not start (exit 11), and leaves the
// file alone.
func TestMonitorRefusesASecond(t *testing.T) {
	dir := t.TempDir()
	conf := writeStatusConf(t, dir)
	first := fakeMonitor(t, conf, false)
	f := monitor.HealthFile{Pid: first.Process.Pid, Health: monitor.HealthPingOK, Master: "127.0.0.1"}
	writeHealth(t, dir, f, 0)
	code, _, errOut := runCLI(t, "monitor", "--conf", conf)
	if code != exitLocked || !strings.Contains(errOut, fmt.Sprintf("pid %d", first.Process.Pid)) {
		t.Errorf("second monitor: exit %d, %q", code, errOut)
	}
	if b, _ := os.ReadFile(monitor.HealthFilePath(dir, "app1")); string(b) != string(f.Marshal()) {
		t.Errorf("the first monitor's status file was changed: %q", b)
	}
}

// TestFinishHealth: an error exit shows CONFIG_ERROR (or keeps the
// monitor's FAILOVER_ERROR) for --wait-on-monitor-error, then removes
// the file; a clean exit removes it at once.
func TestFinishHealth(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		before monitor.Stage
		err    error
		wait   time.Duration
		during monitor.Health
	}{
		{monitor.StageWatching, errors.New("stale config"), 400 * time.Millisecond, monitor.HealthConfigError},
		{monitor.StageFailoverError, errors.New("after the point of no return"), 400 * time.Millisecond, monitor.HealthFailoverError},
		{monitor.StageWatching, nil, 0, monitor.HealthNotRunning},
	} {
		path := filepath.Join(t.TempDir(), "app1.master_status.health")
		w := monitor.NewHealthWriter(path, os.Getpid(), log)
		w.Set(tt.before, monitor.StateDead, "db1")
		done := make(chan struct{})
		start := time.Now()
		go func() { finishHealth(context.Background(), w, tt.err, tt.wait, log); close(done) }()
		if tt.wait > 0 {
			time.Sleep(tt.wait / 2)
			f, _, err := readHealth(path)
			if err != nil || f == nil || f.Health != tt.during || f.Master != "db1" {
				t.Errorf("%v: during the wait the file holds %+v, %v; want %s", tt.err, f, err, tt.during)
			}
		}
		<-done
		if took := time.Since(start); took < tt.wait {
			t.Errorf("%v: finished after %s, before the wait %s", tt.err, took, tt.wait)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("%v: file left after the exit: %v", tt.err, err)
		}
	}
}
