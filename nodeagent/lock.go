package nodeagent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mhago/mhago/internal/atomicfile"
	"github.com/mhago/mhago/nodeagent/proto"
)

// An apply into the server on port P holds flock(LOCK_EX) on
// <LockDir>/mhago-apply-<P>.lock for its whole duration, and describes
// itself in <LockDir>/mhago-apply-<P>.pid. The decoder and the client
// inherit the locked descriptor, so the lock is held as long as any of them
// lives, even when the agent (or the manager that started it) has died: the
// next run then waits for that apply or stops it, and never races it.
const (
	lockPoll    = 150 * time.Millisecond
	minLockWait = 300 * time.Millisecond // rides out a status probe's brief shared lock
	stopWait    = 10 * time.Second       // for the lock once the holder was killed
)

func lockPaths(dir string, port int) (lock, pid string) {
	base := filepath.Join(dir, "mhago-apply-"+strconv.Itoa(port))
	return base + ".lock", base + ".pid"
}

// applyLock is the held lock and the pid file that describes its holder.
type applyLock struct {
	f       *os.File
	pidPath string
	info    proto.RunningApply
	waited  *proto.RunningApply // the holder found, waited for or stopped
	stopped bool
	stale   *proto.RunningApply // a pid file left by a holder that died mid-apply
	// settingsPath records the server settings this apply changed, or an
	// earlier one left changed (see settings.go).
	settingsPath string
}

// runningError is an earlier apply still at work: it holds the lock, or
// its server session still executes a statement.
type runningError struct{ msg string }

func (e *runningError) Error() string { return e.msg }

func holdsError(lock string, holder *proto.RunningApply, what string) error {
	return &runningError{fmt.Sprintf("another apply holds %s: %s; %s", lock, describe(holder), what)}
}

func describe(r *proto.RunningApply) string {
	if r == nil || r.RunID == "" && len(r.PIDs) == 0 {
		return "run unknown (no pid file)"
	}
	return fmt.Sprintf("run %s, pids %v, started %s", r.RunID, r.PIDs, r.Started)
}

// acquireApplyLock takes the lock, waiting for a holder up to
// WaitRunningMS and then, with StopRunning, killing it.
func acquireApplyLock(ctx context.Context, req proto.ApplyRequest, dir string) (*applyLock, error) {
	lockPath, pidPath := lockPaths(dir, req.Port)
	f, err := os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open apply lock %s: %w", lockPath, err)
	}
	if fi, err := f.Stat(); err != nil || checkOwn(lockPath, fi) != nil {
		f.Close()
		if err == nil {
			err = checkOwn(lockPath, fi)
		}
		return nil, fmt.Errorf("apply lock: %w", err)
	}
	lk := &applyLock{f: f, pidPath: pidPath, settingsPath: settingsPath(dir, req.Port)}
	if err := lk.wait(ctx, req, lockPath); err != nil {
		f.Close()
		return nil, err
	}
	lk.stale = readPidFile(pidPath)
	lk.info = proto.RunningApply{RunID: req.RunID, PIDs: []int{os.Getpid()},
		Started: time.Now().UTC().Format(time.RFC3339), Files: req.Files}
	if err := lk.record(); err != nil {
		lk.release()
		return nil, err
	}
	return lk, nil
}

// wait takes the lock, as the request allows.
func (lk *applyLock) wait(ctx context.Context, req proto.ApplyRequest, lockPath string) error {
	if tryLock(lk.f, syscall.LOCK_EX) {
		return nil
	}
	lk.waited = readPidFile(lk.pidPath)
	patience := max(time.Duration(req.WaitRunningMS)*time.Millisecond, minLockWait)
	if ok, err := pollLock(ctx, lk.f, patience); ok || err != nil {
		return err
	}
	if !req.StopRunning {
		return holdsError(lockPath, readPidFile(lk.pidPath),
			fmt.Sprintf("still running after %s (wait longer with wait_running_ms, or stop it with stop_running)", patience))
	}
	holder := readPidFile(lk.pidPath)
	if holder != nil {
		lk.waited = holder
	}
	killed := stopHolder(holder, lk.pidPath)
	ok, err := pollLock(ctx, lk.f, stopWait)
	if !ok && err == nil {
		err = holdsError(lockPath, holder, fmt.Sprintf("still held %s after killing pids %v", stopWait, killed))
	}
	lk.stopped = ok && len(killed) > 0
	return err
}

