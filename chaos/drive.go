package chaos

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mhago/mhago/internal/faults"
	"github.com/mhago/mhago/report"
)

// Bounds of the operator's loop.
const (
	maxRuns    = 6
	runTimeout = 3 * time.Minute
)

// failOver runs mhago as an operator at 3 a.m. would: the first run meets
// the drawn faults; after each run that did not finish, the operator
// repairs what chaos broke (replicas, Redis, the hook; not the dead
// master's host) and follows what mhago printed: --resume, --abandon, or
// the same command again.
func (s *scenarioRun) failOver(ctx context.Context) error {
	if err := s.beforeFirstRun(); err != nil {
		return err
	}
	args := []string{"failover"}
	for n := 0; n < maxRuns; n++ {
		run, rep, out, err := s.runMhago(ctx, args, n == 0)
		if err != nil {
			return err
		}
		s.res.Runs = append(s.res.Runs, run)
		if n == 0 {
			s.recordMissed(run)
		}
		s.res.Problems = append(s.res.Problems, s.checkRun(ctx, run, rep)...)
		next, done := s.nextArgs(run, out)
		if done {
			return nil
		}
		if next == nil {
			return fmt.Errorf("run %d (%s) ended with exit %d and no way forward: %s", n+1, strings.Join(run.Args, " "), run.Exit, lastLine(out))
		}
		if err := s.repair(ctx); err != nil {
			return err
		}
		args = next
	}
	return fmt.Errorf("no recovery after %d mhago runs", maxRuns)
}

// beforeFirstRun sets the faults that are in place when mhago starts:
// the dead master's sshd stopped, the hook told to fail or hang.
func (s *scenarioRun) beforeFirstRun() error {
	for _, f := range s.sc.Faults {
		switch {
		case f.Kind == DeadSSHDown && f.Point == "":
			if err := s.c.StopSSHD(1); err != nil {
				return fmt.Errorf("stop the dead master's sshd: %w", err)
			}
			s.struck = append(s.struck, f)
		case f.Kind == HookFail || f.Kind == HookHang:
			mode := map[FaultKind]string{HookFail: "fail", HookHang: "hang"}[f.Kind]
			if err := s.setHookMode(f.Command + ":" + mode); err != nil {
				return err
			}
		}
	}
	return nil
}

// recordMissed lists the drawn faults that did not strike in the first
// run (the run ended before their point, or no host had anything to
// apply): the summary shows them, so a suite that tests less than it
// draws is seen.
func (s *scenarioRun) recordMissed(run Run) {
	calls, _ := os.ReadFile(filepath.Join(s.c.Dir(), "hook.calls"))
	for _, f := range s.sc.Faults {
		struck := true
		switch f.Kind {
		case KillMhago:
			struck = run.Exit == -1
		case StopReplica, RestartRedis, DeadSSHDown:
			struck = slices.Contains(s.struck, f)
		case HookFail, HookHang:
			cmd := f.Command
			struck = slices.ContainsFunc(strings.Fields(string(calls)), func(c string) bool { return strings.TrimSuffix(c, "ssh") == cmd })
		}
		if !struck {
			s.res.Missed = append(s.res.Missed, f.String())
		}
	}
}

// nextArgs is the operator's reading of a run's end.
func (s *scenarioRun) nextArgs(run Run, out string) (next []string, done bool) {
	if run.Outcome == report.OutcomeAbandoned {
		return []string{"failover"}, false
	}
	switch run.Exit {
	case 0, 10:
		return nil, true
	case -1, 12:
		return []string{"failover"}, false
	case 13:
		return []string{"failover", "--resume"}, false
	case 14:
		return []string{"failover", "--abandon"}, false
	case 11:
		time.Sleep(2 * time.Second)
		return run.Args, false
	case 9:
		if strings.Contains(out, "--resume") {
			return []string{"failover", "--resume"}, false
		}
		// A guard that found the topology changed under it (a replica
		// gone): the operator repairs and runs it again.
		if strings.Contains(out, "topology changed") {
			return []string{"failover"}, false
		}
	}
	return nil, false
}

