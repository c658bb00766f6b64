package phases

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
)

func newState(deps Deps, opts Options) *State {
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
	mode := "failover"
	if opts.DryRun {
		mode = "dry-run"
	}
	st := &State{deps: deps, opts: opts, cfg: cfg, log: deps.Log.With("run", opts.RunID),
		Report: report.New(cfg.App, cfg.Path, opts.RunID, mode, deps.Now())}
	sshOpts := endpoints.SSHOptions(cfg, opts.AcceptNewHostKeys, st.log)
	// Agent calls (a large apply) may run as long as a phase may.
	sshOpts.CommandTimeout = max(sshOpts.CommandTimeout, cfg.Timeouts.Phase)
	st.pool = remote.NewPool(sshOpts)
	for _, s := range cfg.Servers {
		st.Report.AddSecret(s.Password.Reveal(), s.ReplPassword.Reveal())
	}
	st.Report.AddSecret(cfg.Redis.Password.Reveal())
	return st
}

func newRunID(t time.Time) string {
	b := make([]byte, 3)
	rand.Read(b)
	return t.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b)
}

// close releases connections; agents are removed in finish.
func (st *State) close() {
	for _, h := range st.Hosts {
		if h.DB != nil {
			h.DB.Close()
		}
	}
	st.pool.Close()
	if st.redis != nil {
		st.redis.Close()
	}
}

// finish sets the outcome, removes the agents, writes the report, calls
// report_script, marks a completed failover and releases the lock. It runs
// even when the run failed, with a context of its own.
func (st *State) finish(runErr error) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if runErr == nil && st.partial() {
		runErr = ErrPartial
	}
	st.Report.Finish(st.deps.Now(), outcome(st, runErr), runErr)
	st.removeAgents(runErr)
	if !st.opts.DryRun {
		if runErr == nil || errors.Is(runErr, ErrPartial) {
			st.touchCompleteFile()
		}
		if runErr == nil {
			st.removeDeadMasterConf()
		}
		if !errors.Is(runErr, coord.ErrLocked) { // the lock holder reports its own run
			st.callReportScript(ctx)
		}
	}
	if err := st.writeReport(); err != nil {
		runErr = errors.Join(runErr, err)
	}
	if st.lock != nil {
		if err := st.lock.Release(ctx); err != nil {
			st.log.Warn("release lock", "phase", "finish", "host", "-", "error", err)
		}
	}
	return runErr
}

func outcome(st *State, err error) string {
	switch {
	case st.opts.DryRun && err == nil:
		return "planned"
	case err == nil:
		return "success"
	case errors.Is(err, ErrPartial):
		return "partial"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case refused(err):
		return "refused"
	case st.pastNoReturn:
		return "failed"
	}
	return "aborted"
}

// refused reports errors that stop a run before it changed anything,
// because it should not run at all.
func refused(err error) bool {
	return errors.Is(err, ErrMasterAlive) || errors.Is(err, ErrGuard) || errors.Is(err, coord.ErrLocked)
}

func (st *State) writeReport() error {
	dir := st.cfg.ManagerWorkdir
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create manager_workdir %s: %w", dir, err)
	}
	jsonPath, textPath, err := report.Write(dir, st.Report)
	if err != nil {
		return fmt.Errorf("write report in %s: %w", dir, err)
	}
	st.ReportPaths = [2]string{jsonPath, textPath}
	return nil
}

// removeAgents deletes the agents' private directories. After a failure
// past the point of no return they are kept: the diff files are evidence.
func (st *State) removeAgents(runErr error) {
	keep := runErr != nil && st.pastNoReturn && !errors.Is(runErr, ErrPartial)
	var wg sync.WaitGroup
	for _, h := range st.Hosts {
		if h.Agent == nil {
			continue
		}
		if keep {
			st.Report.Note(fmt.Sprintf("diff files kept for inspection in %s on %s", h.Agent.Dir(), h.Name()))
			continue
		}
		wg.Go(func() {
			if err := h.Agent.Remove(); err != nil {
				st.log.Warn("remove agent", "phase", "finish", "host", h.Name(), "error", err)
			}
		})
	}
	wg.Wait()
}

func (st *State) stateFile(suffix string) string {
	return filepath.Join(st.cfg.ManagerWorkdir, st.cfg.App+".failover."+suffix)
}

func (st *State) touchCompleteFile() {
	os.MkdirAll(st.cfg.ManagerWorkdir, 0o700)
	if err := os.WriteFile(st.stateFile("complete"), []byte(st.opts.RunID+"\n"), 0o600); err != nil {
		st.log.Warn("write complete file", "phase", "finish", "host", "-", "error", err)
	}
}

func (st *State) writeErrorFile(cause error) {
	os.MkdirAll(st.cfg.ManagerWorkdir, 0o700)
	msg := fmt.Sprintf("run %s failed after the point of no return: %v\nremove this file once the cluster is repaired\n", st.opts.RunID, cause)
	if err := os.WriteFile(st.stateFile("error"), []byte(msg), 0o600); err != nil {
		st.log.Error("write error file", "phase", "finish", "host", "-", "error", err)
	}
}

// callReportScript runs report_script with MHA's arguments.
func (st *State) callReportScript(ctx context.Context) {
	cmd := st.cfg.Scripts.Report
	if cmd == "" || st.Dead == nil {
		return
	}
	// MHA names the new master and slaves only once the new master is
	// activated, and passes hostnames.
	newHost, slaves := "", []string(nil)
	if nm := st.NewMaster; nm != nil && st.Report.HostResult(nm.Name(), "", "").Status == "recovered" {
		newHost = nm.Server.Hostname
		for _, h := range st.byNames(st.Report.RecoveredReplicaHosts()) {
			slaves = append(slaves, h.Server.Hostname)
		}
	}
	args := hooks.ReportArgs(st.Dead.Server.Hostname, newHost, slaves, st.cfg.Path, report.Subject(st.Report), report.Body(st.Report))
	st.runHook(ctx, "report_script", cmd, args, "")
}

// undo restarts the replication threads this run stopped, and only those:
// a SQL thread the operator had stopped stays stopped.
func (st *State) undo(ctx context.Context) error {
	var errs []error
	for _, h := range st.Replicas {
		for _, t := range []struct {
			stopped bool
			stmt    string
		}{{h.sqlStopped, "START SLAVE SQL_THREAD"}, {h.ioStopped, "START SLAVE IO_THREAD"}} {
			if !t.stopped {
				continue
			}
			if err := execSQL(ctx, h, t.stmt); err != nil {
				errs = append(errs, err)
				continue
			}
			st.Report.Note(t.stmt + " on " + h.Name() + " (undo)")
		}
	}
	return errors.Join(errs...)
}

// partial reports whether a replica could not be recovered.
func (st *State) partial() bool {
	for _, h := range st.Report.Hosts {
		if h.Role == "replica" && h.Status == "failed" {
			return true
		}
	}
	return len(st.Skipped) > 0 && st.pastNoReturn
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
	if err := config.RemoveServerBlock(st.cfg.Path, block, st.pinnedClusterID()); err != nil {
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
