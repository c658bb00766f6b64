package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/runner"
)

// deployAgents pushes the node agent to every replica and, when reachable
// and its binlog is still to be saved, to the dead master's host. Where
// the agents live is journaled, so a later run can clean up after a crash.
func deployAgents(ctx context.Context, st *State) error {
	targets := append([]*Host{}, st.Replicas...)
	saving := st.SSHReachable && !st.run.PastNoReturn()
	if saving {
		targets = append(targets, st.Dead)
	}
	if !st.run.PastNoReturn() {
		st.deployToBinlogServers(ctx)
	}
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, h := range targets {
		wg.Go(func() {
			errs[i] = runner.Safe("agent push to "+h.Name(), func() error {
				if h.Agent != nil {
					return nil // pushed already, to probe the master from this host
				}
				if h.SSH == nil {
					return fmt.Errorf("agent on %s: no SSH connection: %w", h.Name(), h.SSHErr)
				}
				var err error
				h.Agent, err = agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent)
				return err
			})
		})
	}
	wg.Wait()
	if saving && st.Dead.Agent == nil {
		// The dead master's host is only needed to save its binlog; losing
		// it is recorded by phase 3.2, not fatal.
		st.Report.Note(fmt.Sprintf("agent on dead master %s: %v", st.Dead.Name(), errs[len(errs)-1]))
		errs[len(errs)-1] = nil
		st.SSHReachable = false
	}
	if st.run.PastNoReturn() {
		st.spareReplicas(targets, errs)
	}
	if err := st.tolerate(ctx, "agents", targets, errs); err != nil {
		return err
	}
	st.noteAgentCache(targets)
	return st.decide(ctx, "agents", decAgentDirs, st.agentDirs())
}

// deployToBinlogServers pushes the agent to every reachable binlog server:
// phase 3.2 may need them. One that fails is noted and not used.
func (st *State) deployToBinlogServers(ctx context.Context) {
	var reachable []*Host
	for _, h := range st.Binlogs {
		if h.SSH != nil {
			reachable = append(reachable, h)
		}
	}
	errs := st.each(ctx, reachable, func(ctx context.Context, st *State, h *Host) error {
		var err error
		h.Agent, err = agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent)
		return err
	})
	for k, err := range errs {
		if err != nil {
			reachable[k].SSHErr = err
			st.Report.Note(fmt.Sprintf("binlog server %s: agent not pushed: %v", reachable[k].Name(), err))
		}
	}
}

// spareReplicas, when finishing a run past its point of no return, fails
// only the replicas whose agent could not be pushed: the new master and
// the others still have to be finished.
func (st *State) spareReplicas(targets []*Host, errs []error) {
	for i, h := range targets {
		if errs[i] == nil || h == st.NewMaster {
			continue
		}
		h.cannot = errs[i].Error()
		st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Fail(errs[i])
		errs[i] = nil
	}
}

// agentDirs lists this run's agent directories and those of the earlier
// runs it finishes: their diff files stay in use until the work is done,
// and the run that finishes it removes them all.
func (st *State) agentDirs() []agentDir {
	var out []agentDir
	if st.prev != nil {
		st.prev.Decision(decAgentDirs, &out)
	}
	for _, h := range st.allHosts() {
		if h.Agent != nil {
			out = append(out, agentDir{Host: h.Name(), Dir: h.Agent.Dir()})
		}
	}
	return out
}

// allHosts are the MySQL servers and the binlog servers.
func (st *State) allHosts() []*Host { return append(append([]*Host{}, st.Hosts...), st.Binlogs...) }

// shutdownDeadMaster (phase 2) freezes the replicas' view of the dead
// master and fences it: STOP SLAVE IO_THREAD everywhere, then the IP
// failover hook and the shutdown hook with MHA's arguments and exit codes.
func shutdownDeadMaster(ctx context.Context, st *State) error {
	if err := st.tolerant(ctx, "2", st.Replicas, stopIOThread); err != nil {
		return err
	}
	dead := checks.HookHost(st.Dead.Server)
	if cmd := st.scripts(st.Dead).MasterIPFailover; cmd != "" {
		res := st.runHook(ctx, hooks.IPFailoverScript, cmd, hooks.FailoverStopArgs(dead, st.SSHReachable), hooks.Secrets{})
		switch hooks.Outcome(res) {
		case hooks.Abort:
			return hookError(res)
		case hooks.Proceed:
			st.Report.Note(fmt.Sprintf("%s exited %d (%s): it failed, but asked to proceed, as MHA allows; make sure the dead master's IP no longer takes writes",
				hookCall(res), res.ExitCode, lastLine(res.Output+res.Err)))
		}
	}
	if cmd := st.scripts(st.Dead).Shutdown; cmd != "" {
		res := st.runHook(ctx, hooks.ShutdownScript, cmd, hooks.ShutdownArgs(dead, st.SSHReachable, st.Dead.Server.MasterPIDFile), hooks.Secrets{})
		return st.fenced(res)
	}
	return nil
}

