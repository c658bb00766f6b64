package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// LastFailover is the cluster's last completed failover, whichever manager
// host ran it: MHA's <app>.failover.complete file, for every manager.
type LastFailover struct {
	RunID       string    `json:"run_id"`
	ManagerHost string    `json:"manager_host"`
	Outcome     string    `json:"outcome"` // success or partial
	Ended       time.Time `json:"ended"`
}

func lastFailoverKey(prefix, cluster string) string { return Key(prefix, cluster, "last-failover") }

// SetLastFailover records a completed failover.
func SetLastFailover(ctx context.Context, c *Client, prefix, cluster string, l LastFailover) error {
	b, err := json.Marshal(l)
	if err != nil {
		return err
	}
	key := lastFailoverKey(prefix, cluster)
	if err := c.Set(ctx, key, b, 0).Err(); err != nil {
		return redisErr("record last failover "+key, c, err)
	}
	return nil
}

// GetLastFailover returns the last completed failover, or nil.
func GetLastFailover(ctx context.Context, c *Client, prefix, cluster string) (*LastFailover, error) {
	key := lastFailoverKey(prefix, cluster)
	raw, err := c.Get(ctx, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, redisErr("read last failover "+key, c, err)
	}
	var l LastFailover
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("read last failover %s: %w", key, err)
	}
	return &l, nil
}
