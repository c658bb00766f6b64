package monitor

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/mhago/mhago/internal/atomicfile"
)

// HealthWriter keeps MHA's status file in step with the monitor, for
// masterha_check_status, masterha_stop and `mhago status|stop`. A new
// status replaces the file (write, fsync, rename: a reader never sees half
// a line); an unchanged one only touches it, since a reader takes an old
// mtime for a hung monitor (TIMESTAMP_OLD). A nil *HealthWriter does
// nothing (--once keeps no status file, as MHA's --check_only).
type HealthWriter struct {
	path string
	pid  int
	log  *slog.Logger

	mu     sync.Mutex
	last   HealthFile
	failed bool // a write failed: logged once, until one succeeds
}

// NewHealthWriter writes path on behalf of process pid.
func NewHealthWriter(path string, pid int, log *slog.Logger) *HealthWriter {
	return &HealthWriter{path: path, pid: pid, log: log}
}

// Path is the status file's path ("" for a nil writer).
func (w *HealthWriter) Path() string {
	if w == nil {
		return ""
	}
	return w.path
}

// Set publishes the monitor's stage and the master's state; master is the
// host MHA names in the file (its hostname), "" to keep the last one.
func (w *HealthWriter) Set(st Stage, s State, master string) {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	f := HealthFile{Pid: w.pid, Health: HealthOf(st, s), Master: master}
	if master == "" {
		f.Master = w.last.Master
	}
	var err error
	if f == w.last {
		now := time.Now()
		err = os.Chtimes(w.path, now, now)
	}
	if f != w.last || errors.Is(err, fs.ErrNotExist) {
		err = atomicfile.Write(w.path, f.Marshal(), 0o644)
	}
	w.report(err, f)
}

func (w *HealthWriter) report(err error, f HealthFile) {
	if err != nil {
		if !w.failed {
			w.log.Error("cannot write the status file: masterha_check_status and mhago status will not see this monitor",
				"phase", "monitor", "file", w.path, "err", err, "fix", "make manager_workdir writable for this user")
		}
		w.failed = true
		return
	}
	w.failed, w.last = false, f
}

// Current is the status last written (NOT_RUNNING before any).
func (w *HealthWriter) Current() Health {
	if w == nil {
		return HealthNotRunning
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.last.Pid == 0 {
		return HealthNotRunning
	}
	return w.last.Health
}

// Remove deletes the status file: the monitor is no longer running.
func (w *HealthWriter) Remove() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := os.Remove(w.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		w.log.Warn("cannot remove the status file", "phase", "monitor", "file", w.path, "err", err)
	}
	w.last = HealthFile{}
}
