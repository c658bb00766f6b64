// Package coord coordinates several mhago managers through Redis: a
// failover lock (one failover per cluster at a time, renewed while held,
// with a fencing number per acquisition), the mirror of the current run's
// journal, and the publication of the resulting topology for configuration
// managers to watch.
//
// Keys, for prefix P and cluster id C (config.Config.ClusterID); the braces
// are a Redis Cluster hash tag, so that every key of one cluster lives in
// one hash slot and a script or MULTI may touch several of them:
//
//	P:{C}:failover-lock  the lock: JSON {token, holder}, SET NX PX
//	P:{C}:fence          fencing counter, INCR on every acquisition
//	P:{C}:topology       current topology (JSON); also the pub/sub channel
//	P:{C}:journal        the current (or last) run's journal, a list of JSON records
//	P:{C}:last-failover  the last completed failover
package coord

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrUnreachable marks a Redis that did not answer.
var ErrUnreachable = errors.New("redis unreachable")

// Mode is how Redis is deployed, which decides the client go-redis builds.
type Mode string

// The deployments mhago speaks to (config key redis_mode).
const (
	ModeSingle   Mode = "single"   // one server (Addr)
	ModeSentinel Mode = "sentinel" // Addrs are sentinels; MasterName names the master they watch
	ModeCluster  Mode = "cluster"  // Addrs are seed nodes of a Redis Cluster
)

// Options is how to reach Redis.
type Options struct {
	Mode Mode // "" => ModeSingle
	// Addr is the one server of ModeSingle; Addrs, when set, replace it:
	// the sentinels (ModeSentinel) or the cluster's seed nodes (ModeCluster).
	Addr  string
	Addrs []string
	// MasterName is the name the sentinels know the master by.
	MasterName string
	// Username and Password authenticate (AUTH, ACL user when Username is
	// set) to the data nodes; SentinelUsername and SentinelPassword to the
	// sentinels, which keep their own users.
	Username, Password                 string
	SentinelUsername, SentinelPassword string
	DB                                 int // not in ModeCluster, which has only database 0
	KeyPrefix                          string
	Timeout                            time.Duration
	// TLS, when not nil, is used for every connection, sentinels included.
	// An empty ServerName is taken from each address's host.
	TLS *tls.Config
	// LockReplicas is how many replicas must acknowledge (WAIT) a new
	// lock and its fencing number before Acquire returns it; see Acquire.
	LockReplicas int
}

// addrs is the address list, from Addrs or Addr.
func (o Options) addrs() []string {
	if len(o.Addrs) > 0 {
		return o.Addrs
	}
	return []string{o.Addr}
}

// where names the Redis in messages: mode, master name and addresses.
func (o Options) where() string {
	a := strings.Join(o.addrs(), ",")
	switch o.Mode {
	case ModeSentinel:
		return fmt.Sprintf("master %q of sentinels %s", o.MasterName, a)
	case ModeCluster:
		return "cluster " + a
	}
	return a
}

// Client is the Redis every coord function takes. It is go-redis's
// universal client, so that one server, a Sentinel-managed master or a
// Redis Cluster serve alike, plus what messages and waits need to know.
type Client struct {
	redis.UniversalClient
	where    string        // the address(es), for messages
	timeout  time.Duration // the I/O bound, for blocking reads
	replicas int           // Options.LockReplicas
}

// Where names the Redis in messages.
func (c *Client) Where() string { return c.where }

// NewClient returns a client with bounded dial and I/O timeouts, so a dead
// Redis costs seconds, not the default minutes of retries.
func NewClient(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	u := redis.NewUniversalClient(universalOptions(o))
	return &Client{UniversalClient: u, where: o.where(), timeout: o.Timeout, replicas: o.LockReplicas}
}

// universalOptions maps Options onto go-redis. The mode is explicit rather
// than guessed from the number of addresses, so that a Cluster reached
// through one seed node is still a cluster.
func universalOptions(o Options) *redis.UniversalOptions {
	u := &redis.UniversalOptions{
		Addrs:    o.addrs()[:1],
		Username: o.Username, Password: o.Password, DB: o.DB,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		MaxRetries: 1, DisableIdentity: true,
	}
	if o.TLS != nil {
		u.TLSConfig = o.TLS.Clone()
	}
	switch o.Mode {
	case ModeSentinel:
		u.Addrs = o.addrs()
		u.MasterName = o.MasterName
		u.SentinelUsername, u.SentinelPassword = o.SentinelUsername, o.SentinelPassword
	case ModeCluster:
		u.Addrs, u.IsClusterMode = o.addrs(), true
		// A cluster redirects (MOVED/ASK) and fails over its nodes: allow
		// the redirections and a few retries, still bounded by Timeout.
		u.MaxRedirects, u.MaxRetries = 3, 2
	}
	return u
}

// Ping checks that Redis answers and accepts our credentials.
func Ping(ctx context.Context, o Options) error {
	c := NewClient(o)
	defer c.Close()
	if err := c.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("%w: ping redis %s: %w", ErrUnreachable, o.where(), err)
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

// replicated queues fn's writes and, when LockReplicas > 0, a WAIT for that
// many replicas, on one connection to the node that serves key: WAIT counts
// the replicas of the writes sent on its own connection only. It returns
// how many replicas acknowledged (0 without WAIT) and the pipeline's first
// error, which may be one of fn's commands' own (redis.Nil included): the
// caller looks at its Cmd first.
func (c *Client) replicated(ctx context.Context, key string, fn func(redis.Pipeliner), bound time.Duration) (int, error) {
	var node redis.Cmdable = c.UniversalClient
	if cc, ok := c.UniversalClient.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, key)
		if err != nil {
			return 0, err
		}
		node = n
	}
	var wait *redis.Cmd
	_, err := node.Pipelined(ctx, func(p redis.Pipeliner) error {
		fn(p)
		if c.replicas > 0 {
			wait = p.Do(ctx, "WAIT", c.replicas, bound.Milliseconds())
		}
		return nil
	})
	if err != nil || wait == nil {
		return 0, err
	}
	n, err := wait.Int64()
	return int(n), err
}
