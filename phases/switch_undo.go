package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/runner"
)

// undoSwitch reverts a change a switchover made before its point of no
// return; handled is false for changes it does not know. It works from the
// journal alone (host and action), so that --abandon after a crash
// restores the old master as well as an abort does.
func (st *State) undoSwitch(ctx context.Context, u journal.Undo) (handled bool, err error) {
	switch u.Action {
	case undoProxies:
		return true, st.openProxiesTo(ctx, u.Host, u.Host)
	case undoVIPBack:
		if h := st.host(u.Host); h != nil {
			return true, st.vipBack(ctx, h)
		}
		return true, fmt.Errorf("VIP back on %s: not in the config", u.Host)
	case undoWritable, undoOnlineStart, undoMarker, undoStartSlave:
	default:
		return false, nil
	}
	h := st.host(u.Host)
	if h == nil || h.DB == nil {
		return true, fmt.Errorf("no MySQL connection to %s", u.Host)
	}
	switch u.Action {
	case undoWritable:
		err = execSQL(ctx, h, replsql.SetReadOnly(false))
		if err == nil {
			st.Report.RolledBack()
			st.Report.Note(fmt.Sprintf("%s takes writes again (read_only off, undo)", h.Name()))
		}
	case undoStartSlave:
		err = execSQL(ctx, h, replsql.Start(hostVersion(h), replsql.BothThreads))
	case undoOnlineStart:
		err = st.onlineChange(ctx, "start", st.switchTarget(h), h)
	case undoMarker:
		err = st.restoreRecord(ctx, h)
	}
	return true, err
}

// switchTarget is the master a switchover meant to promote, read from this
// run or the journal of the run being abandoned; orig itself when unknown.
func (st *State) switchTarget(orig *Host) *Host {
	if st.NewMaster != nil {
		return st.NewMaster
	}
	var d switchDecision
	if st.prev != nil {
		if ok, _ := st.prev.Decision(decSwitch, &d); ok {
			if h := st.host(d.NewMaster); h != nil {
				return h
			}
		}
	}
	return orig
}

// restoreRecord writes the active-master record naming h, the old master,
// again: the marker of a switchover that did not happen must not name a
// master that never took over. super_read_only (MySQL) is lifted first.
func (st *State) restoreRecord(ctx context.Context, h *Host) error {
	if err := st.superReadOnly(ctx, h, false); err != nil {
		return err
	}
	rec := instance.ActiveMaster{Cluster: st.cluster, Master: h.Name(), Addr: h.Server.Addr(), RunID: st.opts.RunID,
		Operation: string(OpSwitchover) + "-rollback", State: instance.RecordActive, Written: st.deps.Now()}
	return instance.WriteActiveMaster(ctx, h.DB, h.Name(), rec)
}

// switchResumeSteps finish a switchover that passed its point of no
// return: its plan comes from its journal, and the steps after the point
// of no return, which check each host before they act, run again.
func switchResumeSteps() []step {
	out := []step{
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "resume: restore the switchover plan", Kind: runner.Read, Run: restoreSwitchPlan},
	}
	past := false
	for _, s := range switchoverSteps() {
		if past {
			out = append(out, s)
		}
		past = past || s.Kind == runner.NoReturn
	}
	return out
}

// restoreSwitchPlan rebuilds the switchover's plan (masters, replicas, the
// new master's recorded position) from the earlier run's journal.
func restoreSwitchPlan(ctx context.Context, st *State) error {
	p := st.prev
	st.Report.Note("resuming " + p.StoppedAt())
	if err := st.carryPlan(ctx); err != nil {
		return err
	}
	st.closeEarlierRuns(journal.EndResumed)
	st.connectAll(ctx)
	var d switchDecision
	if err := st.needDecision(decSwitch, &d); err != nil {
		return err
	}
	st.Orig, st.NewMaster, st.Mode, st.dual = st.host(d.Orig), st.host(d.NewMaster), d.Mode, d.DualMaster
	st.opts.Switch.OrigMasterIsNewSlave = st.opts.Switch.OrigMasterIsNewSlave || d.OrigIsNewSlave
	if st.Orig == nil || st.NewMaster == nil {
		return fmt.Errorf("the masters of run %s (%s, %s) are no longer both in %s", p.Run, d.Orig, d.NewMaster, st.cfg.Path)
	}
	st.Report.SetOrigMaster(st.Orig.Name(), st.Orig.Server.Addr())
	st.Report.SetNewMaster(st.NewMaster.Name(), st.NewMaster.Server.Addr())
	st.Replicas = st.byNames(d.Replicas)
	st.restoreNewMasterPosition()
	if st.NewMasterFile == "" {
		return fmt.Errorf("run %s passed its point of no return without a recorded position on %s: repoint the replicas by hand", p.Run, st.NewMaster.Name())
	}
	for _, h := range append([]*Host{st.Orig, st.NewMaster}, st.Replicas...) {
		if h.Status == nil {
			return fmt.Errorf("%s does not answer over MySQL (%v): bring it back, then resume again", h.Name(), h.SQLErr)
		}
	}
	return nil
}
