package configsync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
)

// WatchOptions tune WatchWith. The zero value works.
type WatchOptions struct {
	// OnChange runs after each rewrite of the file, with the version it
	// now holds; an error from it ends the watch.
	OnChange func(v int64) error
	// Log hears reconnects and pulls that were refused (an older or
	// invalid version); nil discards.
	Log *slog.Logger
	// MinBackoff and MaxBackoff bound the waits between reconnects
	// (default 100ms and 5s); Idle is how long a quiet subscription waits
	// before a ping tells it from a dead one (default 30s).
	MinBackoff, MaxBackoff, Idle time.Duration
}

// Watch pulls at start, then on every announced version, until ctx ends
// (it then returns ctx.Err()) or onChange fails. See WatchWith.
func Watch(ctx context.Context, c *coord.Client, cfg *config.Config, onChange func(v int64) error) error {
	return WatchWith(ctx, c, cfg, WatchOptions{OnChange: onChange})
}

// WatchWith is Watch with options. A change is never missed: after every
// (re)subscription the stored version is read, so a version announced
// while the watch was disconnected (Redis restarting, a network cut) is
// pulled as soon as the subscription is back, whether or not its message
// arrived. A pull that is refused (an older version, a part that does not
// load here) is logged and the watch goes on; the next version may fix
// it. Only a Redis that answers with an error on the first try (wrong
// password, not a Redis) ends the watch at once.
func WatchWith(ctx context.Context, c *coord.Client, cfg *config.Config, o WatchOptions) error {
	w := newWatcher(c, cfg, o)
	wait := w.o.MinBackoff
	for first := true; ; first = false {
		err := w.round(ctx)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, errOnChange):
			return err
		case first && err != nil && !errors.Is(err, coord.ErrUnreachable):
			return err
		case err == nil:
			wait = w.o.MinBackoff // the session had worked
		}
		w.log.Warn("config watch: redis connection lost, reconnecting", "redis", c.Where(), "wait", wait, "error", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, w.o.MaxBackoff)
	}
}

// errOnChange marks the caller's own failure, which ends the watch.
var errOnChange = errors.New("config watch: on change")

type watcher struct {
	c   *coord.Client
	cfg *config.Config
	o   WatchOptions
	log *slog.Logger
	key string
}

func newWatcher(c *coord.Client, cfg *config.Config, o WatchOptions) *watcher {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 100 * time.Millisecond
	}
	if o.MaxBackoff < o.MinBackoff {
		o.MaxBackoff = max(o.MinBackoff, 5*time.Second)
	}
	if o.Idle <= 0 {
		o.Idle = 30 * time.Second
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &watcher{c: c, cfg: cfg, o: o, log: log, key: Key(cfg.Redis.KeyPrefix, cfg.ClusterID())}
}

// round subscribes, pulls what was stored meanwhile, then pulls on every
// message until the connection fails (nil: it worked, then failed).
func (w *watcher) round(ctx context.Context) error {
	ps := w.c.Subscribe(ctx, w.key)
	defer ps.Close()
	// Confirmed before the read: a version stored before the confirmation
	// is read, one stored after it arrives as a message.
	if _, err := ps.ReceiveTimeout(ctx, w.o.Idle); err != nil {
		return redisErr("subscribe to "+w.key, w.c, err)
	}
	if err := w.pull(ctx); err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { _ = ps.Close() }) // unblocks Receive
	defer stop()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, w.o.Idle)
		switch {
		case isTimeout(err) && !pinged:
			pinged = ps.Ping(ctx) == nil
		case err != nil:
			return nil
		default:
			pinged = false
			if _, ok := msg.(*redis.Message); !ok {
				continue
			}
			if err := w.pull(ctx); err != nil {
				return err
			}
		}
	}
}

// pull reads the stored version and applies it. Redis failures and the
// caller's are returned; a refused pull is logged.
func (w *watcher) pull(ctx context.Context) error {
	latest, err := Latest(ctx, w.c, w.cfg.Redis.KeyPrefix, w.cfg.ClusterID())
	if err != nil {
		return err
	}
	changed, v, err := apply(w.cfg, latest)
	if err != nil {
		w.log.Error("config watch: pull refused", "config", w.cfg.Path, "error", err)
		return nil
	}
	if !changed || w.o.OnChange == nil {
		return nil
	}
	if err := w.o.OnChange(v); err != nil {
		return fmt.Errorf("%w: version %d: %w", errOnChange, v, err)
	}
	return nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