// runMhago runs one mhago failover --json; the first run carries the
// drawn faults. It returns the report mhago printed (nil when it died).
func (s *scenarioRun) runMhago(ctx context.Context, args []string, first bool) (Run, *report.Report, string, error) {
	argv := append(append([]string{}, args...), "--conf", s.c.ConfigPath(), "--json")
	run := Run{Args: args}
	pauseDir := filepath.Join(s.c.Dir(), "pause")
	if err := os.MkdirAll(pauseDir, 0o700); err != nil {
		return run, nil, "", err
	}
	var points []Fault
	if first {
		run.Fault, points = s.faultSpec()
	}
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.env.Mhago, argv...)
	cmd.Env = append(os.Environ(), "MHAGO_FAULT="+run.Fault, "MHAGO_FAULT_PAUSE_DIR="+pauseDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// Interrupted (the harness stopped, or mhago hung), mhago gets SIGINT
	// first: it stops its hooks' process groups before it exits.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return run, nil, "", fmt.Errorf("start mhago: %w", err)
	}
	stopActing := s.actAtPauses(ctx, pauseDir, points)
	err := cmd.Wait()
	stopActing()
	run.Elapsed = time.Since(t0)
	run.Exit = cmd.ProcessState.ExitCode()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return run, nil, "", fmt.Errorf("run mhago: %w", err)
	}
	if ctx.Err() != nil {
		return run, nil, "", fmt.Errorf("mhago %s hung for %s", strings.Join(args, " "), runTimeout)
	}
	out := stdout.String() + "\n--- stderr ---\n" + stderr.String()
	s.outputs = append(s.outputs, fmt.Sprintf("=== mhago %s (MHAGO_FAULT=%q) exit %d in %s\n%s", strings.Join(args, " "), run.Fault, run.Exit, run.Elapsed.Round(time.Millisecond), out))
	s.progress("mhago %s: exit %d in %s", strings.Join(args, " "), run.Exit, run.Elapsed.Round(time.Millisecond))
	var rep *report.Report
	if run.Exit != -1 && stdout.Len() > 0 {
		rep = &report.Report{}
		if err := json.Unmarshal(stdout.Bytes(), rep); err != nil {
			return run, nil, out, fmt.Errorf("mhago %s exit %d printed no JSON report: %v", strings.Join(args, " "), run.Exit, err)
		}
		run.Outcome = rep.Outcome
	}
	return run, rep, out, nil
}

// faultSpec turns the drawn faults into MHAGO_FAULT and the pauses at
// which the harness acts.
func (s *scenarioRun) faultSpec() (string, []Fault) {
	var spec []string
	var acts []Fault
	for _, f := range s.sc.Faults {
		switch f.Kind {
		case KillMhago:
			spec = append(spec, "kill@"+f.Point)
		case StopReplica, RestartRedis, DeadSSHDown:
			if f.Point != "" {
				spec = append(spec, "pause@"+f.Point)
				acts = append(acts, f)
			}
		}
	}
	return strings.Join(spec, ","), acts
}

// actAtPauses does each fault when mhago pauses at its point, then lets
// mhago go on. The returned function stops watching.
func (s *scenarioRun) actAtPauses(ctx context.Context, dir string, acts []Fault) func() {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		pending := append([]Fault{}, acts...)
		for len(pending) > 0 {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-time.After(10 * time.Millisecond):
			}
			for i := 0; i < len(pending); i++ {
				f := pending[i]
				file := faults.PauseFile(dir, f.Point)
				if _, err := os.Stat(file); err != nil {
					continue
				}
				s.act(f)
				os.Remove(file)
				pending = append(pending[:i], pending[i+1:]...)
				i--
			}
		}
	}()
	return func() { close(done); <-finished }
}

func (s *scenarioRun) act(f Fault) {
	var err error
	switch f.Kind {
	case StopReplica:
		err = s.c.StopMySQL(f.Host)
	case RestartRedis:
		if err = s.c.KillRedis(); err == nil {
			err = s.c.StartRedis()
		}
	case DeadSSHDown:
		err = s.c.StopSSHD(1)
	}
	msg := fmt.Sprintf("%s done", f)
	if err != nil {
		msg = fmt.Sprintf("%s: %v", f, err)
	} else {
		s.struck = append(s.struck, f)
	}
	s.notes = append(s.notes, msg)
	s.progress("%s", msg)
}

// repair undoes what chaos broke, as the operator would before running
// mhago again: stopped replicas and Redis started, the hook healthy. The
// dead master's host stays dead.
func (s *scenarioRun) repair(ctx context.Context) error {
	if err := s.setHookMode(""); err != nil {
		return err
	}
	for i := 2; i <= s.c.N(); i++ {
		if !s.c.MySQLRunning(i) {
			if err := s.c.StartMySQL(i); err != nil {
				return fmt.Errorf("repair: %w", err)
			}
		}
	}
	if !s.c.Procs()[0].Alive() {
		if err := s.c.StartRedis(); err != nil {
			return fmt.Errorf("repair: %w", err)
		}
	}
	return nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
