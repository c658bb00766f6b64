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
// the earlier run did.
func activateNewMaster(ctx context.Context, st *State) error {
	cmd := st.cfg.Scripts.MasterIPFailover
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
	res := st.runHook(ctx, "master_ip_failover_script", cmd, args, nm.Server.Password.Reveal())
	var err error
	if ok, _ := hooks.Outcome(res); !ok {
		err = hookError(res)
	}
	st.run.StepEnd(ctx, nm.Name(), actHookStart, err)
	return err
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
