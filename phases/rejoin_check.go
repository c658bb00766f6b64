package phases

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

// readRejoinCoordinates finds where the cluster's copy of the host's
// history ends: the active-master record on the current master when it
// names the host as the master it replaced, else the newest failover
// journal in manager_workdir that replaced it. The journal also says where
// that failover saved the host's binlog.
func readRejoinCoordinates(ctx context.Context, st *State) error {
	rj, host, m := st.rejoin, st.rejoin.host, st.NewMaster
	rec, ok, err := instance.ReadActiveMaster(ctx, m.DB, m.Name(), st.cluster)
	if err != nil {
		return err
	}
	from := ""
	if ok && rec.Prev == host.Name() && rec.Master == m.Name() {
		rj.record, from = &rec, fmt.Sprintf("active-master record on %s, run %s", m.Name(), rec.RunID)
	}
	d, run := st.failoverJournalFor(host.Name())
	if d != nil {
		rj.saved, rj.savedRun = d.Saved, run
		if rj.record == nil && d.Record.Master == m.Name() {
			rj.record, from = &d.Record, "journal of failover run "+run
		}
	}
	if rj.record == nil {
		st.Report.Note(fmt.Sprintf("neither an active-master record on %s nor a failover journal in %s names %s as the master it replaced",
			m.Name(), st.cfg.ManagerWorkdir, host.Name()))
		return nil
	}
	r := rj.record
	st.Report.Rejoin.HistoryEnd = fmt.Sprintf("%s:%d", r.PrevFile, r.PrevPos)
	st.Report.Rejoin.HistoryEndGTID = r.PrevGTID
	st.Report.Rejoin.CoordinatesFrom = from
	return nil
}

// failoverJournalFor is the active-master decision of the newest ended
// failover that replaced host, and its run; nil when none.
func (st *State) failoverJournalFor(host string) (*activeMasterDecision, string) {
	runs, err := journal.History(st.cfg.ManagerWorkdir, st.cluster)
	if err != nil {
		st.Report.Note("failover journals not read: " + err.Error())
	}
	for _, r := range runs {
		var d activeMasterDecision
		if ok, err := r.Decision(decActiveMaster, &d); ok && err == nil && d.Record.Prev == host {
			return &d, r.Run
		}
	}
	return nil, ""
}

// checkDivergence finds whether the host holds transactions the cluster
// never received, and refuses the rejoin if so (nothing was changed). A
// host that already replicates from the current master (an earlier
// rejoin) is not judged again: its binlog now holds the master's events.
func checkDivergence(ctx context.Context, st *State) error {
	rj := st.rejoin
	if rj.joined {
		st.Report.Note(fmt.Sprintf("%s already replicates from %s", rj.host.Name(), st.NewMaster.Name()))
		return nil
	}
	var err error
	switch st.Mode {
	case decide.ModeMariaGTID:
		rj.found, err = st.mariaDivergence(ctx)
	case decide.ModeMySQLAutoPos:
		rj.found, err = st.mysqlDivergence()
	default:
		rj.found, err = st.filePosDivergence(ctx)
	}
	if err != nil {
		return err
	}
	st.Report.Note(rj.host.Name() + ": " + rj.found.Describe())
	if !rj.found.Diverged() {
		return nil
	}
	st.Report.Rejoin.Extra, st.Report.Rejoin.ExtraTransactions = rj.found.Items, rj.found.Transactions
	st.Report.Rejoin.SavedBinlog = st.savedCopyText(ctx)
	return fmt.Errorf("%w: %s holds %s; saved binlog: %s",
		ErrDiverged, rj.host.Name(), rj.found.Describe(), st.Report.Rejoin.SavedBinlog)
}

// mariaDivergence compares the host's gtid_binlog_state with the master's.
func (st *State) mariaDivergence(ctx context.Context) (decide.Divergence, error) {
	host, m := st.rejoin.host, st.NewMaster
	hs, err := gtidState(ctx, host)
	if err != nil {
		return decide.Divergence{}, err
	}
	ms, err := gtidState(ctx, m)
	if err != nil {
		return decide.Divergence{}, err
	}
	st.rejoin.startGTID = host.Status.GTIDBinlogPos
	return decide.MariaGTIDDivergence(hs, ms), nil
}

func gtidState(ctx context.Context, h *Host) ([]repl.MariaGTID, error) {
	s, err := instance.GTIDBinlogState(ctx, h.DB, h.Name())
	if err != nil {
		return nil, err
	}
	g, err := decide.ParseMariaGTIDState(s)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", h.Name(), err)
	}
	return g, nil
}

// mysqlDivergence compares the host's gtid_executed with the master's.
func (st *State) mysqlDivergence() (decide.Divergence, error) {
	host, m := st.rejoin.host, st.NewMaster
	hs, err := repl.ParseMySQLGTIDSet(host.Status.ExecutedGTIDSet)
	if err != nil {
		return decide.Divergence{}, fmt.Errorf("gtid_executed of %s: %w", host.Name(), err)
	}
	ms, err := repl.ParseMySQLGTIDSet(m.Status.ExecutedGTIDSet)
	if err != nil {
		return decide.Divergence{}, fmt.Errorf("gtid_executed of %s: %w", m.Name(), err)
	}
	return decide.MySQLGTIDDivergence(hs, ms), nil
}

