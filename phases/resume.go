package phases

import (
	"context"
	"fmt"
	"strings"

	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/runner"
)

// resumeSteps finish an earlier run that passed its point of no return:
// its plan comes from its journal (same new master, same diff files,
// checked by SHA-256), and the recovery steps, which check each host's own
// state before they act, run again.
func resumeSteps() []step {
	return append([]step{
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "resume: restore the plan", Kind: runner.Read, Run: restorePlan},
		{Name: "agents", Kind: runner.Read, Run: deployAgents},
		{Name: "resume: verify diff files", Kind: runner.Read, Run: verifyDiffFiles},
	}, recoverySteps()...)
}

// restartSteps resume an earlier run that stopped before its point of no
// return: restore what it stopped, then fail over afresh.
func restartSteps(fresh []step) []step {
	var out []step
	for _, s := range fresh {
		out = append(out, s)
		if s.Kind == runner.TakeLock {
			out = append(out, step{Name: "resume: restore what the earlier run stopped", Kind: runner.Change, Run: restoreEarlierRun, Plan: planRestore})
		}
	}
	return out
}

// abandonSteps close an earlier run without finishing it. Before its point
// of no return, what it stopped is restarted; after it, nothing on the
// servers is touched and the error file keeps failovers off until the
// operator has repaired the cluster.
func abandonSteps(pastNoReturn bool) []step {
	if pastNoReturn {
		return []step{
			{Name: phaseLock, Kind: runner.TakeLock},
			{Name: "abandon: close the earlier run", Kind: runner.Change, Run: closeAbandoned, Plan: planCloseAbandoned},
		}
	}
	return []step{
		{Name: "connect", Kind: runner.Read, Run: connectHosts},
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "abandon: restore what the earlier run stopped", Kind: runner.Change, Run: restoreEarlierRun, Plan: planRestore},
	}
}

// restoreEarlierRun takes over the changes the earlier run never reverted
// (recorded in this run's journal first, so a crash now loses nothing),
// closes its journal and reverts them.
func restoreEarlierRun(ctx context.Context, st *State) error {
	st.Report.Note("earlier run: " + st.prev.StoppedAt())
	if err := st.run.Adopt(ctx, st.prev.PendingUndo); err != nil {
		return err
	}
	st.closeEarlierRuns(endFor(st.opts))
	if len(st.prev.PendingUndo) == 0 {
		st.Report.Note(fmt.Sprintf("run %s left nothing to restore", st.prev.Run))
		return nil
	}
	return st.run.Revert(ctx)
}

func endFor(o Options) string {
	if o.Abandon {
		return journal.EndAbandoned
	}
	return journal.EndResumed
}

// closeAbandoned closes a run abandoned after its point of no return: the
// cluster is half changed, so the error file blocks failovers until the
// operator has looked.
func closeAbandoned(ctx context.Context, st *State) error {
	st.Report.Note("abandoned: " + st.prev.StoppedAt())
	st.closeEarlierRuns(journal.EndAbandoned)
	return st.writeErrorFile(fmt.Errorf("run %s was abandoned after its point of no return (%s)", st.prev.Run, st.prev.StoppedAt()))
}

// restorePlan rebuilds the earlier run's decisions from its journal and
// connects to every host. Its records are carried into this run's journal
// before the earlier one is closed, so the plan survives a crash now too.
func restorePlan(ctx context.Context, st *State) error {
	p := st.prev
	st.Report.Note("resuming " + p.StoppedAt())
	if err := st.carryPlan(ctx); err != nil {
		return err
	}
	st.closeEarlierRuns(journal.EndResumed)
	st.connectAll(ctx)
	if err := st.restoreTopology(); err != nil {
		return err
	}
	if err := st.restoreElection(); err != nil {
		return err
	}
	if err := st.restoreDiffs(); err != nil {
		return err
	}
	st.restoreNewMasterPosition()
	if nm := st.NewMaster; nm.DB == nil || nm.Status == nil {
		return fmt.Errorf("new master %s chosen by run %s does not answer over MySQL (%v): bring it back, then resume again; no other master is promoted",
			nm.Name(), p.Run, nm.SQLErr)
	}
	return nil
}

// carryPlan copies what a resumed run needs (decisions, host changes and
// the point of no return) into this run's journal.
func (st *State) carryPlan(ctx context.Context) error {
	var recs []journal.Record
	for _, r := range st.prev.Records {
		switch r.Kind {
		case journal.KindDecision, journal.KindStep, journal.KindStepEnd, journal.KindNoReturn:
			recs = append(recs, r)
		}
	}
	return st.run.Carry(ctx, recs)
}

