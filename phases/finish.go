package phases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/internal/atomicfile"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
)

func newState(deps Deps, opts Options, op Operation) *State {
	if deps.Now == nil {
		deps.Now = time.Now
	}
	if deps.Log == nil {
		deps.Log = slog.New(slog.DiscardHandler)
	}
	if opts.RunID == "" {
		opts.RunID = newRunID(deps.Now())
	}
	if opts.LastFailover == 0 {
		opts.LastFailover = 8 * time.Hour
	}
	if opts.ConfirmWait == 0 {
		opts.ConfirmWait = 15 * time.Second
	}
	cfg := deps.Config
	mode := string(op)
	if opts.DryRun {
		mode = report.ModeDryRun
	}
	st := &State{deps: deps, opts: opts, cfg: cfg, cluster: cfg.ClusterID(), op: op, log: deps.Log.With("run", opts.RunID),
		Report: report.New(cfg.App, cfg.Path, opts.RunID, mode, deps.Now())}
	st.Report.Operation = string(op)
	if op == OpSwitchover {
		st.Report.Switch = &report.Switchover{}
	}
	st.Report.Cluster = st.cluster
	sshOpts := endpoints.SSHOptions(cfg, opts.AcceptNewHostKeys, st.log)
	// Agent calls (a large apply) may run as long as a phase may.
	sshOpts.CommandTimeout = max(sshOpts.CommandTimeout, cfg.Timeouts.Phase)
	st.pool = remote.NewPool(sshOpts)
	st.Report.AddSecret(cfg.Secrets()...)
	return st
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// close releases connections and this host's lock on the cluster.
func (st *State) close() {
	st.releaseFailoverLocks()
	for _, h := range st.Hosts {
		if h.DB != nil {
			h.DB.Close()
		}
	}
	st.pool.Close()
	if st.redis != nil {
		st.redis.Close()
	}
	st.hostLock.Unlock()
}

// finishUnstarted ends a run refused before its steps: the report still
// says why.
func (st *State) finishUnstarted(runErr error) error {
	outcome := report.OutcomeRefused
	if errors.Is(runErr, ErrNothingToResume) {
		outcome = report.OutcomeAborted
	}
	st.Report.Finish(st.deps.Now(), outcome, runErr)
	if errors.Is(runErr, ErrManagerWorkdir) {
		return runErr // nowhere to write the report; stdout has it
	}
	if err := st.writeReport(); err != nil {
		st.warn("report not written: " + err.Error())
	}
	return runErr
}

// finish sets the outcome, removes the agents, writes the guard files,
// calls report_script, ends the journal, releases the lock and writes the
// report. It runs however the run ended, with a context of its own.
func (st *State) finish(ctx context.Context, runErr error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	runErr = st.incomplete(runErr)
	outcome := outcome(st, runErr)
	st.Report.Finish(st.deps.Now(), outcome, runErr)
	st.removeAgents(ctx, runErr)
	if !st.opts.DryRun {
		st.writeGuards(runErr)
		if !refused(runErr) && st.Dead != nil {
			st.callReportScript(ctx)
		}
		if runErr == nil && !st.opts.Abandon && st.op != OpRejoin {
			st.pushConfig(ctx) // before the lock is released, with the run's fence
		}
	}
	if err := st.run.Finish(ctx, outcome, runErr); err != nil {
		st.warn("ending the run: " + err.Error())
		st.Report.Note("ending the run: " + err.Error())
	}
	if err := st.writeReport(); err != nil {
		st.warn("report not written: " + err.Error())
		runErr = errors.Join(runErr, err)
	}
	return runErr
}

// incomplete turns a run that went through with gaps into the right
// failure: replicas not recovered (MHA's 10), or steps left undone after
// the lock was lost (the operator must finish them).
func (st *State) incomplete(runErr error) error {
	if runErr != nil || st.opts.DryRun {
		return runErr
	}
	if notRun := st.run.NotRun(); len(notRun) > 0 {
		return fmt.Errorf("%w: the cluster lock was lost to another manager, so these steps were not run: %s; finish with --resume once no other manager acts",
			ErrAfterPONR, strings.Join(notRun, ", "))
	}
	if st.partial() {
		return ErrPartial
	}
	return nil
}

func outcome(st *State, err error) string {
	switch {
	case st.opts.DryRun && err == nil:
		return report.OutcomePlanned
	case st.opts.Abandon && err == nil:
		return report.OutcomeAbandoned
	case err == nil:
		return report.OutcomeSuccess
	case errors.Is(err, ErrPartial):
		return report.OutcomePartial
	case errors.Is(err, ErrAfterPONR):
		return report.OutcomeFailed
	case errors.Is(err, ErrAbortIncomplete):
		return report.OutcomeAbortIncomplete
	case errors.Is(err, context.Canceled):
		return report.OutcomeInterrupted
	case refused(err):
		return report.OutcomeRefused
	}
	return report.OutcomeAborted
}

// writeGuards marks a completed failover (MHA's complete file, which
// blocks another one for LastFailover) or one that failed past its point
// of no return (the error file, which blocks until removed), and removes
// the dead master's block after a full success when asked.
func (st *State) writeGuards(runErr error) {
	switch {
	case st.opts.Abandon:
	case st.op != OpFailover && st.run.PastNoReturn() && runErr != nil && !errors.Is(runErr, ErrPartial):
		st.guard(st.writeErrorFile(runErr))
	case st.op != OpFailover:
		// A planned operation neither counts as a failover for the
		// last-failover guard nor removes a server from the config.
	case runErr == nil || errors.Is(runErr, ErrPartial):
		st.guard(st.writeStateFile("complete", st.opts.RunID+"\n"))
		st.guard(st.recordLastFailover(runErr))
		if runErr == nil {
			st.removeDeadMasterConf()
		}
	case st.run.PastNoReturn():
		st.guard(st.writeErrorFile(runErr))
	}
}

// guard reports a guard file that could not be written: the operator must
// hear it now, since the next run relies on it.
func (st *State) guard(err error) {
	if err != nil {
		st.warn(err.Error())
		st.Report.Note(err.Error())
	}
}

// recordLastFailover tells the other manager hosts, through Redis, that a
// failover completed, for their last-failover guard.
func (st *State) recordLastFailover(runErr error) error {
	if st.redis == nil {
		return nil
	}
	host, _ := os.Hostname()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	l := coord.LastFailover{RunID: st.opts.RunID, ManagerHost: host, Outcome: outcome(st, runErr), Ended: st.deps.Now()}
	if err := coord.SetLastFailover(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cluster, l); err != nil {
		return fmt.Errorf("the other manager hosts will not see this failover in their last-failover guard: %w", err)
	}
	return nil
}

func (st *State) writeErrorFile(cause error) error {
	msg := fmt.Sprintf("run %s (%s) failed after the point of no return: %v\nfinish it with `mhago %s --conf %s --resume`, or repair the cluster by hand; then remove this file\n",
		st.opts.RunID, st.op, cause, st.op, st.cfg.Path)
	return st.writeStateFile("error", msg)
}

// writeStateFile writes a guard file durably (fsync and rename): the next
// run reads it back.
func (st *State) writeStateFile(suffix, content string) error {
	p := st.stateFile(suffix)
	if err := atomicfile.Write(p, []byte(content), 0o600); err != nil {
		return fmt.Errorf("write guard file %s: %w", p, err)
	}
	return nil
}

func (st *State) writeReport() error {
	jsonPath, textPath, err := report.Write(st.cfg.ManagerWorkdir, st.Report)
	if err != nil {
		return fmt.Errorf("write report in %s: %w", st.cfg.ManagerWorkdir, err)
	}
	st.ReportPaths = [2]string{jsonPath, textPath}
	return nil
}

// removeAgents deletes the agents' private directories, and after a
// successful resume or abandon those an earlier run kept. After a failure
// past the point of no return they are kept: the diff files are evidence,
// and a resumed run applies exactly them.
func (st *State) removeAgents(ctx context.Context, runErr error) {
	keep := runErr != nil && st.run.PastNoReturn() && !errors.Is(runErr, ErrPartial)
	var wg sync.WaitGroup
	for _, h := range st.allHosts() {
		if keep {
			if h.Agent != nil {
				h.Agent.Close()
				st.Report.Note(fmt.Sprintf("diff files kept for inspection and for --resume in %s on %s", h.Agent.Dir(), h.Name()))
			}
			continue
		}
		wg.Go(func() {
			if h.Agent != nil {
				if err := h.Agent.Remove(); err != nil {
					st.log.Warn("remove agent", "phase", "finish", "host", h.Name(), "error", err)
				}
			}
			if runErr == nil {
				st.removeEarlierAgentDirs(h)
			}
		})
	}
	wg.Wait()
}

// removeEarlierAgentDirs removes, once the run it left unfinished is done,
// the agent directory an earlier run kept on h.
func (st *State) removeEarlierAgentDirs(h *Host) {
	if st.prev == nil || h.SSH == nil {
		return
	}
	var dirs []agentDir
	if ok, _ := st.prev.Decision(decAgentDirs, &dirs); !ok {
		return
	}
	for _, d := range dirs {
		if d.Host != h.Name() || (h.Agent != nil && d.Dir == h.Agent.Dir()) {
			continue
		}
		if err := h.SSH.RemoveAll(d.Dir); err != nil {
			st.log.Warn("remove earlier agent dir", "phase", "finish", "host", h.Name(), "dir", d.Dir, "error", err)
		}
	}
}

// callReportScript runs report_script with MHA's arguments.
func (st *State) callReportScript(ctx context.Context) {
	cmd := st.cfg.Scripts.Report
	if cmd == "" {
		return
	}
	// MHA names the new master and slaves only once the new master is
	// activated, and passes hostnames.
	newHost, slaves := "", []string(nil)
	if nm := st.NewMaster; nm != nil && st.Report.HostResult(nm.Name(), "", "").Status == report.HostRecovered {
		newHost = nm.Server.Hostname
		for _, h := range st.byNames(st.Report.RecoveredReplicaHosts()) {
			slaves = append(slaves, h.Server.Hostname)
		}
	}
	args := hooks.ReportArgs(st.Dead.Server.Hostname, newHost, slaves, st.cfg.Path, report.Subject(st.Report), report.Body(st.Report))
	st.runHook(ctx, hooks.ReportScript, cmd, args, hooks.Secrets{})
}

// partial reports whether a replica could not be recovered.
func (st *State) partial() bool {
	for _, h := range st.Report.Hosts {
		if h.Role == report.RoleReplica && h.Status == report.HostFailed {
			return true
		}
	}
	return len(st.Skipped) > 0 && st.run.PastNoReturn()
}

// hostList names hosts for messages.
func hostList(hs []*Host) string { return strings.Join(names(hs), ", ") }

// removeDeadMasterConf drops the dead master's block from the config, so
// that the next check or failover does not look for it. MHA does this only
// after a complete success; a failure is reported, not fatal: the failover
// itself is done.
func (st *State) removeDeadMasterConf() {
	if !st.opts.RemoveDeadMasterConf || st.Dead == nil {
		return
	}
	block := st.Dead.Name()
	if err := st.cfg.RemoveServerBlock(block, st.pinnedClusterID()); err != nil {
		st.log.Warn("remove dead master from config", "phase", "finish", "host", block, "error", err)
		st.Report.Note(fmt.Sprintf("could not remove [%s] from the config: %v; remove it by hand before the next run", block, err))
		return
	}
	st.Report.Note(fmt.Sprintf("removed the dead master's [%s] block from %s (--remove-dead-master-conf)", block, st.cfg.Path))
}

// pinnedClusterID is the cluster id to write into the config when a block
// is removed: the derived one would change with the server list.
func (st *State) pinnedClusterID() string {
	if st.cfg.ClusterIDSet() {
		return ""
	}
	return st.cfg.ClusterID()
}