// filePosDivergence reads, with the agent on the host, its binlog past
// where the cluster's copy ends. A binlog that ends before that point lost
// transactions the cluster has: starting at the master's coordinates would
// skip them, so the rejoin stops.
func (st *State) filePosDivergence(ctx context.Context) (decide.Divergence, error) {
	h, r := st.rejoin.host, st.rejoin.record
	if r == nil || r.PrevFile == "" {
		return decide.Divergence{}, fmt.Errorf("%w: in file/pos mode a rejoin needs the position where the cluster's copy of %s's binlog ends, and no active-master record or failover journal holds it; rebuild %s from a backup of %s",
			ErrCannotRejoin, h.Name(), h.Name(), st.NewMaster.Name())
	}
	if h.SSH == nil {
		return decide.Divergence{}, fmt.Errorf("%w: %s: no SSH connection to read its binlog (%v)", ErrCannotRejoin, h.Name(), h.SSHErr)
	}
	var err error
	if h.Agent, err = agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent); err != nil {
		return decide.Divergence{}, err
	}
	from := repl.Coordinates{File: r.PrevFile, Pos: r.PrevPos}
	if err := st.checkBinlogReaches(ctx, h, from); err != nil {
		return decide.Divergence{}, err
	}
	res, err := h.Agent.Save(ctx, proto.SaveRequest{BinlogDirs: h.Server.MasterBinlogDirs, StartFile: from.File,
		StartPos: int64(from.Pos), Output: path.Join(h.Agent.Dir(), "rejoin_extra.binlog")})
	if err != nil {
		return decide.Divergence{}, fmt.Errorf("read the binlog of %s after %s: %w", h.Name(), from, err)
	}
	return decide.FilePosDivergence(extraOf(from, res)), nil
}

func extraOf(from repl.Coordinates, res *proto.ExtractResult) decide.BinlogExtra {
	x := decide.BinlogExtra{From: from, To: from, Events: res.Events, Transactions: res.Transactions,
		FirstGTID: res.FirstGTID, LastGTID: res.LastGTID}
	if res.Events > 0 && res.StopFile != "" {
		x.To = repl.Coordinates{File: res.StopFile, Pos: uint64(res.StopOffset)}
	}
	return x
}

// checkBinlogReaches makes sure the host's binlog file holds from.
func (st *State) checkBinlogReaches(ctx context.Context, h *Host, from repl.Coordinates) error {
	s, err := h.Agent.Status(ctx, proto.StatusRequest{BinlogDirs: h.Server.MasterBinlogDirs, Prefix: from.Prefix(), Workdir: h.Server.RemoteWorkdir})
	if err != nil {
		return err
	}
	for _, d := range s.Dirs {
		for _, f := range d.Files {
			if f.Name == from.File && uint64(f.Size) < from.Pos {
				return fmt.Errorf("%w: %s's binlog %s is %d bytes long, but the cluster holds its events up to %s: it lost committed transactions (a crash without sync_binlog=1?) and cannot rejoin at the master's coordinates; rebuild it from a backup of %s",
					ErrCannotRejoin, h.Name(), f.Name, f.Size, from, st.NewMaster.Name())
			}
			if f.Name == from.File {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %s holds no binlog %s in %s: rebuild it from a backup of %s",
		ErrCannotRejoin, h.Name(), from.File, strings.Join(h.Server.MasterBinlogDirs, ", "), st.NewMaster.Name())
}

// savedCopyText says where the failover's copy of the host's binlog is,
// as far as this manager host knows, and whether it is still there.
func (st *State) savedCopyText(ctx context.Context) string {
	rj := st.rejoin
	if rj.saved == nil {
		if rj.savedRun != "" {
			return fmt.Sprintf("failover run %s saved none: every transaction the cluster has from %s had reached a replica", rj.savedRun, rj.host.Name())
		}
		return "no failover journal on this manager host names a saved copy; none is known to be kept"
	}
	s := rj.saved
	where := fmt.Sprintf("failover run %s saved %s's binlog up to %s (%d transactions) to %s on %s", rj.savedRun, rj.host.Name(), s.Stop, s.Transactions, s.Path, s.Host)
	h := st.host(s.Host)
	if h == nil || h.SSH == nil {
		return where + " (not checked: no SSH connection)"
	}
	_, err := h.SSH.Stat(s.Path)
	switch {
	case err == nil:
		return where + "; it is still there"
	case errors.Is(err, fs.ErrNotExist):
		return where + "; it was removed when that run finished, so nothing is kept: the host's own binlog is the only copy"
	}
	return fmt.Sprintf("%s (not checked: %v)", where, err)
}
