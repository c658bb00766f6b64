package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// openNewMaster (phase 3, past the point of no return) lets the new master
// take writes. It is the end of the write-blocked window.
func openNewMaster(ctx context.Context, st *State) error {
	if err := makeNewMasterWritable(ctx, st); err != nil {
		return err
	}
	st.Report.WritesOpened(st.deps.Now())
	return nil
}

func planOpenNewMaster(st *State) {
	st.Report.Note(fmt.Sprintf("would wait until %s holds the marker, record its binlog position and turn read_only off on it (the point of no return), then stop and reset its replication from %s",
		st.NewMaster.Name(), st.Orig.Name()))
	st.Report.HostResult(st.NewMaster.Name(), st.NewMaster.Server.Addr(), report.RoleNewMaster).Plan()
}

// onlineChangeStart (phase 3) runs master_ip_online_change_script
// --command=start for the new master, once.
func onlineChangeStart(ctx context.Context, st *State) error {
	if st.scripts(st.Orig).MasterIPOnlineChange == "" {
		return nil
	}
	nm := st.NewMaster
	if applied(st.prev, nm.Name(), actOnlineStart) {
		return nil
	}
	if err := st.run.StepStart(ctx, nm.Name(), actOnlineStart, nil); err != nil {
		return err
	}
	err := st.onlineChange(ctx, "start", st.Orig, nm)
	st.run.StepEnd(ctx, nm.Name(), actOnlineStart, err)
	return err
}

// repointSwitched (phase 4) points the other replicas at the new master, at
// the position recorded before it took writes, all at once. They hold the
// marker, and the old master wrote nothing after it, so they hold exactly
// what the new master held at that position.
func repointSwitched(ctx context.Context, st *State) error {
	st.eachOtherReplica(ctx, "repoint", st.repointCaughtUp)
	return nil
}

// repointCaughtUp waits until a replica holds the marker, repoints it and
// waits until it replicates. A resumed run finds it repointed already.
func (st *State) repointCaughtUp(ctx context.Context, h *Host) error {
	if err := st.awaitMarker(ctx, h); err != nil {
		return err
	}
	if err := st.repoint(ctx, h); err != nil {
		return err
	}
	s, err := waitReplicating(ctx, h)
	if err != nil {
		return err
	}
	st.Report.HostResult(h.Name(), "", "").After = position(s.Replica.MasterLogFile, s.Replica.ReadMasterLogPos, gtidOf(h))
	return nil
}

func planRepointSwitched(st *State) {
	for _, h := range st.Replicas {
		if h == st.NewMaster {
			continue
		}
		st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica).Plan()
		st.Report.Note(fmt.Sprintf("would repoint %s to %s at the position %s records just before it takes writes", h.Name(), st.NewMaster.Name(), st.NewMaster.Name()))
	}
}

// origAsReplica (phase 4) makes the old master a replica of the new one
// (--orig-master-is-new-slave); it keeps read_only. In a dual-master pair
// it already replicates from the new master and only needs its threads.
func origAsReplica(ctx context.Context, st *State) error {
	if !st.opts.Switch.OrigMasterIsNewSlave && !st.dualMaster() {
		st.Report.Note(fmt.Sprintf("%s stays read-only and replicates from nobody (pass --orig-master-is-new-slave to make it a replica of %s)",
			st.Orig.Name(), st.NewMaster.Name()))
		return nil
	}
	r := st.Report.HostResult(st.Orig.Name(), st.Orig.Server.Addr(), report.RoleOrigMaster)
	if err := st.repointCaughtUp(ctx, st.Orig); err != nil {
		r.Fail(err)
		return err
	}
	r.Recovered()
	return nil
}

func planOrigAsReplica(st *State) {
	if st.opts.Switch.OrigMasterIsNewSlave || st.dualMaster() {
		st.Report.Note(fmt.Sprintf("would make %s a replica of %s", st.Orig.Name(), st.NewMaster.Name()))
	}
}

// dualMaster tells a dual-master pair: the old master replicated from the
// new one when the switchover started (a resumed run reads the journal).
func (st *State) dualMaster() bool { return st.dual }

// cleanupSwitched (phase 3) stops the new master's replication from the
// old master and drops its settings, before the old master may become its
// replica; in a dual-master pair it keeps replicating from the old master,
// which is now the passive one.
func cleanupSwitched(ctx context.Context, st *State) error {
	if !st.dualMaster() {
		return cleanupNewMaster(ctx, st)
	}
	nm := st.NewMaster
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if s.Replica != nil && s.Replica.IORunningYes() && s.Replica.SQLRunningYes() {
		return nil
	}
	return execSQL(ctx, nm, replsql.Start(hostVersion(nm), replsql.BothThreads))
}

// writeActiveRecord writes the active-master record on the new master: it
// reaches every replica, and names the master that the old one, should it
// wake up writable, cannot contradict. Prev* is where the old master's
// history ends (its binlog right after the marker), which a later rejoin
// of the old master compares its binlog with.
func writeActiveRecord(ctx context.Context, st *State) error {
	nm := st.NewMaster
	rec := instance.ActiveMaster{Cluster: st.cluster, Master: nm.Name(), Addr: nm.Server.Addr(), RunID: st.opts.RunID,
		Operation: string(st.op), State: instance.RecordActive, Prev: st.Orig.Name(),
		File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID, Written: st.deps.Now()}
	if b := st.markerEnd; b != nil {
		rec.PrevFile, rec.PrevPos, rec.PrevGTID = b.File, b.Pos, st.markerGTID
	} else if prev, ok, err := instance.ReadActiveMaster(ctx, nm.DB, nm.Name(), st.cluster); err == nil && ok && prev.RunID == st.opts.RunID {
		rec.PrevFile, rec.PrevPos, rec.PrevGTID = prev.PrevFile, prev.PrevPos, prev.PrevGTID // a resumed run
	}
	return instance.WriteActiveMaster(ctx, nm.DB, nm.Name(), rec)
}

// awaitMarker waits, within --catchup-timeout, until h has applied the
// marker, unless it replicates from the new master already (a resumed
// run, or the old master of a dual-master pair, which wrote it).
func (st *State) awaitMarker(ctx context.Context, h *Host) error {
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	if h == st.Orig || st.replicatesFromNewMaster(s) {
		return nil
	}
	limit := st.opts.switchLimits().CatchUp
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	if err := waitForMarker(ctx, st, h); err != nil {
		return fmt.Errorf("did not catch up with the old master within %s (--catchup-timeout), so it was not repointed: %w", limit, err)
	}
	return nil
}