// fenced applies shutdown_script's answer as MHA does: exit 0 powered the
// host off, so its binlog cannot be saved; exit 10 killed mysqld over SSH,
// so the host is up and its binlog is still saved.
func (st *State) fenced(res hooks.Result) error {
	switch hooks.ShutdownOutcome(res) {
	case hooks.FenceFailed:
		return hookError(res)
	case hooks.PoweredOff:
		if st.SSHReachable {
			st.SSHReachable = false
			st.Dead.SSHErr = fmt.Errorf("shutdown_script exited 0, which means it powered the host off: as in MHA, its binlog is not saved")
			st.Report.Note(fmt.Sprintf("%s: shutdown_script exited 0 (powered off): its binlog is not saved; exit 10 means \"SSH reachable, mysqld killed\" and keeps the save", st.Dead.Name()))
		}
	case hooks.MySQLKilled:
		if st.SSHReachable {
			st.Report.Note(fmt.Sprintf("%s: shutdown_script exited 10 (SSH reachable, mysqld killed): its binlog is still saved", st.Dead.Name()))
		}
	}
	return nil
}

// hookError is a hook call that stops the run: the call (its command) and
// the last line it printed, which the hook's result already scrubbed.
func hookError(res hooks.Result) error {
	return fmt.Errorf("%w: %s exited %d: %s", hooks.ErrHookFailed, hookCall(res), res.ExitCode, lastLine(res.Output+res.Err))
}

// hookCall names a call as "key --command=X".
func hookCall(res hooks.Result) string {
	if c, ok := hooks.ArgValue(res.Args, "command"); ok {
		return res.Name + " --command=" + c
	}
	return res.Name
}

// runHook runs a configured hook with the run's environment and the
// passwords it needs, each in its own variable (and as MHA's arguments
// with hook_password_args=1 or --hook-password-args). Its output is
// scrubbed of every configured secret before it is cut and recorded.
func (st *State) runHook(ctx context.Context, key, cmd string, args []string, sec hooks.Secrets) hooks.Result {
	info := hooks.RunInfo{App: st.cfg.App, RunID: st.opts.RunID, Command: key}
	if st.Dead != nil {
		info.DeadHost, info.DeadPort = st.Dead.Server.Hostname, st.Dead.Server.Port
	}
	if st.NewMaster != nil {
		info.NewHost, info.NewPort = st.NewMaster.Server.Hostname, st.NewMaster.Server.Port
	}
	info.Fence = st.run.Fence()
	res := hooks.Run(ctx, hooks.Call{Name: key, Path: cmd, Args: args, Env: hooks.RunEnv(info), Secrets: sec,
		Style: st.passwordStyle(), Scrub: st.Report.Scrub, Timeout: st.cfg.Timeouts.Phase})
	st.Report.AddHook(res)
	st.log.Info("hook", "phase", key, "host", "-", "exit", res.ExitCode, "duration", res.Duration)
	return res
}

// origMasterSecret is a call's only password, the dead master's
// (secondary_check_script's --master_password).
func origMasterSecret(pw string) hooks.Secrets { return hooks.Secrets{OrigMaster: pw} }

// passwordStyle is how hooks get passwords: the config key or the flag.
func (st *State) passwordStyle() hooks.PasswordStyle {
	return hooks.StyleFor(st.opts.HookPasswordArgs || st.cfg.Scripts.PasswordArgs)
}

// parallel runs fn on every host at once and joins the errors.
func (st *State) parallel(ctx context.Context, hs []*Host, fn func(context.Context, *State, *Host) error) error {
	return errors.Join(st.each(ctx, hs, fn)...)
}

// each runs fn on every host at once and returns each host's error. A
// panic in one becomes that host's error instead of killing the process.
func (st *State) each(ctx context.Context, hs []*Host, fn func(context.Context, *State, *Host) error) []error {
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() { errs[i] = runner.Safe(h.Name(), func() error { return fn(ctx, st, h) }) })
	}
	wg.Wait()
	return errs
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

// noteAgentCache says where the agent came from: remote_workdir's cache
// (what `mhago check` leaves there) or a push, which costs the first run.
func (st *State) noteAgentCache(hs []*Host) {
	var cached, pushed []*Host
	for _, h := range hs {
		switch {
		case h.Agent == nil:
		case h.Agent.Cached():
			cached = append(cached, h)
		default:
			pushed = append(pushed, h)
		}
	}
	if len(cached) > 0 {
		st.Report.Note("agent found in remote_workdir's cache (SHA-256 checked) on " + hostList(cached))
	}
	if len(pushed) > 0 {
		st.Report.Note("agent pushed into remote_workdir's cache on " + hostList(pushed) + " (`mhago check` leaves it there for the next run)")
	}
}
