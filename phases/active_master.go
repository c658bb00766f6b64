package phases

import (
	"context"
	"fmt"
	"time"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/report"
)

// decActiveMaster is the failover's active-master record, journaled before
// it is written: a resumed run writes the same record, and a rejoin finds
// it here when the servers do not hold it.
const decActiveMaster = "active_master"

// activeMasterDecision is the record and where the failover saved the dead
// master's binlog (nil when it saved nothing).
type activeMasterDecision struct {
	Record instance.ActiveMaster `json:"record"`
	Saved  *savedBinlog          `json:"saved,omitempty"`
}

// savedBinlog is the copy of the dead master's binlog a failover applied:
// on which host, where, and what it holds.
type savedBinlog struct {
	Host         string `json:"host"`
	Path         string `json:"path"`
	Transactions int    `json:"transactions"`
	Stop         string `json:"stop"` // file:pos where it ends in the dead master's binlog
}

// activeMasterInput is what the record is built from.
type activeMasterInput struct {
	Cluster, RunID     string
	Master, Addr, Dead string
	Read               []repl.Coordinates // the replicas' frozen read positions on the dead master
	Saved              *proto.ExtractResult
	SavedHost          string
	NewMaster          newMasterPosition
	Now                time.Time
}

// buildActiveMaster decides the record of a failover. The cluster's copy of
// the dead master's history ends where the saved binlog ends when one was
// saved and applied, else at the latest replica's read position: that is
// all a rejoining old master may hold. The new master's GTID position before
// it accepted writes is the same end in GTID terms.
func buildActiveMaster(in activeMasterInput) activeMasterDecision {
	end := latestCoords(in.Read)
	var saved *savedBinlog
	if s := in.Saved; s != nil && s.Events > 0 && s.StopFile != "" {
		end = repl.Coordinates{File: s.StopFile, Pos: uint64(s.StopOffset)}
		saved = &savedBinlog{Host: in.SavedHost, Path: s.Output, Transactions: s.Transactions, Stop: end.String()}
	}
	r := instance.ActiveMaster{Cluster: in.Cluster, Master: in.Master, Addr: in.Addr, RunID: in.RunID,
		Operation: string(OpFailover), State: instance.RecordActive, Prev: in.Dead,
		PrevFile: end.File, PrevPos: end.Pos, PrevGTID: in.NewMaster.GTID,
		File: in.NewMaster.File, Pos: in.NewMaster.Pos, GTID: in.NewMaster.GTID, Written: in.Now.UTC()}
	return activeMasterDecision{Record: r, Saved: saved}
}

// latestCoords is the furthest of the positions.
func latestCoords(cs []repl.Coordinates) repl.Coordinates {
	var best repl.Coordinates
	for _, c := range cs {
		if best.IsZero() || best.Compare(c) < 0 {
			best = c
		}
	}
	return best
}

// recordActiveMaster writes the active-master record on the new master
// once it accepts writes; it reaches the replicas repointed next through
// replication. The record is decided once and journaled, so a resumed run
// writes the same one again (REPLACE: writing it twice changes nothing).
func recordActiveMaster(ctx context.Context, st *State) error {
	d, err := st.activeMasterRecord(ctx)
	if err != nil {
		return err
	}
	nm := st.NewMaster
	if err := instance.WriteActiveMaster(ctx, nm.DB, nm.Name(), d.Record); err != nil {
		return fmt.Errorf("%w (the failover is done; a later rejoin of %s reads the coordinates from the journal instead)", err, d.Record.Prev)
	}
	r := d.Record
	st.Report.Note(fmt.Sprintf("active-master record written on %s: master %s, %s's history ends at %s:%d%s",
		nm.Name(), r.Master, r.Prev, r.PrevFile, r.PrevPos, suffixGTID(r.PrevGTID)))
	return nil
}

// activeMasterRecord is the record an earlier run of this failover
// journaled, else a new one, journaled now.
func (st *State) activeMasterRecord(ctx context.Context) (activeMasterDecision, error) {
	var d activeMasterDecision
	if st.prev != nil {
		if ok, err := st.prev.Decision(decActiveMaster, &d); ok && err == nil {
			return d, st.decide(ctx, "3.5", decActiveMaster, d)
		}
	}
	nm := st.NewMaster
	in := activeMasterInput{Cluster: st.cluster, RunID: st.opts.RunID, Master: nm.Name(), Addr: nm.Server.Addr(),
		Dead: st.Dead.Name(), NewMaster: newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID},
		Now: st.deps.Now()}
	for _, h := range st.Replicas {
		if h.Frozen != nil {
			in.Read = append(in.Read, readCoords(h))
		}
	}
	if s := st.savedDiff(); s != nil {
		in.Saved, in.SavedHost = s.result, s.fromName()
	}
	d = buildActiveMaster(in)
	return d, st.decide(ctx, "3.5", decActiveMaster, d)
}

// savedDiff is the dead master's saved binlog this run applies: found in
// phase 3.2, or restored with the plan of a resumed run.
func (st *State) savedDiff() *diffFile {
	if st.Saved != nil {
		return st.Saved
	}
	for _, h := range st.Replicas {
		for i := range h.diffs {
			if h.diffs[i].kind == report.DiffMasterBinlog {
				return &h.diffs[i]
			}
		}
	}
	return nil
}

func suffixGTID(g string) string {
	if g == "" {
		return ""
	}
	return " (GTID " + g + ")"
}
