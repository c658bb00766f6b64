package phases

import (
	"context"
	"fmt"
	"time"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// OwnApplierThreads is the number of worker threads a MariaDB replica's
// SQL thread gets while it executes its own relay log, unless the
// operator set some. In conservative mode only what the master committed
// together runs in parallel, and commits keep the master's order.
const OwnApplierThreads = 4

var ownApplierParallel = replsql.ParallelApplier{Threads: OwnApplierThreads, Mode: "conservative"}

// startOwnApplier starts a stopped SQL thread whose relay log holds
// unexecuted events, so the server executes them itself (as MHA does)
// rather than mhago extracting and replaying them; the change is recorded
// so an aborted run stops the thread again. Where that is not safe the
// thread stays stopped, the events are replayed as a diff, and the
// report says why.
func (st *State) startOwnApplier(ctx context.Context, h *Host) (bool, error) {
	r := h.Status.Replica
	if r.SQLRunningYes() || r.ExecutedAllRead() {
		return false, nil
	}
	if why := ownApplierRefused(r); why != "" {
		st.Report.Note(fmt.Sprintf("%s: SQL thread left stopped (%s); what it has not executed is replayed as a diff", h.Name(), why))
		return false, nil
	}
	// Recorded first, so that an abort stops the thread before it puts
	// the parallel applier back (the server only takes it when stopped).
	if err := st.widenApplier(ctx, h); err != nil {
		return false, err
	}
	h.ownBacklog = unexecuted(ctx, h, r)
	if err := st.run.WillChange(ctx, journal.Undo{Host: h.Name(), Action: undoStopSQL}); err != nil {
		return false, err
	}
	if err := execSQL(ctx, h, replsql.Start(hostVersion(h), replsql.SQLThread)); err != nil {
		return false, err
	}
	return true, nil
}

// ownApplierRefused says why a stopped SQL thread must not be started to
// execute its own relay log, "" when it may.
func ownApplierRefused(r *instance.ReplicaStatus) string {
	switch {
	case r.UsingGTID != "" && r.UsingGTID != "No":
		return "MariaDB GTID mode (Using_Gtid=" + r.UsingGTID + "): starting it with the IO thread stopped discards the relay logs"
	case r.LastSQLErrno != 0:
		return fmt.Sprintf("it stopped on error %d: %s", r.LastSQLErrno, r.LastSQLError)
	case r.IORunningYes():
		return "its IO thread still runs"
	}
	return ""
}

// widenApplier gives a MariaDB replica's SQL thread worker threads for
// its catch-up, when it has none; the old setting is recorded first and
// put back by ownApplierDone, or by an abort. A server that refuses it
// applies alone.
func (st *State) widenApplier(ctx context.Context, h *Host) error {
	v := hostVersion(h)
	if !v.MariaDB {
		return nil
	}
	cur, err := instance.ReadParallelApplier(ctx, h.DB)
	if err != nil || cur.Threads > 0 {
		return nil // unreadable: stay serial; set: the operator's choice
	}
	set, err := replsql.SetParallelApplier(v, ownApplierParallel)
	if err != nil {
		return err
	}
	u := journal.Undo{Host: h.Name(), Action: undoParallel, Value: cur.String()}
	if err := st.run.WillChange(ctx, u); err != nil {
		return err
	}
	if err := execSQL(ctx, h, set); err != nil {
		st.Report.Note(fmt.Sprintf("%s: its SQL thread applies alone: %v", h.Name(), err))
		return st.run.Reverted(ctx, u)
	}
	h.applierBefore = &u
	return nil
}

// ownApplierDone, once the started SQL thread is stopped again, puts the
// parallel applier back and reports the path.
func (st *State) ownApplierDone(ctx context.Context, h *Host) error {
	why := "its SQL thread was stopped with relay log unexecuted: started so the server executes what it already has, stopped again after"
	if u := h.applierBefore; u != nil {
		old, err := replsql.ParseParallelApplier(u.Value)
		if err != nil {
			return err
		}
		set, err := replsql.SetParallelApplier(hostVersion(h), old)
		if err != nil {
			return err
		}
		if err := execSQL(ctx, h, set); err != nil {
			return fmt.Errorf("put back the parallel applier on %s (%s): %w", h.Name(), u.Value, err)
		}
		h.applierBefore = nil
		if err := st.run.Reverted(ctx, *u); err != nil {
			return err
		}
		why += fmt.Sprintf(", with %d worker threads (%s mode) for the catch-up, then %s again", ownApplierParallel.Threads, ownApplierParallel.Mode, u.Value)
	}
	if err := st.run.Reverted(ctx, journal.Undo{Host: h.Name(), Action: undoStopSQL}); err != nil {
		return err
	}
	executed := h.ownBacklog - unexecuted(ctx, h, h.Frozen)
	st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Took(report.PathOwnSQLThread, max(executed, 0), why)
	return nil
}

// unexecuted is how many bytes of h's relay log lie beyond where r says
// its SQL thread is (0 when the agent cannot tell: the report then shows
// 0 bytes for the path; nothing else depends on it).
func unexecuted(ctx context.Context, h *Host, r *instance.ReplicaStatus) int64 {
	if h.Agent == nil {
		return 0
	}
	res, err := h.Agent.Find(ctx, relayFrom(h, r, ""))
	if err != nil || res == nil {
		return 0
	}
	return res.RemainingBytes
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
