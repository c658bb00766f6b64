package phases

import (
	"context"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

// Step names of the switchover that the plan and the undo refer to.
const (
	phaseBlockWrites  = "2 block writes"
	phaseSwitchPONR   = "point of no return"
	phaseOpenNewWrite = "3 new master takes writes"
)

// switchoverSteps is the planned switchover (MHA's masterha_master_switch
// --master_state=alive), on the runner failover uses. Before the point of
// no return every change is recorded for undo, so any failure (a proxy
// that does not answer, a replica that does not catch up, a crash) puts
// the old master back in charge. The point of no return is the moment the
// new master takes writes; what follows is built to be run again.
func switchoverSteps() []step {
	return []step{
		{Name: "1 guards", Kind: runner.Read, Run: checkSwitchGuards},
		{Name: "1 configuration check", Kind: runner.Read, Run: checkSwitchover},
		{Name: "1 running updates check", Kind: runner.Read, Run: checkRunningUpdates},
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "1 topology re-check", Kind: runner.Read, Run: recheckSwitchover},
		{Name: "agents", Kind: runner.Read, Run: deploySwitchAgents},
		{Name: "2 marker table", Kind: runner.Change, Run: createMarkerTable},
		{Name: "2 online change stop", Kind: runner.Change, Run: onlineChangeStop, Plan: planOnlineChange},
		{Name: "2 proxies stop", Kind: runner.Change, Run: stopProxies, Plan: planProxies},
		{Name: "2 VIP off old master", Kind: runner.Change, Run: releaseOldVIP, Plan: planSwitchVIP},
		{Name: "2 pair replication stop", Kind: runner.Change, Run: stopPairReplication},
		{Name: phaseBlockWrites, Kind: runner.Change, Run: blockWrites, Plan: planBlockWrites},
		{Name: "2 marker", Kind: runner.Change, Run: writeMarker, Plan: planMarker},
		{Name: "3 new master caught up", Kind: runner.Change, Run: waitNewMasterMarker},
		{Name: "3 new master position", Kind: runner.Change, Run: recordSwitchPosition},
		{Name: phaseSwitchPONR, Kind: runner.NoReturn},
		{Name: phaseOpenNewWrite, Kind: runner.Change, Rerunnable: true, Run: openNewMaster, Plan: planOpenNewMaster},
		{Name: "3 proxies open", Kind: runner.Change, Rerunnable: true, Deferred: true, Run: openProxies},
		{Name: "3 new master VIP", Kind: runner.Change, Rerunnable: true, Deferred: true, Run: addNewVIP},
		{Name: "3 online change start", Kind: runner.Change, Deferred: true, Run: onlineChangeStart},
		{Name: "3 old master sessions", Kind: runner.Change, Rerunnable: true, Optional: true, Run: endOldSessions},
		{Name: "3 new master cleanup", Kind: runner.Change, Rerunnable: true, Run: cleanupSwitched},
		{Name: "4 replica repoint", Kind: runner.Change, Rerunnable: true, Run: repointSwitched, Plan: planRepointSwitched},
		{Name: "4 orig master as replica", Kind: runner.Change, Rerunnable: true, Run: origAsReplica, Plan: planOrigAsReplica},
		{Name: "active master record", Kind: runner.Change, Rerunnable: true, Optional: true, Run: writeActiveRecord},
		{Name: "publish topology", Kind: runner.Change, Rerunnable: true, Optional: true, Run: publishTopology},
	}
}

// Switchover runs (or, with DryRun, plans) a planned switchover from the
// live master to opts.NewMaster (or the replica MHA's rules pick). The
// report is written in every case.
func Switchover(ctx context.Context, deps Deps, opts Options) (*report.Report, error) {
	return runOperation(ctx, newState(deps, opts, OpSwitchover))
}

// switchLimits are the operator's limits with MHA's defaults filled in.
func (o Options) switchLimits() SwitchOptions {
	s := o.Switch
	if s.Limits.RunningUpdates == 0 {
		s.Limits.RunningUpdates = time.Second
	}
	if s.Limits.ReplicaLag == 0 {
		s.Limits.ReplicaLag = 30 * time.Second
	}
	if s.Limits.NewMasterQueries == 0 {
		s.Limits.NewMasterQueries = 10 * time.Second
	}
	if s.BlockWait == 0 {
		s.BlockWait = 500 * time.Millisecond
	}
	if s.CatchUp == 0 {
		s.CatchUp = 30 * time.Second
	}
	return s
}

// checkSwitchGuards refuses while an earlier run left the cluster half
// changed (its error file), or the config file is older than the
// cluster's.
func checkSwitchGuards(ctx context.Context, st *State) error {
	if err := st.errorFileGuard(); err != nil {
		return err
	}
	return checkConfigVersion(ctx, st)
}
