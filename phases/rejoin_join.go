package phases

import (
	"context"
	"fmt"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// setRejoinReadOnly makes the host read-only before it is pointed at the
// master: a client still writing to it would otherwise diverge it again.
// It is recorded first, so an abort (or a later --abandon) makes it
// writable again, as it was.
func setRejoinReadOnly(ctx context.Context, st *State) error {
	h := st.rejoin.host
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	if s.ReadOnly {
		return nil
	}
	if err := st.run.WillChange(ctx, journal.Undo{Host: h.Name(), Action: undoWritable}); err != nil {
		return err
	}
	if err := execSQL(ctx, h, replsql.SetReadOnly(true)); err != nil {
		return err
	}
	st.Report.Rejoin.ReadOnly = true
	return nil
}

func planRejoinReadOnly(st *State) {
	if h := st.rejoin.host; h != nil && h.Status != nil && !h.Status.ReadOnly {
		st.Report.Note(fmt.Sprintf("plan: %s on %s", replsql.SetReadOnly(true), h.Name()))
	}
}

// rejoinPosition is where the host starts on the master: the master's own
// coordinates where its replicas started (the record), or in MariaDB GTID
// mode the host's own binlog position (everything it holds the master
// holds too, as checked); MySQL auto-positioning needs none.
func (st *State) rejoinPosition() (newMasterPosition, error) {
	rj := st.rejoin
	switch st.Mode {
	case decide.ModeMariaGTID:
		return newMasterPosition{GTID: rj.startGTID}, nil
	case decide.ModeMySQLAutoPos:
		return newMasterPosition{}, nil
	}
	if rj.record == nil || rj.record.File == "" {
		return newMasterPosition{}, fmt.Errorf("no coordinates on %s to start %s at", st.NewMaster.Name(), rj.host.Name())
	}
	return newMasterPosition{File: rj.record.File, Pos: rj.record.Pos}, nil
}

// pointAtMaster makes the host replicate from the current master at the
// exact coordinates, unless it already does (a rerun).
func pointAtMaster(ctx context.Context, st *State) error {
	h := st.rejoin.host
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	if st.replicatesFromNewMaster(s) {
		st.Report.Note(fmt.Sprintf("%s already replicates from %s; not pointed again", h.Name(), st.NewMaster.Name()))
		if !s.Replica.IORunningYes() || !s.Replica.SQLRunningYes() {
			return execSQL(ctx, h, replsql.Start(hostVersion(h), replsql.BothThreads))
		}
		return nil
	}
	stmts, pos, err := st.rejoinStatements(h)
	if err != nil {
		return err
	}
	if err := st.run.StepStart(ctx, h.Name(), actRepoint, pos); err != nil {
		return err
	}
	st.log.Info("change master", "phase", "rejoin", "host", h.Name(), "sql", replsql.Join(stmts))
	for _, s := range stmts {
		if err = execSQL(ctx, h, s); err != nil {
			break
		}
	}
	st.run.StepEnd(ctx, h.Name(), actRepoint, err)
	if err == nil {
		st.Report.Rejoin.Start = position(pos.File, pos.Pos, pos.GTID).String()
		if st.Mode == decide.ModeMySQLAutoPos {
			st.Report.Rejoin.Start = "auto-position"
		}
	}
	return err
}

// rejoinStatements are the repoint statements of a failover's replica,
// for the host, at its start position.
func (st *State) rejoinStatements(h *Host) ([]replsql.Statement, newMasterPosition, error) {
	pos, err := st.rejoinPosition()
	if err != nil {
		return nil, pos, err
	}
	if h.Frozen == nil && st.NewMaster.Server.ReplUser == "" {
		user := ""
		for _, r := range st.Replicas {
			user = r.Status.Replica.MasterUser
		}
		if user == "" {
			return nil, pos, fmt.Errorf("no replication user for %s: set repl_user in the config", h.Name())
		}
		h.Frozen = &instance.ReplicaStatus{MasterUser: user}
	}
	stmts, err := st.repointStatements(h, pos)
	return stmts, pos, err
}

func planPointAtMaster(st *State) {
	h := st.rejoin.host
	if h == nil || st.NewMaster == nil || st.rejoin.joined {
		return
	}
	stmts, _, err := st.rejoinStatements(h)
	if err != nil {
		st.Report.Note("plan: " + err.Error())
		return
	}
	st.Report.Note(fmt.Sprintf("plan: on %s: %s", h.Name(), replsql.Join(stmts)))
	st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica).Plan()
}

// catchUpLimit bounds the wait for the host to reach the master.
const catchUpLimit = 2 * time.Minute

// waitCaughtUp waits until both threads run without error and the host
// has executed everything the master had written when the wait began.
func waitCaughtUp(ctx context.Context, st *State) error {
	h, m := st.rejoin.host, st.NewMaster
	ms, err := refresh(ctx, m)
	if err != nil {
		return err
	}
	if ms.Binlog == nil {
		return fmt.Errorf("master %s has no binlog (log_bin=OFF)", m.Name())
	}
	target := repl.Coordinates{File: ms.Binlog.File, Pos: ms.Binlog.Pos}
	if _, err := waitReplicating(ctx, h); err != nil {
		return err
	}
	err = poll(ctx, min(catchUpLimit, st.cfg.Timeouts.Phase), func() (bool, error) {
		s, err := refresh(ctx, h)
		if err != nil || s.Replica == nil {
			return false, err
		}
		r := s.Replica
		if r.LastIOErrno != 0 || r.LastSQLErrno != 0 {
			return false, fmt.Errorf("IO error %d %s; SQL error %d %s", r.LastIOErrno, r.LastIOError, r.LastSQLErrno, r.LastSQLError)
		}
		exec := repl.Coordinates{File: r.RelayMasterLogFile, Pos: r.ExecMasterLogPos}
		return exec.Compare(target) >= 0, nil
	}, fmt.Sprintf("%s to execute %s's binlog up to %s", h.Name(), m.Name(), target))
	if err != nil {
		return err
	}
	st.rejoin.joined = true
	st.Report.Rejoin.Joined = true
	hr := st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica)
	hr.After = position(target.File, target.Pos, gtidOf(h))
	hr.Recovered()
	return nil
}

// publishRejoinTopology adds the host to the replicas in the Redis
// topology.
func publishRejoinTopology(ctx context.Context, st *State) error {
	if st.redis == nil {
		return nil
	}
	m := st.NewMaster
	t := coord.Topology{Cluster: st.cluster, RunID: st.opts.RunID, UpdatedAt: st.deps.Now(), Fence: st.run.Fence(),
		Master: coord.Node{Name: m.Name(), Host: m.Server.Hostname, Port: m.Server.Port}}
	for _, h := range append(append([]*Host{}, st.Replicas...), st.rejoin.host) {
		t.Replicas = append(t.Replicas, coord.Node{Name: h.Name(), Host: h.Server.Hostname, Port: h.Server.Port})
	}
	return coord.PublishTopology(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cluster, t)
}
