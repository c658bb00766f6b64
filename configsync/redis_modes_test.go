package configsync

import (
	"testing"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/testenv/cluster"
)

// pushPullOver pushes A's config through one client and pulls it into B
// through another, then checks both agree and the version is 1.
func pushPullOver(t *testing.T, ca, cb *coord.Client) (a, b *manager) {
	t.Helper()
	ctx := ctxFor(t, 60*time.Second)
	cl := testCluster(t)
	a = newManager(t, "app1.cnf", fileA, "127.0.0.1:1", cl)
	b = newManager(t, "mha-app1-if.conf", fileB, "127.0.0.1:1", cl)
	pub, err := Push(ctx, ca, a.cfg(), 7, "run-1")
	if err != nil || pub.Version != 1 {
		t.Fatalf("push: %+v %v", pub, err)
	}
	changed, v, err := Pull(ctx, cb, b.cfg())
	if err != nil || !changed || v != 1 || b.part() != a.part() {
		t.Fatalf("pull: changed %v v %d err %v\nA %q\nB %q", changed, v, err, a.part(), b.part())
	}
	assertLocalKept(t, b.text())
	return a, b
}

// TestPushPullRedisCluster: the published config, its version counter and
// the announcement work on a real Redis Cluster of three masters (the keys
// share the cluster id's hash slot, so the script that writes them runs).
func TestPushPullRedisCluster(t *testing.T) {
	g := cluster.StartRedisCluster(t, cluster.RedisClusterOptions{Base: 240})
	o := coord.Options{Mode: coord.ModeCluster, Addrs: g.Addrs()[:1], Timeout: time.Second}
	ca, cb := coord.NewClient(o), coord.NewClient(o)
	defer ca.Close()
	defer cb.Close()
	pushPullOver(t, ca, cb)
}

// TestPushPullSentinelFailover: the config pushed before a Sentinel
// failover is still the newest after it (once replicated), and the next
// push, on the promoted master, gets the next version.
func TestPushPullSentinelFailover(t *testing.T) {
	g := cluster.StartSentinel(t, cluster.SentinelOptions{Base: 196})
	o := coord.Options{Mode: coord.ModeSentinel, Addrs: g.SentinelAddrs(), MasterName: cluster.SentinelMasterName, Timeout: time.Second}
	ca, cb := coord.NewClient(o), coord.NewClient(o)
	defer ca.Close()
	defer cb.Close()
	a, b := pushPullOver(t, ca, cb)
	ctx := ctxFor(t, 60*time.Second)
	if err := ca.Do(ctx, "WAIT", 1, 5000).Err(); err != nil {
		t.Fatal(err)
	}
	old, err := g.SentinelMaster(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := g.SentinelFailover(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := g.WaitNewMaster(old, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	var latest *Published
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if latest, err = Latest(ctx, cb, "", b.cfg().ClusterID()); err == nil && latest != nil {
			break
		}
	}
	if latest == nil || latest.Version != 1 || latest.Fence != 7 {
		t.Fatalf("after the Redis failover the newest config is %+v (%v), want version 1 of fence 7", latest, err)
	}
	pub, err := Push(ctx, ca, a.cfg(), 8, "run-2")
	if err != nil || pub.Version != 2 {
		t.Fatalf("push on the promoted master: %+v %v", pub, err)
	}
	if _, v, err := Pull(ctx, cb, b.cfg()); err != nil || v != 2 || b.cfg().ConfigVersion != 2 || b.part() != a.part() {
		t.Fatalf("pull of v2: v %d err %v, B at version %d", v, err, b.cfg().ConfigVersion)
	}
}
