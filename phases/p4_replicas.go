package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/repl"
)

// recoverReplicas (phase 4) brings every other replica to the same data as
// the new master and points it there, all in parallel. A replica that fails
// is recorded; the others go on.
func recoverReplicas(ctx context.Context, st *State) error {
	var others []*Host
	for _, h := range st.Replicas {
		if h != st.NewMaster {
			others = append(others, h)
		}
	}
	st.parallel(ctx, others, func(ctx context.Context, st *State, h *Host) error {
		r := st.Report.HostResult(h.Name(), h.Server.Addr(), "replica")
		if err := st.recoverReplica(ctx, h); err != nil {
			r.Fail(err)
			st.log.Error("replica recovery failed", "phase", "4", "host", h.Name(), "error", err)
			return nil
		}
		r.Recovered()
		return nil
	})
	return nil
}

func (st *State) recoverReplica(ctx context.Context, h *Host) error {
	if h.lackRelayLogs {
		return fmt.Errorf("lacks relay logs back to its read position %s; rebuild it from a backup of %s", readCoords(h), st.NewMaster.Name())
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
	st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").After = position(s.Replica.MasterLogFile, s.Replica.ReadMasterLogPos, gtidOf(h))
	return nil
}

// repoint makes h replicate from the new master at the position where the
// new master's own writes begin.
func (st *State) repoint(ctx context.Context, h *Host) error {
	nm := st.NewMaster.Server
	v, _ := repl.ParseVersion(h.Status.Version)
	for _, stmt := range []string{"STOP SLAVE", "RESET SLAVE"} {
		if err := execSQL(ctx, h, stmt); err != nil {
			return err
		}
	}
	p := decide.ChangeMasterParams{Flavor: v.Flavor(), Version: v, Host: nm.IP, Port: nm.Port, User: st.replUser(h),
		Password: nm.ReplPassword.Reveal(), PasswordSet: nm.ReplPasswordSet, Mode: st.Mode, File: st.NewMasterFile, Pos: st.NewMasterPos}
	if st.Mode == decide.ModeMariaGTID {
		set, err := decide.SetGTIDSlavePos(st.NewMasterGTID)
		if err != nil {
			return fmt.Errorf("new master %s position %q: %w", st.NewMaster.Name(), st.NewMasterGTID, err)
		}
		if err := execSQL(ctx, h, set); err != nil {
			return err
		}
	}
	stmt, redacted, err := decide.ChangeMaster(p)
	if err != nil {
		return fmt.Errorf("build CHANGE MASTER for %s: %w", h.Name(), err)
	}
	st.log.Info("change master", "phase", "4", "host", h.Name(), "sql", redacted)
	if _, err := h.DB.ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("%s on %s: %w", redacted, h.Name(), err)
	}
	return execSQL(ctx, h, "START SLAVE")
}

// replUser is repl_user, else the user the replica used before (MHA).
func (st *State) replUser(h *Host) string {
	if u := st.NewMaster.Server.ReplUser; u != "" {
		return u
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

// cleanupNewMaster (phase 5) removes the new master's replication settings
// for the dead master, unless skip_reset_slave.
func cleanupNewMaster(ctx context.Context, st *State) error {
	nm := st.NewMaster
	if nm.Server.SkipResetSlave {
		st.Report.Note("skip_reset_slave=1: " + nm.Name() + " keeps its replication settings")
		return nil
	}
	for _, stmt := range []string{"STOP SLAVE", "RESET SLAVE ALL"} {
		if err := execSQL(ctx, nm, stmt); err != nil {
			return err
		}
	}
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if s.Replica != nil {
		return fmt.Errorf("RESET SLAVE ALL on %s left replication settings behind", nm.Name())
	}
	return nil
}

// publishTopology tells the other managers where the master is now.
func publishTopology(ctx context.Context, st *State) error {
	if st.redis == nil {
		return nil
	}
	t := coord.Topology{Cluster: st.cfg.ClusterID(), RunID: st.opts.RunID, UpdatedAt: st.deps.Now(),
		Master: coord.Node{Name: st.NewMaster.Name(), Host: st.NewMaster.Server.Hostname, Port: st.NewMaster.Server.Port}}
	if st.lock != nil {
		t.Fence = st.lock.Fence()
	}
	for _, h := range st.Replicas {
		if h != st.NewMaster && st.Report.HostResult(h.Name(), "", "").Status == "recovered" {
			t.Replicas = append(t.Replicas, coord.Node{Name: h.Name(), Host: h.Server.Hostname, Port: h.Server.Port})
		}
	}
	return coord.PublishTopology(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cfg.ClusterID(), t)
}
