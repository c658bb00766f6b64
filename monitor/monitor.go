package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/endpoints"
)

// Sync is the cluster config published in Redis (package configsync,
// bound to one Redis client by the caller).
type Sync interface {
	// CheckFresh returns an error when a newer config than the local one
	// is published: a monitor must not act on a stale config.
	CheckFresh(ctx context.Context, cfg *config.Config) error
	// Pull rewrites the local file with the newest published config.
	Pull(ctx context.Context, cfg *config.Config) (changed bool, version int64, err error)
	// Watch pulls at start and on every publication, then calls onChange;
	// it returns when ctx ends or onChange fails.
	Watch(ctx context.Context, cfg *config.Config, onChange func(version int64) error) error
	// Latest is the newest published version (0: none).
	Latest(ctx context.Context, cfg *config.Config) (int64, error)
}

// Deps are the monitor's collaborators.
type Deps struct {
	// Load reads the config file (at start, on SIGHUP, after a failover).
	Load func() (*config.Config, error)
	// Failover runs the dead-master failover in this process, under the
	// Redis lock; it returns nil when it completed.
	Failover func(ctx context.Context, cfg *config.Config) error
	// Sync is nil when no Redis is configured.
	Sync    Sync
	Log     *slog.Logger
	Metrics *Metrics
	// Health is MHA's status file; nil keeps none.
	Health *HealthWriter
}

// Options are the operator's choices.
type Options struct {
	// Once runs one confirmation window (until the master is healthy or
	// confirmed dead, and then the failover) and returns.
	Once bool
	// Reload receives a value for every SIGHUP.
	Reload <-chan struct{}
	// AwaitPublish bounds the wait of a monitor that lost the race for the
	// winner's published config (default 2 minutes).
	AwaitPublish time.Duration
	// ExitAfterFailover ends the monitor after its first failover run,
	// with that run's error (nil when it completed), as MHA's
	// masterha_manager does, instead of following the new master.
	ExitAfterFailover bool
}

// ErrStale: the local config is older than the published one, and it could
// not be brought up to date; the monitor does not act on it.
var ErrStale = errors.New("stale cluster config")

// monitor is one running monitor.
type monitor struct {
	deps    Deps
	opts    Options
	cfg     *config.Config
	log     *slog.Logger
	master  config.Server
	pinger  *pinger
	tracker Tracker
	// notBefore holds off the next failover after one that was refused or
	// aborted.
	notBefore time.Time
	// published receives a version each time Sync.Watch rewrote the file.
	published chan int64
	// alarm watches the master between pings and rings ring when its
	// connection breaks.
	alarm *alarm
	ring  chan struct{}
}

// Run monitors until ctx ends (nil: a clean stop), a failover needs the
// operator (its error), or, with Once, after one confirmation window.
func Run(ctx context.Context, deps Deps, opts Options) error {
	if opts.AwaitPublish <= 0 {
		opts.AwaitPublish = 2 * time.Minute
	}
	m := &monitor{deps: deps, opts: opts, log: deps.Log.With("phase", "monitor"), published: make(chan int64, 1), ring: make(chan struct{}, 1)}
	if err := m.load(); err != nil {
		return err
	}
	defer m.closePinger()
	if err := m.discover(ctx); err != nil {
		return err
	}
	if deps.Sync != nil && !opts.Once {
		go m.watch(ctx)
	}
	if opts.Once {
		return m.once(ctx)
	}
	if err := m.loop(ctx); !errors.Is(err, errFailedOver) {
		return err
	}
	return nil
}

// load (re)reads the config file.
func (m *monitor) load() error {
	cfg, err := m.deps.Load()
	if err != nil {
		return fmt.Errorf("monitor: load config: %w", err)
	}
	m.cfg = cfg
	return nil
}

// discover finds the master and starts pinging it. A monitor without a
// master keeps looking each interval; only --once gives up.
func (m *monitor) discover(ctx context.Context) error {
	for {
		obs := readServers(ctx, m.cfg, m.cfg.Servers, m.interval())
		master, err := pickMaster(obs)
		if err == nil {
			m.watchMaster(master)
			m.recordVersion(ctx)
			return nil
		}
		if m.opts.Once || ctx.Err() != nil {
			return err
		}
		m.log.Warn("no master to monitor, looking again", "err", err, "in", m.interval())
		if !sleep(ctx, m.interval()) {
			return nil
		}
	}
}

func (m *monitor) watchMaster(master config.Server) {
	changed := m.master.Block != master.Block || m.pinger == nil
	m.closePinger()
	m.master = master
	// ping_type and ping_interval are the master's own, as MHA reads them.
	typ := m.cfg.ForServer(master.Block).PingType
	if changed {
		m.log.Info("monitoring master", "host", master.Block, "addr", master.Addr(), "ping_type", typ, "ping_interval", m.interval())
	}
	ep := endpoints.MySQL(m.cfg, master)
	ep.ConnectTimeout = m.interval()
	m.pinger = &pinger{ep: ep, typ: typ, timeout: m.interval()}
	m.tracker = Tracker{State: StateHealthy}
	m.alarm = startAlarm(ep, m.interval(), m.ring, m.log)
}

func (m *monitor) closePinger() {
	if m.pinger != nil {
		m.pinger.close()
	}
	m.alarm.stop()
	m.alarm = nil
}

