package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/internal/netprobe"
)

// recheckTopology runs once the lock is held. The topology and guards were
// read before it; while this run waited, another manager may have failed
// over and released the lock, or the master may have come back. Nothing
// has changed yet, so the run stops if anything differs, and otherwise
// records what it found in its journal.
func recheckTopology(ctx context.Context, st *State) error {
	if err := checkGuards(ctx, st); err != nil {
		return err
	}
	if err := st.deadStillDead(ctx); err != nil {
		return err
	}
	var moved []string
	for _, h := range st.Replicas {
		if why := st.movedReplica(ctx, h); why != "" {
			moved = append(moved, h.Name()+" "+why)
		}
	}
	if len(moved) > 0 {
		return fmt.Errorf("%w: the topology changed while this run waited for the lock (another manager failed over?): %s; nothing was changed: run check",
			ErrGuard, strings.Join(moved, "; "))
	}
	return st.recordTopology(ctx, "1")
}

// deadStillDead refuses a master that answers again.
func (st *State) deadStillDead(ctx context.Context) error {
	// A port that does not greet is as dead as the confirmation found it
	// (gone, or hung and to be fenced): no need to wait out
	// mysql_connect_timeout on a login it will not answer.
	if reach, _ := netprobe.Probe(ctx, st.Dead.Server.Addr(), time.Second); reach != netprobe.Greeted {
		return nil
	}
	db, err := instance.Open(ctx, endpoints.MySQL(st.cfg, st.Dead.Server))
	if err != nil && !errors.Is(err, instance.ErrAccessDenied) {
		return nil
	}
	if db != nil {
		db.Close()
	}
	return fmt.Errorf("%w: %s answers over MySQL again (%v); nothing was changed", ErrMasterAlive, st.Dead.Server, err)
}

// movedReplica says how a replica no longer replicates from the dead
// master, or "".
func (st *State) movedReplica(ctx context.Context, h *Host) string {
	s, err := refresh(ctx, h)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot be read again: %v", err)
	case s.Replica == nil:
		return "is no longer a replica"
	case s.Replica.MasterPort != st.Dead.Server.Port || (s.Replica.MasterHost != st.Dead.Server.Hostname && s.Replica.MasterHost != st.Dead.Server.IP):
		return fmt.Sprintf("now replicates from %s:%d", s.Replica.MasterHost, s.Replica.MasterPort)
	}
	return ""
}