func tryLock(f *os.File, how int) bool {
	return syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB) == nil
}

// pollLock retries the lock until d has passed; false when still held.
func pollLock(ctx context.Context, f *os.File, d time.Duration) (bool, error) {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, fmt.Errorf("wait for the apply lock: %w", ctx.Err())
		case <-time.After(lockPoll):
		}
		if tryLock(f, syscall.LOCK_EX) {
			return true, nil
		}
	}
	return false, nil
}

// record replaces the pid file with lk.info, atomically, so a reader never
// sees half of it.
func (lk *applyLock) record() error {
	b, err := json.Marshal(lk.info)
	if err == nil {
		err = atomicfile.Write(lk.pidPath, b, 0o600)
	}
	if err != nil {
		return fmt.Errorf("write apply pid file %s: %w", lk.pidPath, err)
	}
	return nil
}

// addPID records a child of this apply before it can apply anything.
func (lk *applyLock) addPID(pid int) error {
	lk.info.PIDs = append(lk.info.PIDs, pid)
	return lk.record()
}

// release removes the pid file while the lock is still held, then unlocks.
func (lk *applyLock) release() {
	os.Remove(lk.pidPath)
	lk.f.Close()
}

func readPidFile(path string) *proto.RunningApply {
	b, err := readOwnFile(path)
	if err != nil {
		return nil
	}
	var r proto.RunningApply
	if json.Unmarshal(b, &r) != nil {
		return nil
	}
	return &r
}

// runningApply reports the apply holding the lock for port, nil if none:
// a shared lock is taken and released at once.
func runningApply(dir string, port int) (*proto.RunningApply, error) {
	lockPath, pidPath := lockPaths(dir, port)
	f, err := os.Open(lockPath)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open apply lock %s: %w", lockPath, err)
	}
	defer f.Close()
	if tryLock(f, syscall.LOCK_SH) {
		return nil, nil
	}
	if r := readPidFile(pidPath); r != nil {
		return r, nil
	}
	return &proto.RunningApply{}, nil
}

// applyPrograms are the only programs an apply's pid file may name: a pid
// reused by anything else is never killed.
var applyPrograms = map[string]bool{"mariadb": true, "mysql": true, "mariadb-binlog": true, "mysqlbinlog": true, "mhago-agent": true}

// stopHolder SIGKILLs the listed processes (client first) that are still
// what the pid file says: one of the apply programs, started before the
// pid file was last written. It returns the pids killed.
func stopHolder(holder *proto.RunningApply, pidPath string) []int {
	fi, err := os.Stat(pidPath)
	if holder == nil || err != nil {
		return nil
	}
	var killed []int
	for i := len(holder.PIDs) - 1; i >= 0; i-- {
		pid := holder.PIDs[i]
		if pid != os.Getpid() && isApplyProcess(pid, fi.ModTime()) && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed = append(killed, pid)
		}
	}
	return killed
}

// isApplyProcess checks /proc: the program name, and a start time no later
// than written (plus the second /proc's boot time is rounded to).
func isApplyProcess(pid int, written time.Time) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := strings.Cut(string(cmdline), "\x00")
	if !applyPrograms[filepath.Base(argv0)] {
		return false
	}
	started, err := processStart(pid)
	return err == nil && !started.After(written.Add(time.Second))
}

// userHZ is the unit of /proc start times, fixed by the kernel ABI.
const userHZ = 100

// processStart is when pid started: boot time plus /proc/<pid>/stat field 22.
func processStart(pid int) (time.Time, error) {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return time.Time{}, err
	}
	// The command name (field 2) may hold spaces: count from its ")".
	rest := string(stat[strings.LastIndexByte(string(stat), ')')+1:])
	fields := strings.Fields(rest)
	if len(fields) < 20 {
		return time.Time{}, fmt.Errorf("short /proc/%d/stat", pid)
	}
	ticks, err := strconv.ParseInt(fields[19], 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("/proc/%d/stat start time: %w", pid, err)
	}
	boot, err := bootTime()
	if err != nil {
		return time.Time{}, err
	}
	return boot.Add(time.Duration(ticks) * time.Second / userHZ), nil
}

func bootTime() (time.Time, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return time.Time{}, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "btime "); ok {
			sec, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("/proc/stat btime: %w", err)
			}
			return time.Unix(sec, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}
