package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
)

// execSQL runs one replication statement and names the host in the error;
// the statement and the server's error are shown with secrets hidden.
func execSQL(ctx context.Context, h *Host, s replsql.Statement) error {
	if _, err := h.DB.ExecContext(ctx, s.SQL()); err != nil {
		return fmt.Errorf("%s on %s: %w", s, h.Name(), instance.Classify(s.RedactError(err)))
	}
	return nil
}

// hostVersion is h's server version, which picks the statement syntax. A
// host whose status was never read gets the zero version, hence the
// classic SLAVE/MASTER words every server but MySQL 8.4 accepts.
func hostVersion(h *Host) repl.Version {
	if h.Status == nil {
		return repl.Version{}
	}
	v, _ := repl.ParseVersion(h.Status.Version)
	return v
}

// refresh re-reads the host's status.
func refresh(ctx context.Context, h *Host) (*instance.Status, error) {
	s, err := instance.Read(ctx, h.DB, h.Name())
	if err != nil {
		return nil, err
	}
	h.Status = s
	return s, nil
}

// stopIOThread stops the IO thread and waits until it reports stopped.
func stopIOThread(ctx context.Context, st *State, h *Host) error {
	// An abort restarts only what this run stopped; the journal says so
	// before the stop, so a crash right after it is restored too.
	if h.Status.Replica.IORunning != "No" {
		if err := st.run.WillChange(ctx, journal.Undo{Host: h.Name(), Action: undoStartIO}); err != nil {
			return err
		}
	}
	if err := execSQL(ctx, h, replsql.Stop(hostVersion(h), replsql.IOThread)); err != nil {
		return err
	}
	return poll(ctx, 10*time.Second, func() (bool, error) {
		s, err := refresh(ctx, h)
		return err == nil && s.Replica != nil && !s.Replica.IORunningYes() && s.Replica.IORunning != "Connecting", err
	}, "IO thread of "+h.Name()+" to stop")
}

// settle waits until the SQL thread has executed what it can (everything
// read, or idle before a transaction the relay log holds only part of),
// stops it, and freezes the coordinates. A dry run only reads them.
func settle(ctx context.Context, st *State, h *Host) error {
	if st.opts.DryRun {
		s, err := refresh(ctx, h)
		if err == nil {
			h.Frozen = s.Replica
		}
		return err
	}
	wasRunning := h.Status.Replica.SQLRunningYes()
	var last string
	since := time.Now()
	err := poll(ctx, st.cfg.Timeouts.Phase, func() (bool, error) {
		s, err := refresh(ctx, h)
		if err != nil {
			return false, err
		}
		r := s.Replica
		pos := fmt.Sprintf("%s:%d", r.RelayMasterLogFile, r.ExecMasterLogPos)
		if pos != last {
			last, since = pos, time.Now()
		}
		// Idle at the end of its relay log (which may end inside a
		// transaction it cannot finish), or no progress for 2 s.
		idle := r.SQLWaitsForRelayLog() && time.Since(since) > 50*time.Millisecond
		return r.ExecutedAllRead() || !r.SQLRunningYes() || idle || time.Since(since) > 2*time.Second, nil
	}, "SQL thread of "+h.Name()+" to apply its relay log")
	if err != nil {
		return err
	}
	if wasRunning {
		if err := st.run.WillChange(ctx, journal.Undo{Host: h.Name(), Action: undoStartSQL}); err != nil {
			return err
		}
	}
	if err := execSQL(ctx, h, replsql.Stop(hostVersion(h), replsql.SQLThread)); err != nil {
		return err
	}
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	h.Frozen = s.Replica
	return nil
}

// poll calls cond, every 5 ms at first and every 100 ms later, until it
// is true, fails, or limit passes.
// A server that stops answering ends it at once: waiting out the phase
// timeout for a host that is gone helps nobody.
func poll(ctx context.Context, limit time.Duration, cond func() (bool, error), what string) error {
	deadline := time.Now().Add(limit)
	// Most waits end within milliseconds (a thread starting): those do
	// not cost a whole 100 ms.
	pause := 5 * time.Millisecond
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if errors.Is(err, instance.ErrUnreachable) {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s (last error: %v)", limit, what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(pause):
		}
		pause = min(2*pause, 100*time.Millisecond)
	}
}

// undoChange reverts one recorded change (the runner's Undo): a
// replication thread this run, or an earlier one, stopped.
func undoChange(ctx context.Context, st *State, u journal.Undo) error {
	if handled, err := st.undoSwitch(ctx, u); handled {
		return err
	}
	h := st.host(u.Host)
	if h == nil || h.DB == nil {
		return fmt.Errorf("no MySQL connection to %s", u.Host)
	}
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	if keepStopped(u.Action, s.Replica) {
		thread := map[journal.Action]string{undoStartIO: "IO", undoStartSQL: "SQL"}[u.Action]
		st.Report.Note(fmt.Sprintf("%s: %s thread left stopped (undo skipped): its master is dead, and in MariaDB GTID mode (Using_Gtid=%s) starting it now would discard the relay logs, which hold what the next failover needs; the next failover repoints it (or start its replication again once the master is back)", h.Name(), thread, s.Replica.UsingGTID))
		return nil
	}
	stmt, err := undoStatement(h, u)
	if err != nil {
		return err
	}
	if err := execSQL(ctx, h, stmt); err != nil {
		return err
	}
	st.Report.Note(stmt.String() + " on " + h.Name() + " (undo)")
	return nil
}

// keepStopped tells whether a replication thread a failover stopped (so
// its master was found dead) must stay stopped when the run undoes its
// changes. MariaDB in GTID mode throws the relay logs away, unexecuted
// events included, when the SQL thread starts while the IO thread is
// stopped, and may when the IO thread starts; they are the only copy of
// what the replica received, and the next failover needs them. Started,
// the IO thread would only retry the dead master, and the SQL thread has
// already executed what it could before it was stopped.
func keepStopped(action journal.Action, r *instance.ReplicaStatus) bool {
	if r == nil || r.UsingGTID == "" || r.UsingGTID == "No" {
		return false
	}
	return action == undoStartIO || !r.IORunningYes()
}

// undoStatement is the statement that reverts u on h.
func undoStatement(h *Host, u journal.Undo) (replsql.Statement, error) {
	switch u.Action {
	case undoStartIO:
		return replsql.Start(hostVersion(h), replsql.IOThread), nil
	case undoStartSQL:
		return replsql.Start(hostVersion(h), replsql.SQLThread), nil
	}
	return replsql.Statement{}, fmt.Errorf("unknown change %q on %s", u.Action, u.Host)
}
