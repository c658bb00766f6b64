package nodeagent

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
)

// holder starts a long sleep under the name prog (an apply program or
// not) holding dir's apply lock for port 3306, as an orphaned client
// would, and writes the pid file naming it.
func holder(t *testing.T, dir, prog string) *exec.Cmd {
	t.Helper()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), prog)
	data, err := os.ReadFile(sleep)
	if err == nil {
		err = os.WriteFile(bin, data, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	lk, err := acquireApplyLock(context.Background(), proto.ApplyRequest{Port: 3306, RunID: "old", Files: []string{"d1"}}, dir)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "60")
	cmd.ExtraFiles = []*os.File{lk.f}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lk.info.PIDs = []int{cmd.Process.Pid} // the agent that took the lock is gone
	if err := lk.record(); err != nil {
		t.Fatal(err)
	}
	lk.f.Close() // only the child holds the lock now
	return cmd
}

func TestApplyLockWaitAndStop(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	req := proto.ApplyRequest{Port: 3306, RunID: "new", Files: []string{"d2"}}
	h := holder(t, dir, "mariadb")

	running, err := runningApply(dir, 3306)
	if err != nil || running == nil || running.RunID != "old" || running.PIDs[0] != h.Process.Pid {
		t.Fatalf("status of a held lock: %+v %v", running, err)
	}
	t0 := time.Now()
	_, err = acquireApplyLock(ctx, req, dir)
	var re *runningError
	if !errors.As(err, &re) || errorCode(err) != proto.CodeApplyRunning || time.Since(t0) < minLockWait {
		t.Fatalf("lock taken from a running apply (after %s): %v", time.Since(t0), err)
	}
	req.WaitRunningMS, req.StopRunning = 200, true
	lk, err := acquireApplyLock(ctx, req, dir)
	if err != nil {
		t.Fatal(err)
	}
	if !lk.stopped || lk.waited == nil || lk.waited.RunID != "old" || lk.stale == nil {
		t.Fatalf("stop: stopped %v, waited %+v, stale %+v", lk.stopped, lk.waited, lk.stale)
	}
	if err := h.Wait(); err == nil {
		t.Fatal("the holder was not killed")
	}
	if got := readPidFile(lk.pidPath); got == nil || got.RunID != "new" || got.PIDs[0] != os.Getpid() {
		t.Fatalf("pid file of the new holder: %+v", got)
	}
	lk.release()
	if running, err := runningApply(dir, 3306); err != nil || running != nil {
		t.Fatalf("status after release: %+v %v", running, err)
	}
	if _, err := os.Stat(lk.pidPath); !os.IsNotExist(err) {
		t.Fatalf("pid file left after release: %v", err)
	}
}

// TestApplyLockNeverKillsStrangers: a pid reused by another program, or by
// an apply program started after the pid file, is left alone.
func TestApplyLockNeverKillsStrangers(t *testing.T) {
	h := holder(t, t.TempDir(), "sleep")
	if isApplyProcess(h.Process.Pid, time.Now()) {
		t.Fatal("sleep taken for an apply program")
	}
	m := holder(t, t.TempDir(), "mariadb")
	if !isApplyProcess(m.Process.Pid, time.Now()) {
		t.Fatal("the apply's client not recognised")
	}
	if isApplyProcess(m.Process.Pid, time.Now().Add(-time.Minute)) {
		t.Fatal("a client started after the pid file was written taken for the apply's")
	}
	if isApplyProcess(1<<22+1, time.Now()) {
		t.Fatal("a pid that does not exist taken for an apply program")
	}
}
