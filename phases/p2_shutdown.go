package phases

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
)

// takeLock acquires the cluster's Redis lock before the first change, so
// that several managers (cron on several hosts) never fail over at once.
func takeLock(ctx context.Context, st *State) error {
	ro, ok := endpoints.Redis(st.cfg)
	if st.opts.NoLock || !ok {
		st.Report.Note("ran without the Redis lock (--no-lock or no redis_address)")
		return nil
	}
	st.redis = coord.NewClient(ro)
	host, _ := os.Hostname()
	// The lock outlives this phase: renewal runs on a context that only
	// Release (in finish) ends.
	lock, err := coord.Acquire(context.WithoutCancel(ctx), st.redis, coord.LockOptions{KeyPrefix: ro.KeyPrefix, Cluster: st.cfg.ClusterID(), TTL: st.cfg.Redis.LockTTL,
		Owner:  coord.Holder{Host: host, PID: os.Getpid(), RunID: st.opts.RunID, Command: st.opts.Command, Since: st.deps.Now()},
		Logger: st.log})
	if errors.Is(err, coord.ErrUnreachable) {
		return fmt.Errorf("%w (fix: start Redis at %s, or pass --no-lock if you are sure no other manager runs)", err, ro.Addr)
	}
	if err != nil {
		return err
	}
	st.lock = lock
	st.Report.SetLock(lock.Key(), lock.Fence(), host)
	return nil
}

// deployAgents pushes the node agent to every replica and, when reachable,
// to the dead master's host.
func deployAgents(ctx context.Context, st *State) error {
	targets := append([]*Host{}, st.Replicas...)
	if st.SSHReachable {
		targets = append(targets, st.Dead)
	}
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, h := range targets {
		wg.Go(func() {
			h.Agent, errs[i] = agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent)
		})
	}
	wg.Wait()
	if st.Dead.Agent == nil && st.SSHReachable {
		// The dead master's host is only needed to save its binlog; losing
		// it is recorded by phase 3.2, not fatal.
		st.Report.Note(fmt.Sprintf("agent on dead master %s: %v", st.Dead.Name(), errs[len(errs)-1]))
		errs[len(errs)-1] = nil
		st.SSHReachable = false
	}
	return errors.Join(errs...)
}

// shutdownDeadMaster (phase 2) freezes the replicas' view of the dead
// master and fences it: STOP SLAVE IO_THREAD everywhere, then the IP
// failover hook and the shutdown hook with MHA's arguments.
func shutdownDeadMaster(ctx context.Context, st *State) error {
	if err := st.parallel(ctx, st.Replicas, stopIOThread); err != nil {
		return err
	}
	dead := checks.HookHost(st.Dead.Server)
	if cmd := st.cfg.Scripts.MasterIPFailover; cmd != "" {
		res := st.runHook(ctx, "master_ip_failover_script", cmd, hooks.FailoverStopArgs(dead, st.SSHReachable), "")
		if ok, _ := hooks.Outcome(res); !ok {
			return hookError(res)
		}
	}
	if cmd := st.cfg.Scripts.Shutdown; cmd != "" {
		res := st.runHook(ctx, "shutdown_script", cmd, hooks.ShutdownArgs(dead, st.SSHReachable, st.Dead.Server.MasterPIDFile), "")
		ok, reachable := hooks.ShutdownOutcome(res.ExitCode)
		if !ok {
			return hookError(res)
		}
		if reachable != nil {
			st.SSHReachable = st.SSHReachable && *reachable
		}
	}
	return nil
}

func hookError(res hooks.Result) error {
	return fmt.Errorf("%w: %s exited %d: %s", hooks.ErrHookFailed, res.Name, res.ExitCode, lastLine(res.Output+res.Err))
}

// runHook runs a configured hook with the run's environment; password is
// handed over in the environment (or argv with --hook-password-args).
func (st *State) runHook(ctx context.Context, key, cmd string, args []string, password string) hooks.Result {
	info := hooks.RunInfo{App: st.cfg.App, RunID: st.opts.RunID, Command: key}
	if st.Dead != nil {
		info.DeadHost, info.DeadPort = st.Dead.Server.Hostname, st.Dead.Server.Port
	}
	if st.NewMaster != nil {
		info.NewHost, info.NewPort = st.NewMaster.Server.Hostname, st.NewMaster.Server.Port
	}
	if st.lock != nil {
		info.Fence = st.lock.Fence()
	}
	env := append(hooks.RunEnv(info), hooks.SecretEnv(password, password)...)
	if st.opts.HookPasswordArgs && password != "" {
		args = hooks.WithPasswordArgs(args, password)
	}
	res := hooks.Run(ctx, hooks.Call{Name: key, Path: cmd, Args: args, Env: env, Timeout: st.cfg.Timeouts.Phase})
	st.Report.AddHook(res)
	st.log.Info("hook", "phase", key, "host", "-", "exit", res.ExitCode, "duration", res.Duration)
	return res
}

// parallel runs fn on every host at once and joins the errors.
func (st *State) parallel(ctx context.Context, hs []*Host, fn func(context.Context, *State, *Host) error) error {
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() { errs[i] = fn(ctx, st, h) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
