package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/testenv/cluster"
)

// TestSilentVanishNetns: the master's host drops off the network without
// a reset (its veth goes down; its mysqld keeps running). The replicas'
// IO threads still say Yes until slave_net_timeout (10 s here), but their
// own hosts cannot reach the master, so the failover goes ahead at once,
// and then the monitor sees and replaces a vanished master within
// 3 x ping_interval plus the failover. The times are printed.
func TestSilentVanishNetns(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 244, Hosts: 3, Netns: true})
	t.Cleanup(func() { s.c.RestoreHost(s.ctx, 1) })
	if err := s.c.Exec(s.ctx, 1, "INSERT INTO mhago_test.load (worker, payload, created) VALUES (1, 'before', NOW(6))"); err != nil {
		t.Fatal(err)
	}
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.c.CutHost(s.ctx, 1); err != nil {
		t.Fatal(err)
	}
	cut := time.Now()
	code, rep := s.failover("--confirm-wait", "30s")
	took := time.Since(cut)
	if code != 0 || rep.NewMaster == nil {
		t.Fatalf("failover of a vanished master: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "IO thread still says Yes, but its host cannot reach server1") {
		t.Errorf("the report does not say the replicas' hosts could not reach the master:\n%s", strings.Join(rep.Notes, "\n"))
	}
	if took > 20*time.Second {
		t.Errorf("failover took %s: the replicas' stale IO threads were waited out", took)
	}
	nm := hostIndex(rep.NewMaster.Name)
	ids := mustIDs(t, s, nm)
	if len(ids) != 1 {
		t.Fatalf("new master has %d rows, want the 1 written before the cut", len(ids))
	}
	for _, p := range rep.Phases {
		t.Logf("phase %-32s %s", p.Name, p.Duration)
	}
	t.Logf("failover of a silently vanished master took %s (slave_net_timeout 10 s, --confirm-wait 30 s)", took)
}

// TestMonitorSilentVanishNetns: mhago monitor with ping_interval=1
// replaces a master whose host vanished silently within 3 x ping_interval
// plus the failover; the time is printed.
func TestMonitorSilentVanishNetns(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 244, Hosts: 3, Netns: true})
	t.Cleanup(func() { s.c.RestoreHost(s.ctx, 1) })
	mgr := writeManagerConfigs(t, s.c, 1, "1")
	mgr[0].start(t)
	waitAll(t, mgr, 30*time.Second, "monitors server1", func(h *managerHost) bool { return h.monitoring("server1") })
	if err := s.c.CutHost(s.ctx, 1); err != nil {
		t.Fatal(err)
	}
	cut := time.Now()
	waitAll(t, mgr, 2*time.Minute, "monitors a new master", func(h *managerHost) bool {
		return h.monitoring("server2") || h.monitoring("server3")
	})
	took := time.Since(cut)
	writable := 0
	for i := 2; i <= 3; i++ {
		if s.variable(i, "read_only") == "0" {
			writable++
		}
	}
	if writable != 1 {
		t.Fatalf("%d writable servers among hosts 2 and 3 after the failover, want 1\n%s", writable, tail(mgr[0].logText(), 40))
	}
	t.Logf("monitor: master host cut off -> monitoring the new master in %s (ping_interval 1 s: 3 x ping_interval = 3 s, plus the failover)", took)
}
