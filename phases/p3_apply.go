package phases

import (
	"context"
	"fmt"
	"path"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
)

type agentErr = agentctl.Error

// generateDiffs (phase 3.4) computes every replica's diffs, in the order
// they must be applied: its own relay logs from where its SQL thread
// stopped (exec), the base replica's relay logs from where its IO thread
// stopped (read), then the dead master's saved binlog. A dry run stops after
// this phase and reports the sizes.
func generateDiffs(ctx context.Context, st *State) error {
	return st.parallel(ctx, st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		if h.lackRelayLogs {
			return nil
		}
		if err := st.planDiffs(ctx, h); err != nil {
			st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Fail(err)
			if h == st.NewMaster {
				return err
			}
		}
		return nil
	})
}

func (st *State) planDiffs(ctx context.Context, h *Host) error {
	plan := decide.PlanDiffs(st.candidate(h), st.candidate(st.Base))
	if plan.NeedExec {
		res, err := h.Agent.Diff(ctx, st.execRequest(h, path.Join(h.Agent.Dir(), "exec_diff.binlog")))
		if err != nil {
			return fmt.Errorf("exec diff of %s: %w", h.Name(), err)
		}
		st.addDiff(h, diffFile{kind: "exec", host: h, path: res.Extract.Output, result: res.Extract})
	}
	if plan.NeedRead {
		out := path.Join(st.Base.Agent.Dir(), "read_diff_for_"+h.Name()+".binlog")
		res, err := st.Base.Agent.Diff(ctx, st.findRequest(st.Base, h, out))
		if err != nil {
			return fmt.Errorf("relay diff for %s from %s: %w", h.Name(), st.Base.Name(), err)
		}
		if !res.AllApplied {
			st.addDiff(h, diffFile{kind: "read", host: st.Base, path: res.Extract.Output, result: res.Extract})
		}
	}
	if st.Saved != nil {
		st.addDiff(h, *st.Saved)
	}
	return nil
}

func (st *State) addDiff(h *Host, d diffFile) {
	h.diffs = append(h.diffs, d)
	r := d.result
	st.Report.HostResult(h.Name(), h.Server.Addr(), "").AddDiff(report.Diff{Kind: d.kind, From: d.host.Name(), Bytes: r.Bytes,
		Events: r.Events, Transactions: r.Transactions, FirstGTID: r.FirstGTID, LastGTID: r.LastGTID})
}

// applyDiffs copies h's diffs next to its agent (streaming through the
// manager) and replays them in one session.
func (st *State) applyDiffs(ctx context.Context, h *Host) error {
	var files []string
	for i, d := range h.diffs {
		p := d.path
		if d.host != h {
			p = path.Join(h.Agent.Dir(), fmt.Sprintf("%d_%s_from_%s.binlog", i, d.kind, d.host.Name()))
			if _, err := remote.Copy(ctx, d.host.Agent.Client(), d.path, h.Agent.Client(), p, nil); err != nil {
				return fmt.Errorf("copy %s diff from %s to %s: %w", d.kind, d.host.Name(), h.Name(), err)
			}
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		return nil
	}
	s := h.Server
	res, err := h.Agent.Apply(ctx, proto.ApplyRequest{Files: files, Host: s.IP, Port: s.Port, User: s.User,
		Password: s.Password.Reveal(), ClientBindir: s.ClientBindir, DisableLogBin: s.DisableLogBin, Workdir: h.Agent.Dir()})
	if err != nil {
		return fmt.Errorf("apply diffs on %s: %w", h.Name(), err)
	}
	st.Report.HostResult(h.Name(), s.Addr(), "").Applied(res.Bytes, res.Events, res.Transactions)
	if res.Trimmed > 0 {
		st.Report.Note(fmt.Sprintf("%s: %d events of a transaction the dead master never committed were not applied", h.Name(), res.Trimmed))
	}
	return nil
}

// recoverNewMaster (phase 3.5) brings the new master to the latest data,
// records its binlog position for the others, runs the IP start hook and
// makes it writable.
func recoverNewMaster(ctx context.Context, st *State) error {
	nm := st.NewMaster
	if err := st.applyDiffs(ctx, nm); err != nil {
		return err
	}
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if s.Binlog == nil {
		return fmt.Errorf("new master %s has no binlog (log_bin=OFF)", nm.Name())
	}
	st.NewMasterFile, st.NewMasterPos, st.NewMasterGTID = s.Binlog.File, s.Binlog.Pos, s.GTIDBinlogPos
	st.Report.HostResult(nm.Name(), nm.Server.Addr(), "new_master").After = position(s.Binlog.File, s.Binlog.Pos, gtidOf(nm))
	if cmd := st.cfg.Scripts.MasterIPFailover; cmd != "" {
		args := hooks.FailoverStartArgs(checks.HookHost(st.Dead.Server), checks.HookHost(nm.Server), nm.Server.User)
		res := st.runHook(ctx, "master_ip_failover_script", cmd, args, nm.Server.Password.Reveal())
		if ok, _ := hooks.Outcome(res); !ok {
			return hookError(res)
		}
	}
	if err := execSQL(ctx, nm, "SET GLOBAL read_only = 0"); err != nil {
		return err
	}
	st.Report.HostResult(nm.Name(), nm.Server.Addr(), "new_master").Recovered()
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
