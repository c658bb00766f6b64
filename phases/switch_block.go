package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// Changes a switchover makes before its point of no return, each recorded
// for undo before it is made.
const (
	undoOnlineStart journal.Action = "online_change_revert" // master_ip_online_change_script --command=start back to the old master
	undoMarker      journal.Action = "marker_revert"        // the active-master record names the old master again
	undoStartSlave  journal.Action = "start_slave"          // revert STOP SLAVE on the old master of a dual-master pair
	actOnlineStart  journal.Action = "online_change_start"  // --command=start for the new master
)

// decSwitch is the switchover's plan, journaled under the lock.
const decSwitch = "switch_topology"

// switchDecision is what a resumed or abandoned switchover needs.
type switchDecision struct {
	Orig      string      `json:"orig_master"`
	NewMaster string      `json:"new_master"`
	Replicas  []string    `json:"replicas"`
	Mode      decide.Mode `json:"mode"`
	// OrigIsNewSlave: the old master becomes a replica of the new one.
	OrigIsNewSlave bool `json:"orig_is_new_slave,omitempty"`
	// DualMaster: the old master replicated from the new one.
	DualMaster bool `json:"dual_master,omitempty"`
}

// onlineChangeStop (phase 2) runs master_ip_online_change_script
// --command=stop with MHA's arguments; exit 10 is MHA's "proceed".
func onlineChangeStop(ctx context.Context, st *State) error {
	cmd := st.scripts(st.Orig).MasterIPOnlineChange // MHA runs the original master's
	if cmd == "" {
		return nil
	}
	// The start call that undoes it is recorded first: a crash right after
	// the stop still sends traffic back to the old master.
	if err := st.run.WillChange(ctx, journal.Undo{Host: st.Orig.Name(), Action: undoOnlineStart}); err != nil {
		return err
	}
	return st.onlineChange(ctx, "stop", st.Orig, st.NewMaster)
}

// onlineChange runs the online change hook for a move from orig to to.
func (st *State) onlineChange(ctx context.Context, command string, orig, to *Host) error {
	args := hooks.OnlineChangeArgs(command, checks.HookHost(orig.Server), checks.HookHost(to.Server), orig.Server.User, to.Server.User,
		st.opts.Switch.OrigMasterIsNewSlave)
	sec := hooks.Secrets{OrigMaster: orig.Server.Password.Reveal(), NewMaster: to.Server.Password.Reveal()}
	res := st.runHook(ctx, hooks.OnlineChangeScript, st.scripts(orig).MasterIPOnlineChange, args, sec)
	switch hooks.Outcome(res) {
	case hooks.Abort:
		return hookError(res)
	case hooks.Proceed:
		st.Report.Note(fmt.Sprintf("%s --command=%s exited 10: it failed, but asked to proceed, as MHA allows", hooks.OnlineChangeScript, command))
	}
	return nil
}

func planOnlineChange(st *State) {
	if st.scripts(st.Orig).MasterIPOnlineChange != "" {
		st.Report.Note(fmt.Sprintf("would run %s --command=stop, then --command=start once %s takes writes", hooks.OnlineChangeScript, st.NewMaster.Name()))
	}
}

// stopPairReplication (phase 2, dual-master pairs) stops the old master's
// replication from the new one until the other replicas are repointed:
// otherwise the new master's first writes would reach them through the
// old master before they are repointed at the position recorded before
// those writes, and be applied twice.
func stopPairReplication(ctx context.Context, st *State) error {
	if !st.dual {
		return nil
	}
	o := st.Orig
	if err := st.run.WillChange(ctx, journal.Undo{Host: o.Name(), Action: undoStartSlave}); err != nil {
		return err
	}
	return execSQL(ctx, o, replsql.Stop(hostVersion(o), replsql.BothThreads))
}

// blockWrites (phase 2) stops writes on the old master with read_only. A
// transaction that wrote can no longer commit (read_only refuses it), so
// the binlog is final but for sessions allowed to write under read_only,
// which phase 3 checks for; the stranded sessions are ended after the new
// master took writes (endOldSessions). The undo of the marker is recorded
// here too, so that no fsync falls inside the write-blocked window.
func blockWrites(ctx context.Context, st *State) error {
	o := st.Orig
	for _, a := range []journal.Action{undoWritable, undoMarker} {
		if err := st.run.WillChange(ctx, journal.Undo{Host: o.Name(), Action: a}); err != nil {
			return err
		}
	}
	if err := execSQL(ctx, o, replsql.SetReadOnly(true)); err != nil {
		return err
	}
	st.Report.WritesBlocked(st.deps.Now())
	return nil
}

// endOldSessions (phase 3) ends the old master's client sessions that
// still hold written rows (they cannot commit), and those still running a
// write after --block-wait. They would otherwise hold locks and keep their
// clients from reconnecting to the new master.
func endOldSessions(ctx context.Context, st *State) error {
	return st.endWriters(ctx)
}

