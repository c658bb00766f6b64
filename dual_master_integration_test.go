package main

import (
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/testenv/cluster"
)

// passiveWrite commits a row on the passive master (host 2) while its IO
// thread from the active one is stopped: the row reaches host 1 through
// host 1's replication from host 2 and the replicas through host 1, so
// the dead master's binlog and the replicas' relay logs hold a transaction
// with the passive master's server_id (and GTID domain) that host 2 has
// not read back. The failover must not apply it to host 2 a second time.
func (s *scenario) passiveWrite() {
	s.t.Helper()
	if err := s.c.StopIOThread(s.ctx, 2); err != nil {
		s.t.Fatal(err)
	}
	if err := s.c.Exec(s.ctx, 2, "INSERT INTO mhago_test.passive (note) VALUES ('written on the passive master')"); err != nil {
		s.t.Fatal(err)
	}
	db, err := s.c.DB(3)
	if err != nil {
		s.t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var n int
		if db.QueryRow("SELECT COUNT(*) FROM mhago_test.passive").Scan(&n) == nil && n == 1 {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatal("the passive master's row never reached host 3 through host 1")
		}
	}
}

// dualFailover kills the active master of a dual-master cluster under a
// write load and checks that the passive one takes over with every
// acknowledged commit, the replicas follow it, and the passive master's
// own transaction is there exactly once everywhere.
func dualFailover(t *testing.T, opts cluster.Options) {
	opts.DualMaster, opts.Hosts = true, 4
	s := newScenario(t, opts)
	if err := s.c.Exec(s.ctx, 1, "CREATE TABLE mhago_test.passive (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(100))"); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Sync(s.ctx, 1, 2, 3, 4); err != nil {
		t.Fatal(err)
	}
	acked := s.killUnderLoad(800, s.passiveWrite)
	code, rep := s.failover()
	if code != exitOK || rep.Outcome != "success" {
		t.Fatalf("exit %d outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if rep.NewMaster == nil || rep.NewMaster.Name != "server2" {
		t.Fatalf("new master %+v, want the passive master server2", rep.NewMaster)
	}
	s.assertRecovered(rep, acked, 2, 3, 4)
	// Its own transaction came back in the diffs (GTID domain 2, server_id
	// 2) and was left out, not replayed.
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "server2: 1 transactions it already had were not applied again (2-2-1 .. 2-2-1)") {
		t.Errorf("the report does not say the passive master's own transaction was left out: %v", rep.Notes)
	}
	for _, i := range []int{2, 3, 4} {
		ids, err := s.c.RowIDs(s.ctx, i, "mhago_test.passive")
		if err != nil {
			t.Fatal(err)
		}
		// auto_increment_offset=2 on the passive master.
		if len(ids) != 1 || ids[0]%2 != 0 {
			t.Errorf("host %d holds passive-master rows %v, want one with an even id", i, ids)
		}
	}
	// The new master takes writes after the failover, with its own offset.
	if err := s.c.Exec(s.ctx, 2, "INSERT INTO mhago_test.passive (note) VALUES ('after the failover')"); err != nil {
		t.Fatal(err)
	}
	if err := s.c.Sync(s.ctx, 2, 3, 4); err != nil {
		t.Fatal(err)
	}
	if err := s.c.CompareChecksums(s.ctx, 2, 3, 4); err != nil {
		t.Fatalf("checksums differ after a write on the new master: %v", err)
	}
}

func TestDualMasterFailoverFilePos(t *testing.T) {
	dualFailover(t, cluster.Options{Base: 100})
}

func TestDualMasterFailoverMariaDBGTID(t *testing.T) {
	dualFailover(t, cluster.Options{Base: 110, GTID: true})
}

// The passive master dies: check names it, and a failover refuses (the
// master is alive) and changes nothing. Three hosts, so the dead passive
// master gets as many votes as the active one.
func TestDualMasterPassiveDeadRefused(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 120, Hosts: 3, DualMaster: true})
	if err := s.c.KillMySQL(2); err != nil {
		t.Fatal(err)
	}
	code, rep := checkJSON(t, s.c.ConfigPath())
	if code != exitReplication || rep.Master != "server1" || rep.DualMaster == nil || rep.DualMaster.Passive != "server2" {
		t.Fatalf("check: exit %d master %q dual %+v", code, rep.Master, rep.DualMaster)
	}
	if f := failFinding(t, rep, "server2"); f.Check != "passive_master" || !strings.Contains(f.Message, "a failover refuses to run") {
		t.Errorf("passive master finding %+v", f)
	}
	before := s.replicationState(1, 3)
	code, out, _ := runCLI(t, "failover", "--conf", s.c.ConfigPath(), "--json")
	if code != exitMasterAlive || !strings.Contains(out, "the passive master of a dual-master pair is down") {
		t.Fatalf("failover: exit %d, want %d naming the dead passive master", code, exitMasterAlive)
	}
	if after := s.replicationState(1, 3); after != before {
		t.Fatalf("the refused failover changed the cluster:\nbefore %s\nafter  %s", before, after)
	}
}

// check on a healthy dual-master cluster, then with equal auto_increment
// offsets, then with both masters writable.
func TestDualMasterCheck(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 130, Hosts: 3, DualMaster: true, GTID: true})
	code, rep := checkJSON(t, s.c.ConfigPath())
	if code != exitOK || rep.DualMaster == nil || *rep.DualMaster != (checks.DualMaster{Active: "server1", Passive: "server2"}) {
		t.Fatalf("healthy dual master: exit %d dual %+v findings %+v", code, rep.DualMaster, rep.Findings)
	}
	roles := map[string]string{}
	for _, h := range rep.Hosts {
		roles[h.Name] = h.Role
	}
	if roles["server1"] != checks.RoleMaster || roles["server2"] != checks.RolePassiveMaster || roles["server3"] != checks.RoleReplica {
		t.Errorf("roles %v", roles)
	}
	if warn := anyFinding(rep, "auto_increment"); warn != nil {
		t.Errorf("healthy pair warns %+v", warn)
	}
	_, table, _ := runCLI(t, "check", "--conf", s.c.ConfigPath())
	if !strings.Contains(table, "dual master: server1 active") {
		t.Errorf("the table does not name the dual master")
	}

	if err := s.c.SetAutoIncrement(s.ctx, 2, 2, 1); err != nil {
		t.Fatal(err)
	}
	code, rep = checkJSON(t, s.c.ConfigPath())
	w := findingByCheck(t, rep, checks.SevWarn, "auto_increment")
	if code != exitOK || !strings.Contains(w.Message, "auto_increment_offset is 1 on both masters") ||
		!strings.Contains(w.Fix, "auto_increment_offset = 2 on server2") {
		t.Fatalf("equal offsets: exit %d finding %+v", code, w)
	}

	if err := s.c.Exec(s.ctx, 2, "SET GLOBAL read_only = 0"); err != nil {
		t.Fatal(err)
	}
	code, rep = checkJSON(t, s.c.ConfigPath())
	if code != exitReplication || len(rep.Findings) == 0 {
		t.Fatalf("both writable: exit %d findings %+v", code, rep.Findings)
	}
	if f := rep.Findings[0]; f.Check != "dual_master_writable" || f.Host != "server2" || !strings.Contains(f.Fix, "read_only = 1 on server2") {
		t.Fatalf("the first finding is not both masters writable on server2: %+v", f)
	}
}

// anyFinding is the first finding of check, or nil.
func anyFinding(rep checks.Report, check string) *checks.Finding {
	for i, f := range rep.Findings {
		if f.Check == check {
			return &rep.Findings[i]
		}
	}
	return nil
}
