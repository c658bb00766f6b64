package phases

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// OwnApplierThreads is the number of worker threads a MariaDB replica's
// SQL thread gets while it executes its own relay log, unless the
// operator set some. In conservative mode only what the master committed
// together runs in parallel, and commits keep the master's order.
const OwnApplierThreads = 4

var ownApplierParallel = replsql.ParallelApplier{Threads: OwnApplierThreads, Mode: "conservative"}

// ownApplyStep is the journal's record of a server's SQL thread executing
// its own relay log: the parallel applier setting to put back ("" when it
// was left alone). A run resumed after a crash reads it from here: the
// server may still hold the widened one. (Where the thread must get to is
// the frozen read position, journaled in phase 3.1.)
type ownApplyStep struct {
	Parallel string `json:"parallel,omitempty"`
}

// applyOwnRelayLog lets h's SQL thread execute the relay log it received
// but did not execute (its exec diff), the fastest applier there is, when
// that is safe; it returns the diffs still to replay. It runs after the
// point of no return, so a refused or aborted run never moves a replica
// whose SQL thread the operator stopped.
func (st *State) applyOwnRelayLog(ctx context.Context, h *Host) ([]diffFile, error) {
	if h.diffs[0].kind != "exec" {
		return h.diffs, nil
	}
	s, err := refresh(ctx, h)
	if err != nil {
		return nil, err
	}
	why := ownApplierRefused(s.Replica, h.diffs[0].result)
	if _, ok := started(st.prev, h.Name(), actApply); why == "" && ok {
		why = "an earlier run of this failover began replaying its diffs through the client, which its SQL thread would not know of"
	}
	if why != "" {
		st.Report.Note(fmt.Sprintf("%s: its own relay log is replayed as a diff, not executed by its SQL thread: %s", h.Name(), why))
		return h.diffs, nil
	}
	if err := st.runOwnApplier(ctx, h, s.Replica); err != nil {
		return nil, err
	}
	return h.diffs[1:], nil
}

// ownApplierRefused says why h's SQL thread must not execute its own
// relay log, "" when it may. r is the server's status now.
func ownApplierRefused(r *instance.ReplicaStatus, exec *proto.ExtractResult) string {
	switch {
	case r == nil:
		return "it is no longer a replica"
	case r.UsingGTID != "" && r.UsingGTID != "No":
		return "MariaDB GTID mode (Using_Gtid=" + r.UsingGTID + "): starting the SQL thread while the IO thread is stopped discards the relay logs"
	case r.LastSQLErrno != 0:
		return fmt.Sprintf("its SQL thread stopped on error %d: %s", r.LastSQLErrno, r.LastSQLError)
	case r.IORunningYes():
		return "its IO thread still runs"
	case exec == nil:
		return "the diff's description is missing"
	case exec.OpenTail > 0:
		return "its relay log ends inside a transaction that the next diff completes; both are replayed in one session"
	}
	return ""
}

// runOwnApplier starts h's SQL thread (with parallel workers on MariaDB)
// and waits until it executed everything it read before the failover
// froze it, then stops it and puts the setting back. Run again after a
// crash, it finds how far the server got and goes on from there.
func (st *State) runOwnApplier(ctx context.Context, h *Host, now *instance.ReplicaStatus) error {
	rec := st.ownApplyRecord(ctx, h)
	if err := st.run.StepStart(ctx, h.Name(), actOwnApply, rec); err != nil {
		return err
	}
	err := st.ownApply(ctx, h, now, rec)
	if rerr := st.restoreApplier(ctx, h, rec); err == nil {
		err = rerr
	}
	st.run.StepEnd(ctx, h.Name(), actOwnApply, err)
	if err != nil {
		return fmt.Errorf("%s's SQL thread executing its own relay log: %w", h.Name(), err)
	}
	why := "its SQL thread executed the relay log it had received and not executed, instead of mhago extracting and replaying it"
	if rec.Parallel != "" {
		why += fmt.Sprintf(", with %d worker threads (%s mode), then %s again", ownApplierParallel.Threads, ownApplierParallel.Mode, rec.Parallel)
	}
	st.Report.HostResult(h.Name(), h.Server.Addr(), "").Took(report.PathOwnSQLThread, h.diffs[0].result.Bytes, why)
	return nil
}

