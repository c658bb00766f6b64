package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/configsync"
)

// checkConfigVersion refuses to act on a config file older than the
// cluster's version in Redis whose servers or settings differ: another
// manager host changed the cluster (a failover dropped the dead master)
// and this file does not know it yet. Without Redis there is nothing to
// compare with; an unreachable Redis is the lock's to report.
func checkConfigVersion(ctx context.Context, st *State) error {
	if st.redis == nil {
		st.Report.Note("config version not compared with Redis: no Redis in use (redis_address unset, or --no-lock)")
		return nil
	}
	err := configsync.CheckFresh(ctx, st.redis, st.cfg)
	switch {
	case errors.Is(err, configsync.ErrStaleConfig):
		return fmt.Errorf("%w: %w", ErrGuard, err)
	case err != nil:
		st.Report.Note("config version not compared with Redis: " + err.Error())
	}
	return nil
}

// pushConfig publishes the config file's cluster part after a successful
// failover or switchover, under the run's fence, for the other manager
// hosts to pull (with --remove-dead-master-conf, without the dead master).
// A failure is a warning: the cluster is recovered either way.
func (st *State) pushConfig(ctx context.Context) {
	if st.redis == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	pub, err := configsync.Push(ctx, st.redis, st.cfg, st.run.Fence(), st.opts.RunID)
	if err != nil {
		msg := fmt.Sprintf("config not pushed for the other manager hosts: %v; push it with `mhago config push --conf %s`", err, st.cfg.Path)
		st.warn(msg)
		st.Report.Note(msg)
		return
	}
	st.Report.Note(fmt.Sprintf("pushed config version %d of %s to Redis for the other manager hosts (mhago config pull or watch)", pub.Version, st.cfg.Path))
}
