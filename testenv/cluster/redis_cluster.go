package cluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// clusterSlots is the number of hash slots of a Redis Cluster.
const clusterSlots = 16384

// RedisClusterOptions describe a Redis Cluster of masters only.
type RedisClusterOptions struct {
	Masters int // default 3
	// Base: node i listens on 127.0.<LoopbackNet>.(Base+i):Port.
	Base int // default 90
	Port int // default 6379
}

// StartRedisCluster starts a Redis Cluster of opts.Masters masters (each
// redis-server --cluster-enabled yes on its own loopback address), gives
// each an equal share of the slots, introduces them (CLUSTER MEET) and
// waits until every node reports cluster_state:ok. Down runs at cleanup.
func StartRedisCluster(t testing.TB, opts RedisClusterOptions) *RedisGroup {
	t.Helper()
	if opts.Masters == 0 {
		opts.Masters = 3
	}
	if opts.Base == 0 {
		opts.Base = 90
	}
	if opts.Port == 0 {
		opts.Port = 6379
	}
	g := newRedisGroup(t, "cluster", "")
	t0 := time.Now()
	if err := g.startCluster(opts); err != nil {
		t.Fatalf("start redis cluster in %s: %v", g.dir, err)
	}
	t.Logf("redis cluster of %d masters up in %s: %s", opts.Masters, time.Since(t0).Round(time.Millisecond),
		strings.Join(g.Addrs(), ","))
	return g
}

func (g *RedisGroup) startCluster(opts RedisClusterOptions) error {
	bin, err := findBinary("redis-server")
	if err != nil {
		return err
	}
	for i := 1; i <= opts.Masters; i++ {
		n := RedisNode{Name: fmt.Sprintf("node%d", i), Dir: filepath.Join(g.dir, fmt.Sprintf("node%d", i))}
		ip := LoopbackIP(opts.Base + i)
		n.Addr = fmt.Sprintf("%s:%d", ip, opts.Port)
		if err := mkdir(n.Dir); err != nil {
			return err
		}
		if n.Args, err = redisArgs(bin, ip, opts.Port, n.Dir, ""); err != nil {
			return err
		}
		// Without announce-ip a node names its peers by the source address
		// of their connections, 127.0.0.1, where nothing listens.
		n.Args = append(n.Args, "--cluster-announce-ip", ip, "--cluster-enabled", "yes", "--cluster-config-file", filepath.Join(n.Dir, "nodes.conf"),
			"--cluster-node-timeout", "2000")
		if err := g.spawnNode(n); err != nil {
			return err
		}
	}
	if err := g.assignSlots(); err != nil {
		return err
	}
	return g.WaitClusterOK(30 * time.Second)
}

// assignSlots gives node i the i-th equal range of slots and makes every
// node meet the first: what `redis-cli --cluster create` does, without
// depending on redis-cli.
func (g *RedisGroup) assignSlots() error {
	ctx := context.Background()
	nodes := g.Nodes()
	first := nodes[0]
	for i, n := range nodes {
		c := g.client(n.Addr)
		lo, hi := i*clusterSlots/len(nodes), (i+1)*clusterSlots/len(nodes)
		slots := make([]int, 0, hi-lo)
		for s := lo; s < hi; s++ {
			slots = append(slots, s)
		}
		err := c.ClusterAddSlots(ctx, slots...).Err()
		if err == nil && i > 0 {
			host, port := splitAddr(first.Addr)
			err = c.ClusterMeet(ctx, host, port).Err()
		}
		c.Close()
		if err != nil {
			return fmt.Errorf("set up cluster node %s: %w", n.Name, err)
		}
	}
	return nil
}

// WaitClusterOK waits until every live node says cluster_state:ok and
// knows every other node.
func (g *RedisGroup) WaitClusterOK(d time.Duration) error {
	return pollUntil(d, func() error {
		nodes := g.Nodes()
		for _, n := range nodes {
			if !n.Proc.Alive() {
				continue
			}
			if err := g.clusterNodeOK(n, len(nodes)); err != nil {
				return err
			}
		}
		return nil
	})
}

func (g *RedisGroup) clusterNodeOK(n RedisNode, total int) error {
	c := g.client(n.Addr)
	defer c.Close()
	ctx := context.Background()
	info, err := c.ClusterInfo(ctx).Result()
	if err != nil {
		return fmt.Errorf("CLUSTER INFO on %s: %w", n.Name, err)
	}
	if !strings.Contains(info, "cluster_state:ok") || !strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(total)) {
		return fmt.Errorf("cluster node %s not ready (%s): %w", n.Name,
			strings.Join(strings.Fields(info)[:6], " "), errNotYet)
	}
	return nil
}

// Addrs are the nodes' addresses, the seed list a client gets.
func (g *RedisGroup) Addrs() []string {
	var out []string
	for _, n := range g.Nodes() {
		if strings.HasPrefix(n.Name, "node") {
			out = append(out, n.Addr)
		}
	}
	return out
}

// NodeForKey names the node serving key's slot.
func (g *RedisGroup) NodeForKey(ctx context.Context, key string) (string, error) {
	c := g.client(g.Addrs()[0])
	defer c.Close()
	slot, err := c.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return "", err
	}
	shards, err := c.ClusterSlots(ctx).Result()
	if err != nil {
		return "", err
	}
	return g.slotOwner(shards, slot)
}

func (g *RedisGroup) slotOwner(shards []redis.ClusterSlot, slot int64) (string, error) {
	for _, s := range shards {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			n, err := g.nodeByAddr(s.Nodes[0].Addr)
			return n.Name, err
		}
	}
	return "", fmt.Errorf("no node serves slot %d", slot)
}

func splitAddr(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}