// endWriters kills the old master's client sessions that hold uncommitted
// changes, and, after BlockWait, those still running a write.
func (st *State) endWriters(ctx context.Context) error {
	o := st.Orig
	deadline := time.Now().Add(st.opts.switchLimits().BlockWait)
	for {
		ss, err := instance.Sessions(ctx, o.DB, o.Name())
		if err != nil {
			return err
		}
		kill, running := decide.WritersToEnd(sessionViews(ss), time.Now().After(deadline))
		for _, s := range kill {
			if err := instance.KillConnection(ctx, o.DB, o.Name(), s.ID); err != nil {
				return err
			}
			st.Report.Killed(fmt.Sprintf("connection %d (%s): %s", s.ID, s.User, s.Info))
		}
		if running == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for writes on %s to end: %w", o.Name(), ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

func planBlockWrites(st *State) {
	st.Report.Note(fmt.Sprintf("would turn read_only on on %s and, once %s takes writes, kill the sessions left holding uncommitted writes and, after %s, writes still running",
		st.Orig.Name(), st.NewMaster.Name(), st.opts.switchLimits().BlockWait))
}

// writeMarker (phase 2) writes the marker row on the old master: the
// active-master record naming the new master, with this run's id. A
// server has caught up exactly when it holds that row.
func writeMarker(ctx context.Context, st *State) error {
	o := st.Orig
	rec := instance.ActiveMaster{Cluster: st.cluster, Master: st.NewMaster.Name(), Addr: st.NewMaster.Server.Addr(), RunID: st.opts.RunID,
		Operation: string(OpSwitchover), State: instance.RecordSwitching, Prev: o.Name(), Written: st.deps.Now()}
	if err := instance.ReplaceActiveMaster(ctx, o.DB, o.Name(), rec); err != nil {
		return err
	}
	st.Report.Switch.Marker = st.opts.RunID
	if err := st.superReadOnly(ctx, o, true); err != nil {
		return err
	}
	b, gtid, err := instance.BinlogPosition(ctx, o.DB, o.Name(), hostVersion(o))
	if err != nil {
		return err
	}
	st.markerEnd, st.markerGTID = b, gtid
	return nil
}

// createMarkerTable (phase 2) creates mhago.active_master on the old master
// while it still takes writes, and waits until the replicas have it: the
// marker is then one row, and the window shorter by the DDL.
func createMarkerTable(ctx context.Context, st *State) error {
	if err := instance.EnsureActiveMasterTable(ctx, st.Orig.DB, st.Orig.Name()); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, st.opts.switchLimits().CatchUp)
	defer cancel()
	return st.parallel(ctx, st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		return poll(ctx, st.opts.switchLimits().CatchUp, func() (bool, error) {
			return instance.HasActiveMasterTable(ctx, h.DB, h.Name())
		}, "table "+instance.ActiveMasterTable+" on "+h.Name())
	})
}

// superReadOnly sets super_read_only where the server has it (MySQL), so
// that no administrator's session writes after the marker either.
func (st *State) superReadOnly(ctx context.Context, h *Host, on bool) error {
	if !replsql.HasSuperReadOnly(hostVersion(h)) {
		return nil
	}
	s, err := replsql.SetSuperReadOnly(hostVersion(h), on)
	if err != nil {
		return err
	}
	return execSQL(ctx, h, s)
}

func planMarker(st *State) {
	st.Report.Note(fmt.Sprintf("would create %s on %s if missing, then write the marker row (run_id %s) there once writes are blocked",
		instance.ActiveMasterTable, st.Orig.Name(), st.opts.RunID))
}

// waitNewMasterMarker (phase 3) waits until the new master has applied
// the marker row: it then holds everything the old master wrote, and may
// take writes. The other replicas catch up on the marker after that
// (phase 4), so that writes stay blocked only for the new master's
// catch-up, as in MHA.
func waitNewMasterMarker(ctx context.Context, st *State) error {
	limit := st.opts.switchLimits().CatchUp
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := waitForMarker(ctx, st, st.NewMaster); err != nil {
		return fmt.Errorf("new master did not catch up within %s (--catchup-timeout): %w", limit, err)
	}
	return nil
}

// waitForMarker polls h for the marker row every millisecond: writes stay
// blocked until the new master has it, so a coarser poll would lengthen
// the window by as much.
func waitForMarker(ctx context.Context, st *State, h *Host) error {
	for {
		ok, err := instance.HasMarker(ctx, h.DB, h.Name(), st.cluster, st.opts.RunID)
		switch {
		case ok:
			return nil
		case errors.Is(err, instance.ErrUnreachable):
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s has not applied the marker row (last error: %v): %w", h.Name(), err, ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
}

// recordSwitchPosition (phase 3) records where the other replicas start on
// the new master, once it holds the marker and before it takes writes,
// after making sure the old master wrote nothing after the marker. The
// new master's replication from the old master goes on meanwhile: there
// is nothing more to receive, and phase 3 cleanup stops it.
func recordSwitchPosition(ctx context.Context, st *State) error {
	if err := st.checkNothingAfterMarker(ctx); err != nil {
		return err
	}
	nm := st.NewMaster
	b, gtid, err := instance.BinlogPosition(ctx, nm.DB, nm.Name(), hostVersion(nm))
	if err != nil {
		return err
	}
	st.NewMasterFile, st.NewMasterPos, st.NewMasterGTID = b.File, b.Pos, gtid
	st.Report.HostResult(nm.Name(), nm.Server.Addr(), report.RoleNewMaster).After = position(b.File, b.Pos, gtid)
	return st.decide(ctx, "3", decNewMaster, newMasterPosition{File: b.File, Pos: b.Pos, GTID: gtid})
}

// checkNothingAfterMarker makes sure the old master wrote nothing after the
// marker: a session allowed to write under read_only (SUPER, READ_ONLY
// ADMIN) would otherwise lose its commit, which the new master never got.
func (st *State) checkNothingAfterMarker(ctx context.Context) error {
	now, _, err := instance.BinlogPosition(ctx, st.Orig.DB, st.Orig.Name(), hostVersion(st.Orig))
	if err != nil {
		return err
	}
	was := st.markerEnd
	if was == nil || now == nil || (was.File == now.File && was.Pos == now.Pos) {
		return nil
	}
	return fmt.Errorf("%s wrote after writes were blocked (binlog moved from %s:%d to %s:%d): a session with SUPER or READ_ONLY ADMIN writes there; stop it, then switch again",
		st.Orig.Name(), was.File, was.Pos, now.File, now.Pos)
}
