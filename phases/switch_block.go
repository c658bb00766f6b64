package phases

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/replsql"
)

// Changes a switchover makes before its point of no return, each recorded
// for undo before it is made.
const (
	undoWritable    journal.Action = "old_master_writable"  // revert read_only=1 on the old master
	undoStartSlave  journal.Action = "start_slave"          // revert STOP SLAVE on the new master
	undoOnlineStart journal.Action = "online_change_revert" // master_ip_online_change_script --command=start back to the old master
	undoMarker      journal.Action = "marker_revert"        // the active-master record names the old master again
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
}

// onlineChangeStop (phase 2) runs master_ip_online_change_script
// --command=stop with MHA's arguments; exit 10 is MHA's "proceed".
func onlineChangeStop(ctx context.Context, st *State) error {
	cmd := st.cfg.Scripts.MasterIPOnlineChange
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
	res := st.runHook(ctx, hooks.OnlineChangeScript, st.cfg.Scripts.MasterIPOnlineChange, args, sec)
	switch hooks.Outcome(res) {
	case hooks.Abort:
		return hookError(res)
	case hooks.Proceed:
		st.Report.Note(fmt.Sprintf("%s --command=%s exited 10: it failed, but asked to proceed, as MHA allows", hooks.OnlineChangeScript, command))
	}
	return nil
}

func planOnlineChange(st *State) {
	if st.cfg.Scripts.MasterIPOnlineChange != "" {
		st.Report.Note(fmt.Sprintf("would run %s --command=stop, then --command=start once %s takes writes", hooks.OnlineChangeScript, st.NewMaster.Name()))
	}
}

// blockWrites (phase 2) stops writes on the old master: read_only (and
// super_read_only where it exists, after the marker), then the sessions
// that still hold written, uncommitted rows are killed (they can no longer
// commit), and writes still running get BlockWait to finish before they
// are killed too.
func blockWrites(ctx context.Context, st *State) error {
	o := st.Orig
	if err := st.run.WillChange(ctx, journal.Undo{Host: o.Name(), Action: undoWritable}); err != nil {
		return err
	}
	if err := execSQL(ctx, o, replsql.SetReadOnly(true)); err != nil {
		return err
	}
	st.Report.WritesBlocked(st.deps.Now())
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
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func planBlockWrites(st *State) {
	st.Report.Note(fmt.Sprintf("would set read_only=1 on %s, kill sessions holding uncommitted writes and, after %s, writes still running",
		st.Orig.Name(), st.opts.switchLimits().BlockWait))
}

// writeMarker (phase 2) writes the marker row on the old master: the
// active-master record naming the new master, with this run's id. A
// server has caught up exactly when it holds that row.
func writeMarker(ctx context.Context, st *State) error {
	o := st.Orig
	if err := st.run.WillChange(ctx, journal.Undo{Host: o.Name(), Action: undoMarker}); err != nil {
		return err
	}
	rec := instance.ActiveMaster{Cluster: st.cluster, Master: st.NewMaster.Name(), Addr: st.NewMaster.Server.Addr(), RunID: st.opts.RunID,
		Operation: string(OpSwitchover), State: instance.RecordSwitching, Prev: o.Name(), Written: st.deps.Now()}
	if s, err := refresh(ctx, o); err == nil && s.Binlog != nil {
		rec.PrevFile, rec.PrevPos, rec.PrevGTID = s.Binlog.File, s.Binlog.Pos, gtidOf(o)
	}
	if err := instance.WriteActiveMaster(ctx, o.DB, o.Name(), rec); err != nil {
		return err
	}
	st.Report.Switch.Marker = st.opts.RunID
	if err := st.superReadOnly(ctx, o, true); err != nil {
		return err
	}
	s, err := refresh(ctx, o)
	if err != nil {
		return err
	}
	st.markerEnd = s.Binlog
	return nil
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
	st.Report.Note(fmt.Sprintf("would write the marker row (%s, run_id %s) on %s and wait until every replica holds it",
		instance.ActiveMasterTable, st.opts.RunID, st.Orig.Name()))
}

// waitMarker (phase 3) waits until every replica, the new master first
// among them, has applied the marker row: then each holds everything the
// old master wrote. No position arithmetic is involved.
func waitMarker(ctx context.Context, st *State) error {
	ctx, cancel := context.WithTimeout(ctx, st.opts.switchLimits().CatchUp)
	defer cancel()
	var mu sync.Mutex
	var late []string
	st.parallel(ctx, st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		if err := waitForMarker(ctx, st, h); err != nil {
			mu.Lock()
			late = append(late, err.Error())
			mu.Unlock()
		}
		return nil
	})
	if len(late) > 0 {
		return fmt.Errorf("replicas did not catch up within %s (--catchup-timeout): %v", st.opts.switchLimits().CatchUp, late)
	}
	return nil
}

// stopNewMasterReplication (phase 3) stops the new master's replication
// from the old master, recorded for undo; in a dual-master pair the old
// master keeps replicating from it.
func stopNewMasterReplication(ctx context.Context, st *State) error {
	nm := st.NewMaster
	if err := st.run.WillChange(ctx, journal.Undo{Host: nm.Name(), Action: undoStartSlave}); err != nil {
		return err
	}
	if err := execSQL(ctx, nm, replsql.Stop(hostVersion(nm), replsql.BothThreads)); err != nil {
		return err
	}
	return st.checkNothingAfterMarker(ctx)
}

// checkNothingAfterMarker makes sure the old master wrote nothing after the
// marker: a session allowed to write under read_only (SUPER, READ_ONLY
// ADMIN) would otherwise lose its commit, which the new master never got.
func (st *State) checkNothingAfterMarker(ctx context.Context) error {
	s, err := refresh(ctx, st.Orig)
	if err != nil {
		return err
	}
	was, now := st.markerEnd, s.Binlog
	if was == nil || now == nil || (was.File == now.File && was.Pos == now.Pos) {
		return nil
	}
	return fmt.Errorf("%s wrote after writes were blocked (binlog moved from %s:%d to %s:%d): a session with SUPER or READ_ONLY ADMIN writes there; stop it, then switch again",
		st.Orig.Name(), was.File, was.Pos, now.File, now.Pos)
}

// waitForMarker polls h for the marker row every 2 ms: writes stay blocked
// until the last replica has it, so a coarser poll would lengthen the
// window by as much.
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
		case <-time.After(2 * time.Millisecond):
		}
	}
}
