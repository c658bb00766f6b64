// Package coord coordinates several mhago managers through Redis: reachability
// now; the failover lock and topology publication build on the same client.
package coord

import (
	"context"
	"errors"
	"fmt"
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

// NewClient returns a go-redis client with bounded dial and I/O timeouts, so
// a dead Redis costs seconds, not the default minutes of retries.
func NewClient(o Options) *redis.Client {
	if o.Timeout <= 0 {
		o.Timeout = 3 * time.Second
	}
	return redis.NewClient(&redis.Options{
		Addr: o.Addr, Password: o.Password, DB: o.DB,
		DialTimeout: o.Timeout, ReadTimeout: o.Timeout, WriteTimeout: o.Timeout,
		MaxRetries: 1, DisableIdentity: true,
	})
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