func (st *State) restoreTopology() error {
	var t topologyDecision
	if err := st.needDecision(decTopology, &t); err != nil {
		return err
	}
	var frozen map[string]frozenCoords
	if err := st.needDecision(decFrozen, &frozen); err != nil {
		return err
	}
	st.Dead = st.host(t.Dead)
	st.Mode, st.SSHReachable = t.Mode, t.SSH
	if st.Dead == nil {
		return fmt.Errorf("dead master %s of run %s is no longer in %s", t.Dead, st.prev.Run, st.cfg.Path)
	}
	st.Report.SetDeadMaster(st.Dead.Name(), st.Dead.Server.Addr())
	for _, name := range t.Replicas {
		h := st.host(name)
		if h == nil {
			return fmt.Errorf("replica %s of run %s is no longer in %s", name, st.prev.Run, st.cfg.Path)
		}
		f, ok := frozen[name]
		if !ok {
			return fmt.Errorf("journal of run %s has no coordinates for %s", st.prev.Run, name)
		}
		h.Frozen = f.replicaStatus()
		st.Replicas = append(st.Replicas, h)
		st.Report.HostResult(name, h.Server.Addr(), "replica").Before = position(f.MasterLogFile, f.ReadMasterLogPos, f.GTID)
	}
	for _, name := range t.Skipped {
		if h := st.host(name); h != nil {
			st.Skipped = append(st.Skipped, h)
			st.Report.HostResult(name, h.Server.Addr(), "replica").Skip("skipped by run " + st.prev.Run + " (ignore_fail=1)")
		}
	}
	return nil
}

func (st *State) restoreElection() error {
	var e electionDecision
	if err := st.needDecision(decElection, &e); err != nil {
		return err
	}
	st.NewMaster, st.Base = st.host(e.NewMaster), st.host(e.Base)
	if st.NewMaster == nil {
		return fmt.Errorf("new master %s of run %s is no longer in %s", e.NewMaster, st.prev.Run, st.cfg.Path)
	}
	st.Report.SetNewMaster(st.NewMaster.Name(), st.NewMaster.Server.Addr())
	st.Report.HostResult(st.NewMaster.Name(), st.NewMaster.Server.Addr(), "new_master")
	st.Report.Note(fmt.Sprintf("new master %s as chosen by run %s (not elected again)", e.NewMaster, st.prev.Run))
	return nil
}

func (st *State) restoreDiffs() error {
	var diffs map[string][]diffRecord
	if err := st.needDecision(decDiffs, &diffs); err != nil {
		return err
	}
	for _, h := range st.Replicas {
		for _, r := range diffs[h.Name()] {
			if r.Result == nil {
				return fmt.Errorf("the journal of run %s records diff %s for %s without its checksum", st.prev.Run, r.Path, h.Name())
			}
			d := r.diffFile()
			h.diffs = append(h.diffs, d)
			st.reportDiff(h, d)
		}
	}
	return nil
}

func (st *State) restoreNewMasterPosition() {
	var p newMasterPosition
	if ok, err := st.prev.Decision(decNewMaster, &p); ok && err == nil {
		st.NewMasterFile, st.NewMasterPos, st.NewMasterGTID = p.File, p.Pos, p.GTID
	}
}

func (st *State) needDecision(name string, v any) error {
	ok, err := st.prev.Decision(name, v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("the journal of run %s has no %s decision, though it passed its point of no return: finish by hand (see its report)", st.prev.Run, name)
	}
	return nil
}

// verifyDiffFiles checks, on each host, every diff file it is to apply
// against the SHA-256 recorded when it was made: a file changed or lost
// since is never applied. The new master's must all be there; a replica
// missing one is reported and left out.
func verifyDiffFiles(ctx context.Context, st *State) error {
	return st.parallel(ctx, st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		for _, d := range h.diffs {
			if err := st.verifyDiff(ctx, h, d); err != nil {
				if h == st.NewMaster {
					return err
				}
				h.cannot = err.Error()
				st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Fail(err)
				return nil
			}
		}
		return nil
	})
}

func (st *State) verifyDiff(ctx context.Context, h *Host, d diffFile) error {
	if h.SSH == nil {
		return fmt.Errorf("%s: no SSH connection to check diff %s: %v", h.Name(), d.path, h.SSHErr)
	}
	got, err := remoteSHA256(ctx, h, d.path)
	if err != nil {
		return err
	}
	if got != d.result.SHA256 {
		return fmt.Errorf("%s: diff %s has SHA-256 %s, the journal recorded %s: it changed since it was made; not applying it",
			h.Name(), d.path, orDash(got), d.result.SHA256)
	}
	return nil
}

func orDash(s string) string {
	if strings.TrimSpace(s) == "" {
		return "-"
	}
	return s
}
