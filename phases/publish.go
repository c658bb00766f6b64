package phases

import (
	"context"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/report"
)

// publishTopology tells the other managers where the master is now. A
// failure is a warning (the runner marks the step optional): the cluster
// is recovered either way.
func publishTopology(ctx context.Context, st *State) error {
	if st.redis == nil {
		return nil
	}
	t := coord.Topology{Cluster: st.cluster, RunID: st.opts.RunID, UpdatedAt: st.deps.Now(), Fence: st.run.Fence(),
		Master: coord.Node{Name: st.NewMaster.Name(), Host: st.NewMaster.Server.Hostname, Port: st.NewMaster.Server.Port}}
	for _, h := range st.Replicas {
		if h != st.NewMaster && st.Report.HostResult(h.Name(), "", "").Status == report.HostRecovered {
			t.Replicas = append(t.Replicas, coord.Node{Name: h.Name(), Host: h.Server.Hostname, Port: h.Server.Port})
		}
	}
	return coord.PublishTopology(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cluster, t)
}
