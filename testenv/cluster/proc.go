package cluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Proc identifies a process this package started. Start is the process
// start time from /proc, so a recycled pid is never mistaken for ours.
type Proc struct {
	Pid   int    `json:"pid"`
	Start uint64 `json:"start"`
}

// spawn starts argv detached into its own process group with stdout and
// stderr appended to logPath, so it outlives a CLI `up`. In a long-lived
// process (tests) a goroutine reaps it to avoid zombies.
func spawn(logPath string, argv []string) (Proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return Proc{}, fmt.Errorf("open log %s: %w", logPath, err)
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	go func() { _ = cmd.Wait() }()
	info, err := procStat(cmd.Process.Pid)
	if err != nil {
		return Proc{}, fmt.Errorf("start %s: %w", argv[0], err)
	}
	return Proc{Pid: cmd.Process.Pid, Start: info.start}, nil
}

// procInfo is what Alive needs from /proc/pid/stat.
type procInfo struct {
	start   uint64
	state   byte
	threads int
}

func procStat(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	// comm (field 2) may contain spaces; fields after the last ')' are fixed.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return procInfo{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(f))
	}
	start, err1 := strconv.ParseUint(f[19], 10, 64)
	threads, err2 := strconv.Atoi(f[17])
	if err := errors.Join(err1, err2); err != nil {
		return procInfo{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, err)
	}
	return procInfo{start: start, state: f[0][0], threads: threads}, nil
}

// Alive reports whether the process still runs. A zombie counts as dead
// only once its last thread is gone: a killed multi-threaded mariadbd shows
// a zombie leader while other threads still hold its listening socket.
func (p Proc) Alive() bool {
	if p.Pid <= 0 {
		return false
	}
	info, err := procStat(p.Pid)
	if err != nil || info.start != p.Start {
		return false
	}
	zombie := info.state == 'Z' || info.state == 'X'
	return !zombie || info.threads > 1
}

func (p Proc) signal(sig syscall.Signal) error {
	if !p.Alive() {
		return nil
	}
	err := syscall.Kill(p.Pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// stopProcs sends SIGTERM to every live process, waits up to grace, then
// SIGKILLs what is left and waits for it to go.
func stopProcs(grace time.Duration, procs ...Proc) error {
	for _, p := range procs {
		_ = p.signal(syscall.SIGTERM)
		// A paused (SIGSTOPped) process acts on SIGTERM only once continued.
		_ = p.signal(syscall.SIGCONT)
	}
	if waitDead(grace, procs...) {
		return nil
	}
	for _, p := range procs {
		_ = p.signal(syscall.SIGKILL)
	}
	if waitDead(5*time.Second, procs...) {
		return nil
	}
	return fmt.Errorf("processes still alive after SIGKILL: %v", alivePids(procs))
}

func killProc(p Proc) error {
	if err := p.signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill pid %d: %w", p.Pid, err)
	}
	if !waitDead(5*time.Second, p) {
		return fmt.Errorf("pid %d alive after SIGKILL", p.Pid)
	}
	return nil
}

func waitDead(d time.Duration, procs ...Proc) bool {
	deadline := time.Now().Add(d)
	for {
		if len(alivePids(procs)) == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func alivePids(procs []Proc) []int {
	var pids []int
	for _, p := range procs {
		if p.Alive() {
			pids = append(pids, p.Pid)
		}
	}
	return pids
}

// tcpOpen reports whether something accepts connections on addr.
func tcpOpen(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 300*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// logTail returns the last n lines of a log file, for error messages.
func logTail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(cannot read %s: %v)", path, err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// processError names what failed and where its log is, with the log's tail.
func processError(what, logPath string, err error) error {
	return fmt.Errorf("%s: %w (log %s, last lines:\n%s)", what, err, logPath, logTail(logPath, 15))
}

// waitFor polls ready every 100ms until it returns nil, the process dies,
// or timeout passes.
func waitFor(p Proc, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if !p.Alive() {
			return fmt.Errorf("process %d exited before ready (last probe: %v)", p.Pid, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %s: %w", timeout, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// parallel runs f(1..n) concurrently and joins the errors.
func parallel(n int, f func(i int) error) error {
	errs := make([]error, n)
	done := make(chan struct{})
	for i := 1; i <= n; i++ {
		go func() {
			errs[i-1] = f(i)
			done <- struct{}{}
		}()
	}
	for range n {
		<-done
	}
	return errors.Join(errs...)
}

// findBinary looks in PATH and then in the sbin dirs a non-login PATH lacks.
func findBinary(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, d := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/usr/local/sbin"} {
		p := d + "/" + name
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("binary %s not found in PATH or sbin dirs", name)
}
