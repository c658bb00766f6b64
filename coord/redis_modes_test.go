package coord

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/testenv/cluster"
)

// The lock, the journal mirror and the topology against a real Redis
// Cluster of three masters.
func TestRedisClusterLockJournalTopology(t *testing.T) {
	g := cluster.StartRedisCluster(t, cluster.RedisClusterOptions{})
	ctx := ctxFor(t, 60*time.Second)
	o := Options{Mode: ModeCluster, Addrs: g.Addrs()[:1]} // one seed finds the rest
	c1, c2 := NewClient(o), NewClient(o)
	defer c1.Close()
	defer c2.Close()
	app := testApp(t)

	// Without the hash tag the lock and the fence would land on different
	// slots, where a two-key script fails with CROSSSLOT.
	untagged := []string{"mhago:" + app + ":failover-lock", "mhago:" + app + ":fence"}
	if err := acquireScript.Run(ctx, c1, untagged, "v", 1000).Err(); err == nil || !strings.Contains(err.Error(), "CROSSSLOT") {
		t.Fatalf("two untagged keys in one script: %v, want CROSSSLOT (else this test proves nothing)", err)
	}
	names := map[string]bool{}
	for _, k := range []string{"failover-lock", "fence", "topology", "journal", "last-failover"} {
		n, err := g.NodeForKey(ctx, Key("", app, k))
		if err != nil {
			t.Fatal(err)
		}
		names[n] = true
	}
	if len(names) != 1 {
		t.Fatalf("one cluster's keys on nodes %v, want one node", names)
	}

	var last int64
	for i := range 3 {
		l, err := Acquire(ctx, c1, LockOptions{Cluster: app, TTL: 3 * time.Second, Owner: testOwner("r1")})
		if err != nil {
			t.Fatalf("acquire %d: %v", i, err)
		}
		if l.Fence() <= last {
			t.Fatalf("fence %d after %d", l.Fence(), last)
		}
		last = l.Fence()
		if _, err := Acquire(ctx, c2, LockOptions{Cluster: app, Owner: testOwner("r2")}); !errors.Is(err, ErrLocked) {
			t.Fatalf("second client: %v, want ErrLocked", err)
		}
		if i == 0 {
			waitRenewed(t, ctx, c2, l)
		}
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}

	m := NewJournalMirror(c1, "", app)
	recs := []journal.Record{{Seq: 1, Kind: journal.KindPhase, Phase: "a"}, {Seq: 2, Kind: journal.KindPhase, Phase: "b"}}
	if err := m.Reset(ctx, recs[0]); err != nil {
		t.Fatal(err)
	}
	if err := m.Append(ctx, recs[1]); err != nil {
		t.Fatal(err)
	}
	got, err := NewJournalMirror(c2, "", app).Load(ctx)
	if err != nil || len(got) != 2 || got[1].Phase != "b" {
		t.Fatalf("journal read by the other client: %+v, %v", got, err)
	}
	watchTopology(t, ctx, c1, c2, app)
}

// waitRenewed waits past one renewal period and checks that the lock's
// PTTL went back up, read by another client.
func waitRenewed(t *testing.T, ctx context.Context, c *Client, l *Lock) {
	t.Helper()
	time.Sleep(l.TTL() * 2 / 3)
	if ttl := c.PTTL(ctx, l.Key()).Val(); ttl <= l.TTL()/2 {
		t.Fatalf("PTTL %s two thirds of a TTL %s after acquiring: not renewed", ttl, l.TTL())
	}
	if l.Err() != nil {
		t.Fatal(l.Err())
	}
}

// watchTopology publishes through pub one topology and checks that a
// watch on sub sees it (and nothing older).
func watchTopology(t *testing.T, ctx context.Context, pub, sub *Client, app string) {
	t.Helper()
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	seen := make(chan Topology, 4)
	go func() { _ = WatchTopology(wctx, sub, "", app, func(tp Topology) { seen <- tp }) }()
	time.Sleep(300 * time.Millisecond) // let the subscription settle
	want := Topology{Master: Node{Name: "server2", Host: "10.0.0.2", Port: 3306}, Fence: 7, RunID: "r7"}
	if err := PublishTopology(ctx, pub, "", app, want); err != nil {
		t.Fatal(err)
	}
	deadline := time.After(5 * time.Second)
	for {
		select {
		case tp := <-seen:
			if tp.Fence == 7 && tp.Master == want.Master {
				return
			}
		case <-deadline:
			t.Fatal("watch did not see the published topology within 5 s")
		}
	}
}

