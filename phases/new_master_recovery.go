package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// applyNewMaster (phase 3.5) brings the new master to the latest data.
func applyNewMaster(ctx context.Context, st *State) error {
	return st.applyDiffs(ctx, st.NewMaster)
}

// recordNewMasterPosition (phase 3.5) records where the other replicas
// start on the new master, before it accepts writes: after that its SHOW
// MASTER STATUS has moved on. A resumed run uses the recorded position.
func recordNewMasterPosition(ctx context.Context, st *State) error {
	nm := st.NewMaster
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if st.NewMasterFile == "" && !s.ReadOnly {
		return fmt.Errorf("new master %s already accepts writes, and the earlier run did not record where the other replicas must start on it: repoint them by hand (see the report's positions)", nm.Name())
	}
	if st.NewMasterFile == "" {
		if s.Binlog == nil {
			return fmt.Errorf("new master %s has no binlog (log_bin=OFF)", nm.Name())
		}
		st.NewMasterFile, st.NewMasterPos, st.NewMasterGTID = s.Binlog.File, s.Binlog.Pos, s.GTIDBinlogPos
		err = st.decide(ctx, "3.5", decNewMaster, newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID})
		if err != nil {
			return err
		}
	}
	st.Report.HostResult(nm.Name(), nm.Server.Addr(), report.RoleNewMaster).After = position(st.NewMasterFile, st.NewMasterPos, st.NewMasterGTID)
	return nil
}

// activateNewMaster (phase 3.5) runs master_ip_failover_script
// --command=start, once: a resumed run does not move the VIP again after
// the earlier run did. Exit 10 is MHA's "failed, but proceed". Any other
// failure does not stop the run (the step is Deferred): the new master is
// made writable and the replicas are repointed all the same, and the
// report says exactly what is left; --resume then runs only this hook.
func activateNewMaster(ctx context.Context, st *State) error {
	cmd := st.scripts(st.NewMaster).MasterIPFailover // MHA runs start from the new master's block
	if cmd == "" {
		return nil
	}
	nm := st.NewMaster
	if applied(st.prev, nm.Name(), actHookStart) {
		st.Report.Note(fmt.Sprintf("master_ip_failover_script --command=start already ran for %s in run %s", nm.Name(), st.prev.Run))
		return nil
	}
	if err := st.run.StepStart(ctx, nm.Name(), actHookStart, nil); err != nil {
		return err
	}
	args := hooks.FailoverStartArgs(checks.HookHost(st.Dead.Server), checks.HookHost(nm.Server), nm.Server.User)
	res := st.runHook(ctx, hooks.IPFailoverScript, cmd, args, st.startSecrets())
	var err error
	switch hooks.Outcome(res) {
	case hooks.Abort:
		err = hookError(res)
		st.Report.Leave(phaseActivation, st.vipLeft(res))
	case hooks.Proceed:
		st.Report.Note(fmt.Sprintf("master_ip_failover_script --command=start exited 10 (%s): it failed, but asked to proceed, as MHA allows; check that the application endpoint points at %s",
			lastLine(res.Output+res.Err), nm.Name()))
	}
	st.run.StepEnd(ctx, nm.Name(), actHookStart, err)
	return err
}

// startSecrets are --command=start's passwords: the new master's and the
// dead master's, each in its own variable.
func (st *State) startSecrets() hooks.Secrets {
	return hooks.Secrets{NewMaster: st.NewMaster.Server.Password.Reveal(), OrigMaster: st.Dead.Server.Password.Reveal()}
}

// vipLeft says what a failed --command=start leaves to do, with the
// exact command line (passwords masked).
func (st *State) vipLeft(res hooks.Result) string {
	why := fmt.Sprintf("exit %d", res.ExitCode)
	if res.Err != "" {
		why = res.Err
	}
	if l := lastLine(res.Output); l != "" {
		why += ": " + l
	}
	return fmt.Sprintf("The VIP was not moved to %s: master_ip_failover_script --command=start failed (%s). Once the cause is fixed, "+
		"run `mhago failover --conf %s --resume`, which runs only this hook, or run it by hand: `%s` (put the passwords where xxx stands); then remove %s.",
		st.NewMaster.Server.String(), why, st.cfg.Path, hooks.CommandLine(res), st.stateFile("error"))
}

// makeNewMasterWritable (phase 3.5) opens the new master to writes.
func makeNewMasterWritable(ctx context.Context, st *State) error {
	nm := st.NewMaster
	for _, s := range replsql.Writable(hostVersion(nm)) {
		if err := execSQL(ctx, nm, s); err != nil {
			return err
		}
	}
	st.Report.HostResult(nm.Name(), nm.Server.Addr(), report.RoleNewMaster).Recovered()
	return nil
}

func (st *State) candidate(h *Host) decide.Candidate {
	for _, c := range st.candidates() {
		if c.Name == h.Name() {
			return c
		}
	}
	return decide.Candidate{Name: h.Name()}
}

func position(file string, pos uint64, gtid string) report.Position {
	return report.Position{File: file, Pos: pos, GTID: gtid}
}
