package cluster

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// SentinelMasterName is the name the test sentinels know the master by.
const SentinelMasterName = "mymaster"

// SentinelOptions describe a Sentinel setup: one master (node1), one
// replica (node2) and three sentinels.
type SentinelOptions struct {
	// Base: node1, node2 and sentinel1..3 listen on 127.0.<LoopbackNet>.
	// (Base+1..Base+5), the nodes on port 6379, the sentinels on 26379.
	Base int // default 100
	// Password, when set, is required by the data nodes (requirepass,
	// masterauth) and by the sentinels themselves (requirepass), which
	// use it among themselves and towards the nodes.
	Password string
	// DownAfter is the sentinels' down-after-milliseconds (default 1s):
	// how long the master must not answer before they fail over.
	DownAfter time.Duration
}

// StartSentinel starts a master, a replica of it and three sentinels
// watching the master with quorum 2, and waits until the replica is in
// sync and every sentinel knows the replica and the other two.
func StartSentinel(t testing.TB, opts SentinelOptions) *RedisGroup {
	t.Helper()
	if opts.Base == 0 {
		opts.Base = 100
	}
	if opts.DownAfter == 0 {
		opts.DownAfter = time.Second
	}
	g := newRedisGroup(t, "sentinel", opts.Password)
	t0 := time.Now()
	if err := g.startSentinel(opts); err != nil {
		t.Fatalf("start redis sentinel setup in %s: %v", g.dir, err)
	}
	t.Logf("redis sentinel setup up in %s: master %s, sentinels %s", time.Since(t0).Round(time.Millisecond),
		g.Nodes()[0].Addr, strings.Join(g.SentinelAddrs(), ","))
	return g
}

func (g *RedisGroup) startSentinel(opts SentinelOptions) error {
	bin, err := findBinary("redis-server")
	if err != nil {
		return err
	}
	const port, sentinelPort = 6379, 26379
	masterIP := LoopbackIP(opts.Base + 1)
	for i := 1; i <= 2; i++ {
		n := RedisNode{Name: fmt.Sprintf("node%d", i), Dir: filepath.Join(g.dir, fmt.Sprintf("node%d", i))}
		ip := LoopbackIP(opts.Base + i)
		n.Addr = net.JoinHostPort(ip, strconv.Itoa(port))
		if err := mkdir(n.Dir); err != nil {
			return err
		}
		if n.Args, err = redisArgs(bin, ip, port, n.Dir, opts.Password); err != nil {
			return err
		}
		// Announced addresses: a connection from an unbound socket comes
		// from 127.0.0.1, so the master and the sentinels would otherwise
		// learn an address where nothing of ours listens.
		n.Args = append(n.Args, "--replica-announce-ip", ip)
		if i == 2 {
			n.Args = append(n.Args, "--replicaof", masterIP, strconv.Itoa(port))
		}
		if err := g.spawnNode(n); err != nil {
			return err
		}
	}
	for i := 1; i <= 3; i++ {
		n := RedisNode{Name: fmt.Sprintf("sentinel%d", i), Dir: filepath.Join(g.dir, fmt.Sprintf("sentinel%d", i))}
		ip := LoopbackIP(opts.Base + 2 + i)
		n.Addr = net.JoinHostPort(ip, strconv.Itoa(sentinelPort))
		if err := mkdir(n.Dir); err != nil {
			return err
		}
		conf := filepath.Join(n.Dir, "sentinel.conf")
		if err := os.WriteFile(conf, []byte(sentinelConf(ip, sentinelPort, n.Dir, masterIP, port, opts)), 0o600); err != nil {
			return fmt.Errorf("write %s: %w", conf, err)
		}
		n.Args = []string{bin, conf, "--sentinel"}
		if err := g.spawnNode(n); err != nil {
			return err
		}
	}
	return pollUntil(30*time.Second, g.sentinelsReady)
}

// sentinelConf is a sentinel's config file; the sentinel rewrites it as it
// learns the topology, so it must be writable.
func sentinelConf(ip string, port int, dir, masterIP string, masterPort int, opts SentinelOptions) string {
	lines := []string{
		"bind " + ip, "port " + strconv.Itoa(port), "daemonize no", "protected-mode no", "dir " + dir,
		"sentinel resolve-hostnames no", "sentinel announce-ip " + ip,
		fmt.Sprintf("sentinel monitor %s %s %d 2", SentinelMasterName, masterIP, masterPort),
		fmt.Sprintf("sentinel down-after-milliseconds %s %d", SentinelMasterName, opts.DownAfter.Milliseconds()),
		fmt.Sprintf("sentinel failover-timeout %s 10000", SentinelMasterName),
		fmt.Sprintf("sentinel parallel-syncs %s 1", SentinelMasterName),
	}
	if opts.Password != "" {
		lines = append(lines, "requirepass "+opts.Password, "sentinel sentinel-pass "+opts.Password,
			fmt.Sprintf("sentinel auth-pass %s %s", SentinelMasterName, opts.Password))
	}
	return strings.Join(lines, "\n") + "\n"
}

