package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhago/mhago/monitor"
)

// mhaExit carries an exit code from MHA's own tables (the status codes of
// masterha_check_status, masterha_stop's 0/1, masterha_secondary_check's
// 0/2/3) past exitCode's table, whose numbers mean other things.
type mhaExit struct {
	code int
	err  error
}

func (e *mhaExit) Error() string { return e.err.Error() }
func (e *mhaExit) Unwrap() error { return e.err }

// mhaCode ends a command with code; the output already said why.
func mhaCode(code int, why string) error {
	return &reportedError{&mhaExit{code: code, err: errors.New(why)}}
}

// mhaFail ends a command with code, and main prints err.
func mhaFail(code int, err error) error { return &mhaExit{code: code, err: err} }

// isMonitorCmdline tells whether a process's argv is an mhago monitor of
// app (the config file's base name without extension): `mhago ...
// monitor --conf F`, or MHA's `masterha_manager --conf=F` served by
// mhago. A pid read from a status file may have been reused by any
// process since; only one whose argv says it is that monitor may be
// signalled.
func isMonitorCmdline(argv []string, app string) bool {
	if len(argv) == 0 {
		return false
	}
	prog := filepath.Base(argv[0])
	isMonitor := prog == "masterha_manager"
	conf := ""
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case a == "monitor" && strings.HasPrefix(prog, "mhago"), a == "masterha_manager":
			isMonitor = true
		case (a == "--conf" || a == "-conf") && i+1 < len(argv):
			conf = argv[i+1]
			i++
		case strings.HasPrefix(a, "--conf="), strings.HasPrefix(a, "-conf="):
			_, conf, _ = strings.Cut(a, "=")
		}
	}
	return isMonitor && conf != "" && appName(conf) == app
}

// appName is MHA's application name of a config file: its base name
// without the extension.
func appName(conf string) string {
	base := filepath.Base(conf)
	if i := strings.LastIndex(base, "."); i > 0 {
		return base[:i]
	}
	return base
}

// procArgs reads a process's argv from /proc; nil when it is gone or a
// zombie (an empty cmdline).
func procArgs(pid int) []string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// pidAlive is kill(pid, 0): EPERM still means the process exists.
func pidAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// procView is what the status file's pid turned out to be.
type procView struct {
	Alive   bool // kill 0 found it
	Monitor bool // its argv is a monitor of this app
}

func viewProc(pid int, app string) procView {
	return procView{Alive: pidAlive(pid), Monitor: isMonitorCmdline(procArgs(pid), app)}
}

// judgeStatus is masterha_check_status's verdict: no file, or a pid that
// is gone or is not this app's monitor (a file left by a killed monitor,
// its pid reused), is NOT_RUNNING; PING_OK in a file not touched within
// limit is TIMESTAMP_OLD (the monitor hangs); else the file's status.
func judgeStatus(f *monitor.HealthFile, p procView, age, limit time.Duration) monitor.Health {
	switch {
	case f == nil, !p.Alive, !p.Monitor:
		return monitor.HealthNotRunning
	case f.Health == monitor.HealthPingOK && age > limit:
		return monitor.HealthTimestampOld
	}
	return f.Health
}

// readHealth reads the status file; nil, nil when there is none.
func readHealth(path string) (*monitor.HealthFile, time.Duration, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("read the status file %s: %w (fix: run as the monitor's user)", path, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, 0, nil // removed in between: the monitor stopped
	}
	f, err := monitor.ParseHealthFile(b)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w (fix: remove it if no monitor runs)", path, err)
	}
	return &f, time.Since(fi.ModTime()), nil
}