// sentinelOpts reaches the test Sentinel setup the way a manager does.
func sentinelOpts(g *cluster.RedisGroup, pw string, replicas int) Options {
	return Options{Mode: ModeSentinel, Addrs: g.SentinelAddrs(), MasterName: cluster.SentinelMasterName,
		Password: pw, SentinelPassword: pw, Timeout: time.Second, LockReplicas: replicas}
}

// A Redis failover between the lock and its release, with
// redis_lock_replicas=1: the lock and its fence were acknowledged by the
// replica, so the holder keeps renewing on the promoted replica, nobody
// else gets the lock meanwhile, and the fence goes on growing.
func TestSentinelFailoverWhileLocked(t *testing.T) {
	for _, how := range []string{"master SIGKILLed", "SENTINEL FAILOVER"} {
		t.Run(strings.ReplaceAll(how, " ", "_"), func(t *testing.T) {
			const pw = "sentinel-test-password"
			g := cluster.StartSentinel(t, cluster.SentinelOptions{Password: pw})
			ctx := ctxFor(t, 90*time.Second)
			c1, c2 := NewClient(sentinelOpts(g, pw, 1)), NewClient(sentinelOpts(g, pw, 1))
			defer c1.Close()
			defer c2.Close()
			app := testApp(t)
			const ttl = 6 * time.Second
			l, err := Acquire(ctx, c1, LockOptions{Cluster: app, TTL: ttl, Owner: testOwner("holder")})
			if err != nil {
				t.Fatal(err)
			}
			if err := NewJournalMirror(c1, "", app).Reset(ctx, journal.Record{Seq: 1, Kind: journal.KindPhase, Phase: "s"}); err != nil {
				t.Fatal(err)
			}
			old, err := g.SentinelMaster(ctx)
			if err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			if how == "master SIGKILLed" {
				err = g.Kill(old)
			} else {
				err = g.SentinelFailover(ctx)
			}
			if err != nil {
				t.Fatal(err)
			}
			// Contend all through the failover: the lock must never be
			// granted while the holder still believes it holds it.
			stop := make(chan struct{})
			contended := make(chan error, 1)
			go func() { contended <- contendUntil(ctx, c2, app, l, stop) }()
			newMaster, err := g.WaitNewMaster(old, 30*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: sentinels promoted %s %s after the fault", how, newMaster, time.Since(t0).Round(time.Millisecond))
			time.Sleep(ttl) // three renewal periods on the new master
			close(stop)
			if err := <-contended; err != nil {
				t.Fatal(err)
			}
			if err := l.Err(); err != nil {
				t.Fatalf("lock lost across the failover: %v", err)
			}
			nc, err := g.NodeClient(newMaster)
			if err != nil {
				t.Fatal(err)
			}
			defer nc.Close()
			if ttlLeft := nc.PTTL(ctx, l.Key()).Val(); ttlLeft < ttl/2 {
				t.Fatalf("lock on the new master has PTTL %s: not renewed there", ttlLeft)
			}
			if recs, err := NewJournalMirror(c2, "", app).Load(ctx); err != nil || len(recs) != 1 {
				t.Fatalf("journal on the new master: %v %v", recs, err)
			}
			if err := l.Release(ctx); err != nil {
				t.Fatalf("release on the new master: %v", err)
			}
			// The new master has no replica in sync yet (SIGKILL: none at
			// all), so redis_lock_replicas=1 refuses; 0 takes the lock.
			if how == "master SIGKILLed" {
				if _, err := Acquire(ctx, c2, LockOptions{Cluster: app, TTL: ttl}); !errors.Is(err, ErrNotReplicated) {
					t.Fatalf("acquire with no replica left: %v, want ErrNotReplicated", err)
				}
			}
			c3 := NewClient(sentinelOpts(g, pw, 0))
			defer c3.Close()
			next, err := Acquire(ctx, c3, LockOptions{Cluster: app, TTL: ttl, Owner: testOwner("next")})
			if err != nil {
				t.Fatal(err)
			}
			defer next.Release(ctx)
			if next.Fence() <= l.Fence() {
				t.Fatalf("fence went back across the failover: %d after %d", next.Fence(), l.Fence())
			}
		})
	}
}

// contendUntil tries to take the lock every 200 ms until stop; it fails if
// it ever gets it while holder has not been told it lost it.
func contendUntil(ctx context.Context, c *Client, app string, holder *Lock, stop <-chan struct{}) error {
	for {
		select {
		case <-stop:
			return nil
		case <-time.After(200 * time.Millisecond):
		}
		l, err := Acquire(ctx, c, LockOptions{Cluster: app, TTL: holder.TTL(), Owner: testOwner("intruder")})
		if err == nil {
			lost := holder.Err()
			_ = l.Release(ctx)
			if lost == nil {
				return errors.New("a second manager got the lock while its holder still believed it held it")
			}
			return nil
		}
		if !errors.Is(err, ErrLocked) && !errors.Is(err, ErrUnreachable) {
			return err
		}
	}
}

// With redis_lock_replicas=1 and the replica not answering, the lock is not
// taken: Acquire fails with ErrNotReplicated and leaves no key behind.
func TestSentinelLockNeedsReplica(t *testing.T) {
	g := cluster.StartSentinel(t, cluster.SentinelOptions{Base: 120, DownAfter: 30 * time.Second})
	ctx := ctxFor(t, 30*time.Second)
	c := NewClient(sentinelOpts(g, "", 1))
	defer c.Close()
	app := testApp(t)
	if err := g.Pause("node2"); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err := Acquire(ctx, c, LockOptions{Cluster: app, TTL: 3 * time.Second})
	if !errors.Is(err, ErrNotReplicated) || !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "redis_lock_replicas") {
		t.Fatalf("acquire with the replica paused: %v, want ErrNotReplicated naming redis_lock_replicas", err)
	}
	t.Logf("refused after %s: %v", time.Since(t0).Round(time.Millisecond), err)
	if n := c.Exists(ctx, Key("", app, "failover-lock")).Val(); n != 0 {
		t.Fatal("the unreplicated lock was left in Redis")
	}
	if err := g.Resume("node2"); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(ctx, c, LockOptions{Cluster: app, TTL: 3 * time.Second})
	if err != nil {
		t.Fatalf("acquire once the replica is back: %v", err)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// What redis_lock_replicas=0 does not guarantee: the replica misses the
// lock (its link is cut, and it is paused so that it cannot reconnect
// before the master dies), the master dies, the replica is promoted
// without it. The holder
// finds out at its next renewal (ErrLockLost) and another manager can take
// the lock, with a fencing number that need not be higher.
func TestSentinelFailoverLosesUnreplicatedLock(t *testing.T) {
	g := cluster.StartSentinel(t, cluster.SentinelOptions{Base: 130})
	ctx := ctxFor(t, 60*time.Second)
	c1, c2 := NewClient(sentinelOpts(g, "", 0)), NewClient(sentinelOpts(g, "", 0))
	defer c1.Close()
	defer c2.Close()
	app := testApp(t)
	if err := g.Pause("node2"); err != nil {
		t.Fatal(err)
	}
	master, err := g.NodeClient("node1")
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if err := master.Do(ctx, "CLIENT", "KILL", "TYPE", "replica").Err(); err != nil {
		t.Fatal(err)
	}
	const ttl = 6 * time.Second
	lost := make(chan error, 1)
	l, err := Acquire(ctx, c1, LockOptions{Cluster: app, TTL: ttl, OnLost: func(err error) { lost <- err }})
	if err != nil {
		t.Fatal(err)
	}
	if err := g.Kill("node1"); err != nil {
		t.Fatal(err)
	}
	if err := g.Resume("node2"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.WaitNewMaster("node1", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	promoted := time.Now()
	select {
	case err := <-lost:
		if !errors.Is(err, ErrLockLost) {
			t.Fatalf("OnLost: %v", err)
		}
		t.Logf("holder told %s after the promotion: %v", time.Since(promoted).Round(time.Millisecond), err)
	case <-time.After(ttl):
		t.Fatal("holder not told of the loss within a TTL of the promotion")
	}
	next, err := Acquire(ctx, c2, LockOptions{Cluster: app, TTL: ttl})
	if err != nil {
		t.Fatalf("acquire on the promoted replica: %v", err)
	}
	defer next.Release(ctx)
	t.Logf("fence before the failover %d, after %d (not guaranteed to grow with redis_lock_replicas=0)", l.Fence(), next.Fence())
	if next.Fence() > l.Fence() {
		t.Fatalf("fence %d after %d: the replica had the increment, so the scenario did not lose the write", next.Fence(), l.Fence())
	}
}
