package main

import (
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/monitor"
)

// newMonitorSync: until package configsync is merged, the monitor runs
// without the published config (losers rediscover the master from the
// servers). Replaced by cmd_monitor_sync.go with that merge.
func newMonitorSync(*config.Config, *monitor.Metrics) (monitor.Sync, func()) { return nil, func() {} }
