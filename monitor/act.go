package monitor

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// act runs the failover of a master confirmed dead, unless the config is
// stale or an earlier refusal still holds it off, and then follows the
// cluster to its new master.
func (m *monitor) act(ctx context.Context, why string) error {
	log := m.log.With("host", m.master.Block)
	if wait := time.Until(m.notBefore); wait > 0 {
		log.Warn("master confirmed dead, but the last failover attempt was refused: not trying again yet", "in", wait.Round(time.Millisecond))
		return nil
	}
	if err := m.ensureFresh(ctx); err != nil {
		return err
	}
	if m.tracker.State != StateDead {
		return nil // the fresh config names another master: ensureFresh moved to it
	}
	log.Warn("starting the failover", "why", why)
	m.deps.Health.Set(StageFailover, m.tracker.State, m.master.Hostname)
	// The run is not cut short by SIGTERM: it finishes, or, after its
	// point of no return, records where it stopped in its journal.
	err := m.deps.Failover(context.WithoutCancel(ctx), m.cfg)
	o := Classify(err)
	if m.deps.Metrics != nil {
		m.deps.Metrics.failedOver(o)
	}
	log.Warn("failover ended", "outcome", o, "err", err)
	return m.after(ctx, o, err)
}

// after follows a failover's outcome: reload and rediscover the master
// (the winner and, once it published, the losers), back off, or stop.
func (m *monitor) after(ctx context.Context, o Outcome, err error) error {
	switch {
	case o == OutcomeBroken, m.opts.ExitAfterFailover && err != nil:
		m.deps.Health.Set(StageFailoverError, m.tracker.State, "")
		return err
	case m.opts.ExitAfterFailover:
		return errFailedOver
	case o != OutcomeDone:
		m.deps.Health.Set(StageRetrying, m.tracker.State, "")
	}
	switch o {
	case OutcomeLost:
		m.awaitPublished(ctx)
	case OutcomeAlive, OutcomeRefused, OutcomeAborted:
		m.notBefore = time.Now().Add(Backoff(o, m.interval()))
	}
	if m.opts.Once && o != OutcomeDone {
		return err
	}
	m.reload(ctx)
	return nil
}

// errFailedOver ends the loop of a monitor told to exit after its
// failover, which completed; Run returns nil for it.
var errFailedOver = errors.New("failed over")

// ensureFresh refuses to act on a stale config: it pulls the newest one
// and moves to the master that one leads to. Only a config that cannot be
// brought up to date is an error.
func (m *monitor) ensureFresh(ctx context.Context) error {
	if m.deps.Sync == nil {
		return nil
	}
	stale := m.deps.Sync.CheckFresh(ctx, m.cfg)
	if stale == nil {
		return nil
	}
	m.log.Warn("not acting on a stale config: pulling the published one first", "err", stale)
	if _, _, err := m.deps.Sync.Pull(ctx, m.cfg); err != nil {
		return fmt.Errorf("%w: %w; pulling the newest failed: %w (fix: mhago config pull --conf %s)", ErrStale, stale, err, m.cfg.Path)
	}
	m.reload(ctx)
	return nil
}

// errPublished ends the wait for a publication.
var errPublished = errors.New("published")

// awaitPublished waits, bounded, until the winner of the lock publishes
// its config (Sync.Watch rewrites the local file before it tells us), or
// the servers already show another master: a winner whose push failed
// must not leave the losers blind for the whole bound.
func (m *monitor) awaitPublished(ctx context.Context) {
	if m.deps.Sync == nil {
		return
	}
	wctx, cancel := context.WithTimeout(ctx, m.opts.AwaitPublish)
	defer cancel()
	start := time.Now()
	go m.awaitNewMaster(wctx, cancel)
	err := m.deps.Sync.Watch(wctx, m.cfg, func(v int64) error {
		m.log.Info("the winner's config is published", "version", v, "waited", time.Since(start).Round(time.Millisecond))
		return errPublished
	})
	if !errors.Is(err, errPublished) {
		m.log.Warn("no config published by the winner of the lock while waiting; going on with the local one",
			"waited", time.Since(start).Round(time.Millisecond), "err", err)
	}
}

// awaitNewMaster ends the wait (cancel) once the servers name another
// master than the dead one, each ping_interval.
func (m *monitor) awaitNewMaster(ctx context.Context, cancel context.CancelFunc) {
	for sleep(ctx, m.interval()) {
		master, err := pickMaster(readServers(ctx, m.cfg, m.cfg.Servers, m.interval()))
		if err == nil && master.Block != m.master.Block {
			m.log.Info("the servers show a new master before any config was published", "host", master.Block)
			cancel()
			return
		}
	}
}

// reload rereads the config file and finds the master again. A file that
// no longer loads keeps the config in use.
func (m *monitor) reload(ctx context.Context) {
	prev := m.cfg
	if err := m.load(); err != nil {
		m.log.Error("config reload failed: keeping the config in use", "err", err)
		m.cfg = prev
	}
	if err := m.discover(ctx); err != nil {
		m.log.Error("no master after the reload", "err", err)
	}
}

// watch follows publications for the monitor's life: every version Sync
// wrote to the file makes the loop reload it.
func (m *monitor) watch(ctx context.Context) {
	cfg := m.cfg
	for ctx.Err() == nil {
		err := m.deps.Sync.Watch(ctx, cfg, func(v int64) error {
			select {
			case m.published <- v:
			default: // a reload is already due
			}
			return nil
		})
		if ctx.Err() == nil {
			m.log.Warn("config watch ended: starting it again", "err", err)
			sleep(ctx, m.interval())
		}
	}
}
