package main

import (
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/monitor"
)

const statusCodesHelp = `EXIT STATUS (MHA's masterha_check_status codes):
   0    PING_OK: the monitor runs and its last ping of the master succeeded
   1    error (the config or the status file cannot be read)
   2    NOT_RUNNING: no monitor runs for this config (no status file, or its pid is gone)
   3    PARTIALLY_RUNNING: MHA's code for orphaned children; never reported by mhago
   10   INITIALIZING_MONITOR: started, the master not found yet
   20   PING_FAILING: pings of the master fail, not yet confirmed dead
   21   PING_FAILED: the master is confirmed dead, the failover is about to start
   30   RETRYING_MONITOR: a failover was refused or lost to another manager; monitoring again
   31   CONFIG_ERROR: the monitor is exiting on an error (see manager_log)
   32   TIMESTAMP_OLD: PING_OK, but the file was not touched within --ping-limit: the monitor hangs
   50   FAILOVER_RUNNING: the master is down and this monitor fails it over
   51   FAILOVER_ERROR: the failover failed; the monitor is exiting (see manager_log and the report)`

func statusCommand() *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "is the monitor of this config running, and how is its master (MHA's masterha_check_status)",
		Description: `Reads <manager_workdir>/<app>.master_status.health, the status file mhago monitor
keeps in MHA's format, checks that its pid is a running monitor of this config,
and exits with MHA's status code. Reads no database.

Example:
   mhago status --conf /etc/mha/app1.cnf
   mhago status --conf /etc/mha/app1.cnf --json | jq .status

` + statusCodesHelp,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "conf", Usage: "the cluster's MHA app.cnf (`FILE`)"},
			&cli.StringFlag{Name: "global-conf", Usage: "optional global defaults (`FILE`), like MHA's /etc/masterha_default.cnf"},
			&cli.BoolFlag{Name: "json", Usage: "machine-readable output on stdout"},
			&cli.DurationFlag{Name: "ping-limit", Usage: "PING_OK older than this is TIMESTAMP_OLD (default: 10s as MHA, or 2 × ping_interval when longer)"},
		},
		Action:       runStatus,
		OnUsageError: mhaUsageError,
	}
}

// mhaUsageError keeps flag mistakes of the MHA-coded commands at exit 1:
// their 2 means NOT_RUNNING.
func mhaUsageError(_ *cli.Context, err error, _ bool) error {
	return mhaFail(1, fmt.Errorf("%w: %w", errUsage, err))
}

// appStatus is what status and stop learned about a config's monitor.
type appStatus struct {
	App, File, Log string // File: the status file
	Health         monitor.Health
	Pid            int
	Master         string
	Age            time.Duration // since the file was last written or touched
}

// loadStatus reads the config's status file and judges it.
func loadStatus(c *cli.Context) (*config.Config, appStatus, error) {
	cfg, err := loadConfig(c)
	if cfg == nil || cfg.ManagerWorkdir == "" {
		if err == nil {
			err = fmt.Errorf("%s sets no manager_workdir", c.String("conf"))
		}
		return nil, appStatus{}, mhaFail(1, err)
	}
	st := appStatus{App: cfg.App, File: monitor.HealthFilePath(cfg.ManagerWorkdir, cfg.App), Log: cfg.ManagerLog}
	f, age, err := readHealth(st.File)
	if err != nil {
		return nil, appStatus{}, mhaFail(1, err)
	}
	st.Age = age
	var proc procView
	if f != nil {
		st.Pid, st.Master = f.Pid, f.Master
		proc = viewProc(f.Pid, cfg.App)
	}
	limit := c.Duration("ping-limit")
	if limit <= 0 {
		limit = max(10*time.Second, 2*cfg.PingInterval)
	}
	st.Health = judgeStatus(f, proc, age, limit)
	return cfg, st, nil
}

func runStatus(c *cli.Context) error {
	_, st, err := loadStatus(c)
	if err != nil && c.Bool("json") {
		// One document per invocation, errors included.
		if werr := writeJSON(c.App.Writer, map[string]any{"exit_code": 1, "status": "error", "error": err.Error()}); werr == nil {
			return &reportedError{err}
		}
	}
	if err != nil {
		return err
	}
	if c.Bool("json") {
		doc := map[string]any{"exit_code": int(st.Health), "status": strings.ToLower(st.Health.Name()), "app": st.App,
			"status_file": st.File, "pid": st.Pid, "master": st.Master}
		if st.Health == monitor.HealthNotRunning {
			doc["pid"], doc["master"] = 0, ""
		}
		if err := writeJSON(c.App.Writer, doc); err != nil {
			return mhaFail(1, err)
		}
	} else {
		fmt.Fprintln(c.App.Writer, statusLine(st))
	}
	return statusExit(st.Health)
}

func statusExit(h monitor.Health) error {
	if h == monitor.HealthPingOK {
		return nil
	}
	return mhaCode(int(h), h.String())
}

