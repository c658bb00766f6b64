package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/instance"
)

// failoverLockWait is how long a replica's MHA failover lock is waited
// for. MHA waits 1 s and aborts; the usual holder, purge_relay_logs,
// lets it go about 3 s after taking it, so waiting a little longer lets
// the failover go on instead of failing at 3 a.m. for a cron job.
const failoverLockWait = 10 * time.Second

// takeFailoverLocks (phase 1) takes MHA's failover lock on every replica
// and holds it for the rest of the run, as MHA does: a purge_relay_logs
// cron takes the same lock, so it cannot purge relay logs the diffs are
// read from. A replica whose lock another session holds stops the run
// before anything changed, unless it has ignore_fail.
func takeFailoverLocks(ctx context.Context, st *State) error {
	err := st.tolerant(ctx, "1", st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		l, err := instance.TakeFailoverLock(ctx, h.DB, h.Name(), min(failoverLockWait, st.cfg.Timeouts.Phase/2))
		if err != nil {
			return err
		}
		h.failoverLock = l
		return nil
	})
	if errors.Is(err, instance.ErrLockHeld) {
		return fmt.Errorf("%w: %w; purge_relay_logs or an MHA manager is using the replica: wait for it (SELECT IS_USED_LOCK('MHA_Master_High_Availability_Failover') names its connection) and rerun; nothing was changed",
			ErrGuard, err)
	}
	return err
}

// releaseFailoverLocks lets every replica's failover lock go at the end
// of the run (it would go anyway with the run's connections).
func (st *State) releaseFailoverLocks() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, h := range st.Hosts {
		if err := h.failoverLock.Release(ctx); err != nil {
			st.log.Warn("failover lock release", "phase", "finish", "host", h.Name(), "err", err)
		}
		h.failoverLock = nil
	}
}