// sentinelsReady: every live sentinel sees one replica and the other
// sentinels, and the replica's link to the master is up.
func (g *RedisGroup) sentinelsReady() error {
	ctx := context.Background()
	live := 0
	for _, n := range g.Nodes() {
		if strings.HasPrefix(n.Name, "sentinel") && n.Proc.Alive() {
			live++
		}
	}
	for _, n := range g.Nodes() {
		if !strings.HasPrefix(n.Name, "sentinel") || !n.Proc.Alive() {
			continue
		}
		c := g.client(n.Addr)
		m, err := c.Do(ctx, "SENTINEL", "MASTER", SentinelMasterName).Result()
		c.Close()
		if err != nil {
			return fmt.Errorf("SENTINEL MASTER on %s: %w", n.Name, err)
		}
		f := fieldMap(m)
		if f["num-slaves"] != "1" || f["num-other-sentinels"] != strconv.Itoa(live-1) || f["flags"] != "master" {
			return fmt.Errorf("sentinel %s sees %v: %w", n.Name, f, errNotYet)
		}
	}
	return g.replicaSynced(ctx)
}

func (g *RedisGroup) replicaSynced(ctx context.Context) error {
	master, err := g.SentinelMaster(ctx)
	if err != nil {
		return err
	}
	for _, n := range g.Nodes() {
		if !strings.HasPrefix(n.Name, "node") || n.Name == master || !n.Proc.Alive() {
			continue
		}
		c := g.client(n.Addr)
		info, err := c.Info(ctx, "replication").Result()
		c.Close()
		if err != nil {
			return fmt.Errorf("INFO replication on %s: %w", n.Name, err)
		}
		if !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replica %s not in sync: %w", n.Name, errNotYet)
		}
	}
	return nil
}

// fieldMap turns a flat [k1 v1 k2 v2 ...] reply (or a RESP3 map) into a map.
func fieldMap(v any) map[string]string {
	out := map[string]string{}
	switch m := v.(type) {
	case []any:
		for i := 0; i+1 < len(m); i += 2 {
			out[fmt.Sprint(m[i])] = fmt.Sprint(m[i+1])
		}
	case map[any]any:
		for k, val := range m {
			out[fmt.Sprint(k)] = fmt.Sprint(val)
		}
	}
	return out
}

// SentinelAddrs are the sentinels' addresses.
func (g *RedisGroup) SentinelAddrs() []string {
	var out []string
	for _, n := range g.Nodes() {
		if strings.HasPrefix(n.Name, "sentinel") {
			out = append(out, n.Addr)
		}
	}
	return out
}

// SentinelMaster names the node the first answering sentinel calls master.
func (g *RedisGroup) SentinelMaster(ctx context.Context) (string, error) {
	var lastErr error
	for _, a := range g.SentinelAddrs() {
		c := g.client(a)
		addr, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMasterName).StringSlice()
		c.Close()
		if err == nil && len(addr) == 2 {
			n, err := g.nodeByAddr(net.JoinHostPort(addr[0], addr[1]))
			return n.Name, err
		}
		lastErr = err
	}
	return "", fmt.Errorf("no sentinel names the master: %v", lastErr)
}

// SentinelFailover asks a sentinel to fail over now (SENTINEL FAILOVER),
// as an operator would.
func (g *RedisGroup) SentinelFailover(ctx context.Context) error {
	c := g.client(g.SentinelAddrs()[0])
	defer c.Close()
	if err := c.Do(ctx, "SENTINEL", "FAILOVER", SentinelMasterName).Err(); err != nil {
		return fmt.Errorf("SENTINEL FAILOVER: %w", err)
	}
	return nil
}

// WaitNewMaster waits until every live sentinel names a master other than
// old and that node says it is a master; it returns the new master's name.
func (g *RedisGroup) WaitNewMaster(old string, d time.Duration) (string, error) {
	ctx := context.Background()
	var master string
	err := pollUntil(d, func() error {
		for _, a := range g.SentinelAddrs() {
			if n, _ := g.nodeByAddr(a); !n.Proc.Alive() {
				continue
			}
			c := g.client(a)
			addr, err := c.Do(ctx, "SENTINEL", "GET-MASTER-ADDR-BY-NAME", SentinelMasterName).StringSlice()
			c.Close()
			if err != nil || len(addr) != 2 {
				return fmt.Errorf("sentinel %s: %v", a, err)
			}
			n, err := g.nodeByAddr(net.JoinHostPort(addr[0], addr[1]))
			if err != nil || n.Name == old {
				return fmt.Errorf("sentinel %s still names %s: %w", a, old, errNotYet)
			}
			master = n.Name
		}
		return g.isMaster(ctx, master)
	})
	return master, err
}

func (g *RedisGroup) isMaster(ctx context.Context, name string) error {
	n, err := g.node(name)
	if err != nil {
		return err
	}
	c := g.client(n.Addr)
	defer c.Close()
	info, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return err
	}
	if !strings.Contains(info, "role:master") {
		return fmt.Errorf("%s not yet master: %w", name, errNotYet)
	}
	return nil
}
