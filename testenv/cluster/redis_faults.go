package cluster

import (
	"fmt"
	"time"
)

// KillRedis kills redis-server with SIGKILL (no persistence: every key,
// the failover lock included, is gone) and waits until it is gone.
func (c *Cluster) KillRedis() error {
	if err := killProc(c.Procs()[0]); err != nil {
		return fmt.Errorf("kill redis-server: %w", err)
	}
	return waitClosed(c.RedisAddr(), 5*time.Second)
}

// RedisPid is redis-server's pid, for a test's hook script to kill it in
// the middle of a run.
func (c *Cluster) RedisPid() int { return c.Procs()[0].Pid }

// StartRedis starts redis-server again (empty) and waits until it answers.
func (c *Cluster) StartRedis() error {
	if p := c.Procs()[0]; p.Alive() {
		return fmt.Errorf("redis-server already running (pid %d)", p.Pid)
	}
	if err := c.spawnRedis(); err != nil {
		return err
	}
	return c.waitRedis()
}
