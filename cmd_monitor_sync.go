package main

import (
	"context"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/configsync"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/monitor"
)

// clusterSync binds package configsync to one Redis client for the monitor.
type clusterSync struct{ c *coord.Client }

// newMonitorSync is nil without redis_address, and with an overlay file
// (config sync keeps one combined file in step; configsync.ErrOverlay):
// nothing is published then.
func newMonitorSync(cfg *config.Config, _ *monitor.Metrics) (monitor.Sync, func()) {
	ro, ok := endpoints.Redis(cfg)
	if !ok || cfg.OverlayPath != "" {
		return nil, func() {}
	}
	c := coord.NewClient(ro)
	return clusterSync{c}, func() { c.Close() }
}

func (s clusterSync) CheckFresh(ctx context.Context, cfg *config.Config) error {
	return configsync.CheckFresh(ctx, s.c, cfg)
}

func (s clusterSync) Pull(ctx context.Context, cfg *config.Config) (bool, int64, error) {
	return configsync.Pull(ctx, s.c, cfg)
}

func (s clusterSync) Watch(ctx context.Context, cfg *config.Config, onChange func(int64) error) error {
	return configsync.Watch(ctx, s.c, cfg, onChange)
}

func (s clusterSync) Latest(ctx context.Context, cfg *config.Config) (int64, error) {
	p, err := configsync.Latest(ctx, s.c, cfg.Redis.KeyPrefix, cfg.ClusterID())
	if err != nil || p == nil {
		return 0, err
	}
	return p.Version, nil
}
