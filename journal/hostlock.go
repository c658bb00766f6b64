package journal

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// HostLock is held by the one mhago process of this manager host working on
// a cluster. It guards the journal file itself, also without Redis (an
// unchanged MHA config has no lock server), and is released by the kernel
// when the process dies however it dies.
type HostLock struct{ f *os.File }

// LockHost takes <dir>/<cluster>.lock without waiting. A holder is named
// by the pid it wrote; the error wraps ErrBusy.
func LockHost(dir, cluster string) (*HostLock, error) {
	path := filepath.Join(dir, cluster+".lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: cluster %s, pid %s (lock file %s): wait for it to finish",
				ErrBusy, cluster, holderPID(path), path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &HostLock{f: f}, nil
}

// holderPIDWait bounds the wait for a holder that has just taken the lock
// to write its pid (it does so right after).
const holderPIDWait = 500 * time.Millisecond

// holderPID is the pid the holder wrote into the lock file, waiting a
// moment for one that took the lock an instant ago and has not yet
// written it.
func holderPID(path string) string {
	for deadline := time.Now().Add(holderPIDWait); ; time.Sleep(10 * time.Millisecond) {
		b, _ := os.ReadFile(path)
		if pid := strings.TrimSpace(string(b)); pid != "" {
			return pid
		}
		if time.Now().After(deadline) {
			return "unknown (it has just started)"
		}
	}
}

// Unlock releases the lock.
func (l *HostLock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}
