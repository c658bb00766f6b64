package phases

import (
	"context"
	"errors"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

type step = runner.Step[*State]

// Step names that the resume and the plan refer to.
const (
	phaseLock       = "lock"
	pointOfNoReturn = "point of no return"
	phaseActivation = "3.5 new master activation"
)

// failoverSteps is the dead-master failover, in MHA's order. Everything
// before the point of no return only reads or is recorded for undo (the
// replication threads phase 2 and 3.1 stop); everything after it is built
// to be run again, so that a resumed run finishes it.
func failoverSteps() []step {
	return append([]step{
		{Name: "1 configuration check", Kind: runner.Read, Run: checkConfiguration},
		{Name: "1 failover guards", Kind: runner.Read, Run: checkGuards},
		{Name: "1 dead master confirmation", Kind: runner.Read, Run: confirmDeadMaster},
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "1 topology re-check", Kind: runner.Change, Run: recheckTopology},
		{Name: "1 failover locks", Kind: runner.Read, Run: takeFailoverLocks},
		{Name: "agents", Kind: runner.Read, Run: deployAgents},
		{Name: "2 dead master shutdown", Kind: runner.Change, Run: shutdownDeadMaster, Plan: planShutdown},
		{Name: "3.1 latest replicas", Kind: runner.Read, Run: findLatestReplicas},
		{Name: "3.2 save dead master binlog", Kind: runner.Read, Run: saveDeadMasterBinlog},
		{Name: "3.3 new master election", Kind: runner.Read, Run: electNewMaster},
		{Name: "3.4 diff generation", Kind: runner.Read, Run: generateDiffs},
		{Name: "3.4 diff distribution", Kind: runner.Read, Run: distributeDiffs, Plan: planLosses},
		{Name: "3.4 readiness check", Kind: runner.Read, Run: checkReadiness},
		{Name: pointOfNoReturn, Kind: runner.NoReturn},
	}, recoverySteps()...)
}

// recoverySteps follow the point of no return. Each brings hosts to a
// state and checks before it acts (the servers' own GTID state says what
// was applied), so a resumed run runs them again without doing anything
// twice.
func recoverySteps() []step {
	return []step{
		{Name: "3.5 new master apply", Kind: runner.Change, Rerunnable: true, Run: applyNewMaster, Plan: planNewMaster},
		{Name: "3.5 new master position", Kind: runner.Change, Rerunnable: true, Run: recordNewMasterPosition},
		// A failed --command=start does not keep the replicas from
		// being repointed: the run goes on and ends failed (exit 13).
		{Name: phaseActivation, Kind: runner.Change, Deferred: true, Run: activateNewMaster},
		{Name: "3.5 new master writable", Kind: runner.Change, Rerunnable: true, Run: makeNewMasterWritable},
		{Name: phaseVIP, Kind: runner.Change, Rerunnable: true, Deferred: true, Run: moveNewMasterVIP, Plan: planVIP},
		{Name: "3.5 proxies open", Kind: runner.Change, Rerunnable: true, Deferred: true, Run: redirectProxies},
		{Name: "3.5 active-master record", Kind: runner.Change, Rerunnable: true, Optional: true, Run: recordActiveMaster},
		{Name: "4 replica recovery", Kind: runner.Change, Rerunnable: true, Run: recoverReplicas, Plan: planReplicas},
		{Name: "5 new master cleanup", Kind: runner.Change, Rerunnable: true, Run: cleanupNewMaster},
		{Name: "publish topology", Kind: runner.Change, Rerunnable: true, Optional: true, Run: publishTopology},
	}
}

// Failover runs (or, with DryRun, plans) a dead-master failover; with
// Resume it finishes an earlier run, with Abandon it closes one. The
// report is written in every case, also when the run fails.
func Failover(ctx context.Context, deps Deps, opts Options) (*report.Report, error) {
	return runOperation(ctx, newState(deps, opts, OpFailover))
}

// runOperation runs a failover or a switchover, or what the operator chose
// to do with an earlier run that did not finish: the steps differ, the
// runner and the ending are the same.
func runOperation(ctx context.Context, st *State) (*report.Report, error) {
	defer st.close()
	if err := st.prepare(ctx); err != nil {
		return st.Report, st.finishUnstarted(err)
	}
	steps, pastNoReturn, err := st.chooseSteps()
	if err != nil {
		return st.Report, st.finishUnstarted(err)
	}
	st.run = st.newRunner(steps, pastNoReturn)
	runErr := st.run.Run(ctx)
	return st.Report, st.finish(ctx, runErr)
}

// newRunner builds the runner of an operation's steps with the state's
// lock, journal, undo and report.
func (st *State) newRunner(steps []step, pastNoReturn bool) *runner.Runner[*State] {
	return runner.New(runner.Config[*State]{Steps: steps, State: st, DryRun: st.opts.DryRun,
		Timeout: st.cfg.Timeouts.Phase, Report: st.Report, Log: st.log, Warn: st.deps.Warn,
		Lock: st.lockFunc(), Begin: st.beginJournal, Undo: undoChange, Refused: refused,
		PastNoReturn: pastNoReturn, OnPhase: st.phaseProgress})
}

// refused reports errors that stop a run before it changed anything,
// because it should not run at all.
func refused(err error) bool {
	return errors.Is(err, ErrMasterAlive) || errors.Is(err, ErrGuard) || errors.Is(err, coord.ErrLocked) ||
		errors.Is(err, ErrUnfinished) || errors.Is(err, journal.ErrBusy) || errors.Is(err, ErrSwitchRefused) || errors.Is(err, instance.ErrAccessDenied) ||
		errors.Is(err, ErrDiverged) || errors.Is(err, ErrCannotRejoin)
}
