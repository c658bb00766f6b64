package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/report"
)

// recoverReplicas (phase 4) brings every other replica to the same data as
// the new master and points it there, all in parallel. A replica that fails
// is recorded; the others go on. Each replica's recovery checks before it
// acts, so a resumed run repeats it safely.
func recoverReplicas(ctx context.Context, st *State) error {
	st.eachOtherReplica(ctx, "replica recovery", st.recoverReplica)
	return nil
}

// eachOtherReplica runs fn on every replica but the new master, all at
// once, and records each one recovered or failed: one failing does not
// stop the others.
func (st *State) eachOtherReplica(ctx context.Context, what string, fn func(context.Context, *Host) error) {
	var others []*Host
	for _, h := range st.Replicas {
		if h != st.NewMaster {
			others = append(others, h)
		}
	}
	st.parallel(ctx, others, func(ctx context.Context, st *State, h *Host) error {
		r := st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica)
		if err := fn(ctx, h); err != nil {
			r.Fail(err)
			st.log.Error(what+" failed", "phase", "4", "host", h.Name(), "error", err)
			return nil
		}
		r.Recovered()
		return nil
	})
}

func (st *State) recoverReplica(ctx context.Context, h *Host) error {
	switch {
	case h.lackRelayLogs:
		return fmt.Errorf("lacks relay logs back to its read position %s; rebuild it from a backup of %s", readCoords(h), st.NewMaster.Name())
	case h.cannot != "":
		return fmt.Errorf("not recovered: %s", h.cannot)
	case h.DB == nil:
		return fmt.Errorf("no MySQL connection: %v", h.SQLErr)
	}
	if err := st.applyDiffs(ctx, h); err != nil {
		return err
	}
	if err := st.repoint(ctx, h); err != nil {
		return err
	}
	s, err := waitReplicating(ctx, h)
	if err != nil {
		return err
	}
	st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica).After = position(s.Replica.MasterLogFile, s.Replica.ReadMasterLogPos, gtidOf(h))
	return nil
}

// repoint makes h replicate from the new master at the position where the
// new master's own writes begin, unless it already does (a resumed run).
func (st *State) repoint(ctx context.Context, h *Host) error {
	s, err := refresh(ctx, h)
	if err != nil {
		return err
	}
	if st.replicatesFromNewMaster(s) {
		st.Report.Note(fmt.Sprintf("%s already replicates from %s; not repointed again", h.Name(), st.NewMaster.Name()))
		if !s.Replica.IORunningYes() || !s.Replica.SQLRunningYes() {
			return execSQL(ctx, h, replsql.Start(hostVersion(h), replsql.BothThreads))
		}
		return nil
	}
	if err := st.run.StepStart(ctx, h.Name(), actRepoint, newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID}); err != nil {
		return err
	}
	err = st.changeMaster(ctx, h)
	st.run.StepEnd(ctx, h.Name(), actRepoint, err)
	return err
}

// replicatesFromNewMaster tells whether s is already configured to the
// new master.
func (st *State) replicatesFromNewMaster(s *instance.Status) bool {
	nm := st.NewMaster.Server
	r := s.Replica
	return r != nil && r.MasterPort == nm.Port && (r.MasterHost == nm.IP || r.MasterHost == nm.Hostname)
}

func (st *State) changeMaster(ctx context.Context, h *Host) error {
	stmts, err := st.repointStatements(h, newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID})
	if err != nil {
		return err
	}
	st.log.Info("change master", "phase", "4", "host", h.Name(), "sql", replsql.Join(stmts))
	for _, s := range stmts {
		if err := execSQL(ctx, h, s); err != nil {
			return err
		}
	}
	return nil
}

// repointStatements are the statements that make h replicate from the new
// master at pos, in h's syntax: stop, reset, (MariaDB GTID) the start
// position, the CHANGE MASTER, start. The dry-run plan prints the same.
func (st *State) repointStatements(h *Host, pos newMasterPosition) ([]replsql.Statement, error) {
	nm := st.NewMaster.Server
	v := hostVersion(h)
	stmts := []replsql.Statement{replsql.Stop(v, replsql.BothThreads), replsql.Reset(v)}
	if st.Mode == replsql.ModeMariaGTID {
		set, err := replsql.SetGTIDSlavePos(v, pos.GTID)
		if err != nil {
			return nil, fmt.Errorf("start position of %s on new master %s (%q): %w", h.Name(), st.NewMaster.Name(), pos.GTID, err)
		}
		stmts = append(stmts, set)
	}
	// GET_SOURCE_PUBLIC_KEY lets a MySQL 8 replica log in as a
	// caching_sha2_password user without TLS.
	cm, err := replsql.ChangeMaster(replsql.ChangeMasterParams{Version: v, Host: nm.IP, Port: nm.Port, User: st.replUser(h),
		Password: nm.ReplPassword.Reveal(), PasswordSet: nm.ReplPasswordSet, Mode: st.Mode, File: pos.File, Pos: pos.Pos,
		GetPublicKey: replsql.CanGetPublicKey(v)})
	if err != nil {
		return nil, fmt.Errorf("pointing %s at new master %s: %w", h.Name(), st.NewMaster.Name(), err)
	}
	return append(stmts, cm, replsql.Start(v, replsql.BothThreads)), nil
}

// replUser is repl_user, else the user the replica used for the dead
// master (MHA).
func (st *State) replUser(h *Host) string {
	if u := st.NewMaster.Server.ReplUser; u != "" {
		return u
	}
	if h.Frozen != nil && h.Frozen.MasterUser != "" {
		return h.Frozen.MasterUser
	}
	return h.Status.Replica.MasterUser
}

// waitReplicating waits until both replication threads run.
func waitReplicating(ctx context.Context, h *Host) (*instance.Status, error) {
	var s *instance.Status
	err := poll(ctx, 30e9, func() (bool, error) {
		var err error
		s, err = refresh(ctx, h)
		if err != nil || s.Replica == nil {
			return false, err
		}
		if s.Replica.LastIOErrno != 0 || s.Replica.LastSQLErrno != 0 {
			return false, fmt.Errorf("IO error %d %s; SQL error %d %s", s.Replica.LastIOErrno, s.Replica.LastIOError, s.Replica.LastSQLErrno, s.Replica.LastSQLError)
		}
		return s.Replica.IORunningYes() && s.Replica.SQLRunningYes(), nil
	}, "replication on "+h.Name()+" to run")
	return s, err
}