// ownApplyRecord is what to journal before the thread starts: the
// parallel setting to put back (an earlier run's record wins, since the
// server may hold the widened one now). A MariaDB replica with workers
// of its own keeps them and gets "" (nothing to put back).
func (st *State) ownApplyRecord(ctx context.Context, h *Host) ownApplyStep {
	var rec ownApplyStep
	if s, ok := started(st.prev, h.Name(), actOwnApply); ok && json.Unmarshal(s.Data, &rec) == nil {
		return rec
	}
	if !hostVersion(h).MariaDB {
		return rec
	}
	if cur, err := instance.ReadParallelApplier(ctx, h.DB); err == nil && cur.Threads == 0 {
		rec.Parallel = cur.String()
	}
	return rec
}

// ownApply starts the thread unless it runs (a crashed run started it)
// and waits until it reached the frozen read position.
func (st *State) ownApply(ctx context.Context, h *Host, now *instance.ReplicaStatus, rec ownApplyStep) error {
	target := h.Frozen
	if !reached(now, target) && !now.SQLRunningYes() {
		if rec.Parallel != "" {
			if set, err := replsql.SetParallelApplier(hostVersion(h), ownApplierParallel); err == nil {
				if err := execSQL(ctx, h, set); err != nil {
					st.Report.Note(fmt.Sprintf("%s: its SQL thread executes alone: %v", h.Name(), err))
				}
			}
		}
		if err := execSQL(ctx, h, replsql.Start(hostVersion(h), replsql.SQLThread)); err != nil {
			return err
		}
	}
	start, shown := time.Now(), time.Now()
	var last *instance.ReplicaStatus
	err := poll(ctx, st.cfg.Timeouts.Phase, func() (bool, error) {
		s, err := refresh(ctx, h)
		if err != nil || s.Replica == nil {
			return false, err
		}
		last = s.Replica
		if time.Since(shown) >= time.Second {
			shown = time.Now()
			if p, ok := ownProgress(h.Name(), now, last, time.Since(start)); ok {
				st.progress(p)
			}
		}
		stopped := !last.SQLRunningYes() && (last.LastSQLErrno != 0 || time.Since(start) > time.Second)
		return reached(last, target) || stopped, nil
	}, "SQL thread of "+h.Name()+" to execute its relay log")
	if stop := execSQL(ctx, h, replsql.Stop(hostVersion(h), replsql.SQLThread)); err == nil {
		err = stop
	}
	if err == nil && !reached(last, target) {
		err = fmt.Errorf("it stopped at %s:%d before %s:%d (error %d: %s)", last.RelayMasterLogFile, last.ExecMasterLogPos,
			target.MasterLogFile, target.ReadMasterLogPos, last.LastSQLErrno, last.LastSQLError)
	}
	return err
}

// reached: the SQL thread executed up to the frozen read position.
func reached(r, target *instance.ReplicaStatus) bool {
	return r != nil && r.RelayMasterLogFile == target.MasterLogFile && r.ExecMasterLogPos >= target.ReadMasterLogPos
}

// restoreApplier puts the parallel applier setting back, if it was widened.
func (st *State) restoreApplier(ctx context.Context, h *Host, rec ownApplyStep) error {
	if rec.Parallel == "" {
		return nil
	}
	old, err := replsql.ParseParallelApplier(rec.Parallel)
	if err != nil {
		return err
	}
	set, err := replsql.SetParallelApplier(hostVersion(h), old)
	if err != nil {
		return err
	}
	if err := execSQL(ctx, h, set); err != nil {
		return fmt.Errorf("put back %s: %w", rec.Parallel, err)
	}
	return nil
}

// ownProgress is how far a started SQL thread got, in the master's binlog
// bytes; it can be told only while all of it lies in one binlog file.
func ownProgress(host string, before, now *instance.ReplicaStatus, elapsed time.Duration) (Progress, bool) {
	if before.RelayMasterLogFile != now.RelayMasterLogFile || now.MasterLogFile != now.RelayMasterLogFile || now.ReadMasterLogPos < before.ExecMasterLogPos {
		return Progress{}, false
	}
	return Progress{Host: host, Path: report.PathOwnSQLThread, Bytes: int64(now.ExecMasterLogPos - before.ExecMasterLogPos),
		TotalBytes: int64(now.ReadMasterLogPos - before.ExecMasterLogPos), Transactions: -1, TotalTransactions: -1, Elapsed: elapsed}, true
}
