// Package coord coordinates several mhago managers through Redis: a
// failover lock (one failover per cluster at a time, renewed while held,
// with a fencing number per acquisition), the mirror of the current run's
// journal, and the publication of the resulting topology for configuration
// managers to watch.
//
// Keys, for prefix P and cluster id C (config.Config.ClusterID):
//
//	P:C:failover-lock  the lock: JSON {token, holder}, SET NX PX
//	P:C:fence          fencing counter, INCR on every acquisition
//	P:C:topology       current topology (JSON); also the pub/sub channel
//	P:C:journal        the current (or last) run's journal, a list of JSON records
package coord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnreachable marks a Redis that did not answer.
var ErrUnreachable = errors.New("redis unreachable")

// Options is how to reach Redis.
type Options struct {
	Addr      string
	Password  string
	DB        int
	KeyPrefix string
	Timeout   time.Duration
}

// Client is the Redis every coord function takes. It is go-redis's
// universal client, so that one server, a Sentinel-managed master or a
// Redis Cluster serve alike, plus what messages and waits need to know.
type Client struct {
	redis.UniversalClient
	where   string        // the address(es), for messages
	timeout time.Duration // the I/O bound, for blocking reads
}

// Where names the Redis in messages.
func (c *Client) Where() string { return c.where }

// NewClient returns a client with bounded dial and I/O timeouts, so a dead
// Redis costs seconds, not the default minutes of retries.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	u := redis.NewClient(&redis.Options{
		Addr: o.Addr, Password: o.Password, DB: o.DB,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		MaxRetries: 1, DisableIdentity: true,
	})
	return &Client{UniversalClient: u, where: o.Addr, timeout: o.Timeout}
}

// Ping checks that Redis answers and accepts our credentials.
func Ping(ctx context.Context, o Options) error {
	c := NewClient(o)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: ping redis at %s: %w", ErrUnreachable, o.Addr, err)
	}
	return nil
}

// RedisLogsTo routes go-redis's own log lines (dial retries, pool notices),
// which by default go straight to stderr, into l at debug level; nil
// discards them. go-redis keeps one logger per process, so the binary calls
// this once at start-up.
func RedisLogsTo(l *slog.Logger) {
	redis.SetLogger(slogPrintf{orDiscard(l)})
}

type slogPrintf struct{ l *slog.Logger }

func (s slogPrintf) Printf(ctx context.Context, format string, v ...any) {
	s.l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