// statusLine says the status in a line, as masterha_check_status does
// (scripts grep "is running(0:PING_OK)").
func statusLine(st appStatus) string {
	h := st.Health
	master := ""
	if st.Master != "" {
		master = ", master:" + st.Master
	}
	see := ""
	if st.Log != "" {
		see = " (see " + st.Log + ")"
	}
	switch h {
	case monitor.HealthPingOK:
		return fmt.Sprintf("%s (pid:%d) is running(%s)%s", st.App, st.Pid, h, master)
	case monitor.HealthNotRunning:
		return fmt.Sprintf("%s is stopped(%s).", st.App, h)
	case monitor.HealthInitializingMonitor:
		return fmt.Sprintf("%s (pid:%d) is starting: the master is not found yet(%s). Check again in a while.", st.App, st.Pid, h)
	case monitor.HealthPingFailing, monitor.HealthPingFailed:
		return fmt.Sprintf("%s (pid:%d) master maybe down(%s)%s%s", st.App, st.Pid, h, master, see)
	case monitor.HealthRetryingMonitor:
		return fmt.Sprintf("%s (pid:%d) is looking for the master again after a failover attempt(%s)%s", st.App, st.Pid, h, master)
	case monitor.HealthTimestampOld:
		return fmt.Sprintf("%s (pid:%d) is running, but %s was not updated for %s: the monitor may hang(%s)%s",
			st.App, st.Pid, st.File, st.Age.Round(time.Second), h, master)
	case monitor.HealthFailoverRunning:
		return fmt.Sprintf("%s (pid:%d) master is down and failover is running(%s)%s%s", st.App, st.Pid, h, master, see)
	case monitor.HealthFailoverError:
		return fmt.Sprintf("%s (pid:%d) master is down and the failover failed(%s)%s%s", st.App, st.Pid, h, master, see)
	}
	return fmt.Sprintf("%s (pid:%d) monitor is exiting on an error(%s)%s", st.App, st.Pid, h, see)
}

func stopCommand() *cli.Command {
	return &cli.Command{
		Name:  "stop",
		Usage: "stop the monitor of this config (MHA's masterha_stop)",
		Description: `Sends SIGTERM to the monitor named in its status file, once /proc shows that
pid is an mhago monitor of this config, and waits up to --abort-timeout for it
to exit. While a failover runs it refuses, unless --abort: the monitor lets the
failover finish before it exits, so --abort then sends SIGKILL after the
timeout (after the point of no return, finish the run with failover --resume).

Example:
   mhago stop --conf /etc/mha/app1.cnf

EXIT STATUS:
   0    stopped, or not running
   1    not stopped: a failover runs (no --abort), the monitor did not exit in
        time, or the config or status file cannot be read`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "conf", Usage: "the cluster's MHA app.cnf (`FILE`)"},
			&cli.StringFlag{Name: "global-conf", Usage: "optional global defaults (`FILE`), like MHA's /etc/masterha_default.cnf"},
			&cli.BoolFlag{Name: "abort", Usage: "stop even while a failover runs: SIGKILL when SIGTERM did not end it within --abort-timeout"},
			&cli.DurationFlag{Name: "abort-timeout", Value: 5 * time.Second, Usage: "how long to wait for the monitor to exit"},
		},
		Action:       runStop,
		OnUsageError: mhaUsageError,
	}
}

func runStop(c *cli.Context) error {
	_, st, err := loadStatus(c)
	if err != nil {
		return err
	}
	w := c.App.Writer
	switch {
	case st.Health == monitor.HealthNotRunning:
		fmt.Fprintf(w, "%s is not running(%s).\n", st.App, st.Health)
		return nil
	case st.Health == monitor.HealthFailoverRunning && !c.Bool("abort"):
		fmt.Fprintf(w, "%s (pid:%d) is failing the master over: not stopping it (wait for the failover to end, or use --abort).\n", st.App, st.Pid)
		return mhaCode(1, "failover running")
	}
	timeout := c.Duration("abort-timeout")
	if err := syscall.Kill(st.Pid, syscall.SIGTERM); err != nil {
		return mhaFail(1, fmt.Errorf("stop %s: SIGTERM to pid %d: %w (fix: run as the monitor's user)", st.App, st.Pid, err))
	}
	if waitGone(st.Pid, st.App, timeout) {
		fmt.Fprintf(w, "Stopped %s (pid:%d).\n", st.App, st.Pid)
		return nil
	}
	if !c.Bool("abort") {
		fmt.Fprintf(w, "%s (pid:%d) did not stop within %s.\n", st.App, st.Pid, timeout)
		return mhaCode(1, "not stopped")
	}
	// Checked again: the pid must still be this app's monitor.
	if isMonitorCmdline(procArgs(st.Pid), st.App) {
		if err := syscall.Kill(st.Pid, syscall.SIGKILL); err != nil {
			return mhaFail(1, fmt.Errorf("stop %s: SIGKILL to pid %d: %w", st.App, st.Pid, err))
		}
	}
	if waitGone(st.Pid, st.App, 2*time.Second) {
		fmt.Fprintf(w, "Killed %s (pid:%d) after %s (the status file %s is left behind).\n", st.App, st.Pid, timeout, st.File)
		return nil
	}
	fmt.Fprintf(w, "%s (pid:%d) did not stop, even with SIGKILL.\n", st.App, st.Pid)
	return mhaCode(1, "not stopped")
}

// waitGone polls until pid no longer runs as this app's monitor (a
// zombie its parent has not reaped yet counts as gone), at most d.
func waitGone(pid int, app string, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if !pidAlive(pid) || !isMonitorCmdline(procArgs(pid), app) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