func (m *monitor) interval() time.Duration {
	// The monitored master's ping_interval; [server default]'s before one
	// is found.
	if d := m.cfg.ForServer(m.master.Block).PingInterval; d > 0 {
		return d
	}
	return 3 * time.Second
}

// earlyChecks and earlyPause: after the watch connection broke, the
// cycle runs again this many times this far apart, until the replicas'
// IO threads show the crash (or the master answers).
const (
	earlyChecks = 10
	earlyPause  = 100 * time.Millisecond
)

// loop runs a check cycle every ping_interval, and at once when the watch
// connection to the master breaks.
func (m *monitor) loop(ctx context.Context) error {
	t := time.NewTicker(m.interval())
	defer t.Stop()
	early, regular := 0, true
	for {
		if err := m.cycle(ctx, !regular); err != nil {
			return err
		}
		// Early looks follow one another only while the master is
		// suspect; the ticker's cycles always count as pings.
		var earlyC <-chan time.Time
		if !regular {
			early--
		}
		if early > 0 && m.tracker.State == StateSuspect {
			earlyC = time.After(earlyPause)
		} else {
			early = 0
		}
		regular = true
		select {
		case <-ctx.Done():
			m.log.Info("monitor stopped", "host", m.master.Block)
			return nil
		case <-m.opts.Reload:
			m.log.Info("SIGHUP: reloading the config")
			m.reload(ctx)
		case v := <-m.published:
			m.log.Info("a new cluster config was published: reloading", "version", v)
			m.reload(ctx)
		case <-m.ring:
			// The watch connection broke: look now, not at the next tick.
			early, regular = earlyChecks, false
			continue
		case <-earlyC:
			regular = false
			continue
		case <-t.C:
			continue
		}
		t.Reset(m.interval())
	}
}

// once runs cycles until the master is healthy or confirmed dead (and
// failed over): at most one confirmation window.
func (m *monitor) once(ctx context.Context) error {
	for {
		if err := m.cycle(ctx, false); err != nil {
			return err
		}
		if m.tracker.State == StateHealthy || ctx.Err() != nil {
			return ctx.Err()
		}
		if !sleep(ctx, m.interval()) {
			return ctx.Err()
		}
	}
}

// cycle pings the master; when the ping fails, it asks the replicas too,
// steps the tracker and, once the master is confirmed dead, acts.
func (m *monitor) cycle(ctx context.Context, early bool) error {
	start := time.Now()
	res, pingErr := m.pinger.ping(ctx)
	obs := readServers(ctx, m.cfg, m.replicaServers(), m.interval())
	replicas, lost := replicaSight(append(obs, serverObs{Server: m.master}), m.master)
	before := m.tracker
	var why string
	m.tracker, why = Step(m.tracker, Observation{Ping: res, Replicas: replicas, ReplicasLost: lost, Early: early}, m.rule())
	m.logStep(before, res, pingErr, replicas, lost, why)
	m.deps.Health.Set(StageWatching, m.tracker.State, m.master.Hostname)
	m.record(res, obs, start)
	if m.tracker.State != StateDead || ctx.Err() != nil {
		return nil
	}
	return m.act(ctx, why)
}

func (m *monitor) rule() Rule { return Rule{Confirmations: 3} }

func (m *monitor) replicaServers() []config.Server {
	var out []config.Server
	for _, s := range m.cfg.Servers {
		if s.Block != m.master.Block {
			out = append(out, s)
		}
	}
	return out
}

func (m *monitor) logStep(before Tracker, res PingResult, pingErr error, replicas, lost int, why string) {
	log := m.log.With("host", m.master.Block)
	switch {
	case before.State != m.tracker.State && m.tracker.State == StateDead:
		log.Error("master confirmed dead", "why", why, "err", pingErr)
	case before.State != m.tracker.State:
		log.Warn("master state changed", "from", before.State, "to", m.tracker.State, "ping", res, "failures", m.tracker.Failures,
			"replicas", replicas, "replicas_lost", lost, "err", pingErr)
	case m.tracker.State == StateSuspect:
		log.Warn("ping failed", "ping", res, "failures", m.tracker.Failures, "replicas", replicas, "replicas_lost", lost, "err", pingErr)
	}
}

// record updates the metrics with one cycle.
func (m *monitor) record(res PingResult, obs []serverObs, start time.Time) {
	if m.deps.Metrics == nil {
		return
	}
	lag := map[string]float64{}
	for _, o := range obs {
		if o.Status != nil && o.Status.Replica != nil && o.Status.Replica.SecondsBehindMaster != nil {
			lag[o.Server.Block] = float64(*o.Status.Replica.SecondsBehindMaster)
		}
	}
	up := res == PingOK || res == PingAnswered
	m.deps.Metrics.checked(m.master.Block, up, m.tracker.State, lag, time.Now(), time.Since(start))
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// recordVersion puts the config version in use in the metrics: the
// published one, when the local config is not older.
func (m *monitor) recordVersion(ctx context.Context) {
	if m.deps.Sync == nil || m.deps.Metrics == nil || m.deps.Sync.CheckFresh(ctx, m.cfg) != nil {
		return
	}
	if v, err := m.deps.Sync.Latest(ctx, m.cfg); err == nil {
		m.deps.Metrics.configVersion(v)
	}
}
