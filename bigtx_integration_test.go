package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// baseBigTx: the tests of this file start their 3-host clusters here
// (85..87), one at a time.
const baseBigTx = 84

// bigTxRows makes one transaction of about 64 MB, four times MariaDB
// 10.11's default max_allowed_packet (16 MiB): mariadb-binlog writes its
// row events as one BINLOG statement of about 90 MB.
const bigTxRows = 300_000

// bigTxScenario starts a 3-host cluster whose tables hold a few hundred
// rows everywhere.
func bigTxScenario(t *testing.T) *scenario {
	s := newScenario(t, cluster.Options{Base: baseBigTx, Hosts: 3})
	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Rows: 300, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res := l.Wait(); res.LastErr != nil {
		t.Fatal(res.LastErr)
	}
	if err := s.c.Sync(s.ctx, 1, 2, 3); err != nil {
		t.Fatal(err)
	}
	return s
}

// bigTransaction commits one transaction of bigTxRows rows on the master
// and returns every row id the master then has: all were acknowledged.
func (s *scenario) bigTransaction() []int64 {
	s.t.Helper()
	t0 := time.Now()
	q := fmt.Sprintf("INSERT INTO mhago_test.load (worker, payload, created) SELECT 9, REPEAT('b', 200), NOW(6) FROM mhago_test.seq_1_to_%d", bigTxRows)
	if err := s.c.Exec(s.ctx, 1, q); err != nil {
		s.t.Fatal(err)
	}
	s.t.Logf("the master committed %d rows in one transaction in %s", bigTxRows, time.Since(t0).Round(time.Millisecond))
	ids, err := s.c.RowIDs(s.ctx, 1, "mhago_test.load")
	if err != nil {
		s.t.Fatal(err)
	}
	return ids
}

// assertBigApplied checks the report: the big transaction was applied,
// through max_allowed_packet raised and put back on every host that
// applied it, which has its default again.
func (s *scenario) assertBigApplied(rep *report.Report, survivors ...int) {
	s.t.Helper()
	notes := strings.Join(rep.Notes, "\n")
	for _, i := range survivors {
		h := fmt.Sprintf("server%d", i)
		if !strings.Contains(notes, h+": settings changed for the apply: max_allowed_packet 16777216 -> 1073741824 (put back)") {
			s.t.Errorf("the report does not say max_allowed_packet was raised and put back on %s: %v", h, rep.Notes)
		}
		db, err := s.c.DB(i)
		if err != nil {
			s.t.Fatal(err)
		}
		var packet int64
		if err := db.QueryRow("SELECT @@GLOBAL.max_allowed_packet").Scan(&packet); err != nil || packet != 16<<20 {
			s.t.Errorf("host %d max_allowed_packet %d after the failover (%v), want 16777216", i, packet, err)
		}
	}
	var applied []string
	for _, h := range rep.Hosts {
		applied = append(applied, fmt.Sprintf("%s %d transactions / %.1f MB", h.Name, h.AppliedTransactions, float64(h.AppliedBytes)/1e6))
	}
	var took []string
	for _, p := range rep.Phases {
		if p.Name == "3.5 new master apply" || p.Name == "4 replica recovery" {
			took = append(took, p.Name+" "+p.Duration.Round(time.Millisecond).String())
		}
	}
	s.t.Logf("failover took %s; applied: %s; %s", rep.Finished.Sub(rep.Started).Round(time.Millisecond),
		strings.Join(applied, ", "), strings.Join(took, ", "))
}

// TestFailoverBigTransactionInDeadMasterBinlog: one 64 MB transaction is
// committed while every replica's IO thread is stopped, so only the dead
// master's binlog has it; the master is SIGKILLed. The failover saves it
// and applies it on every host: all rows everywhere, exit 0.
func TestFailoverBigTransactionInDeadMasterBinlog(t *testing.T) {
	s := bigTxScenario(t)
	for _, i := range []int{2, 3} {
		if err := s.c.StopIOThread(s.ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	acked := s.bigTransaction()
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code, rep := s.failover()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3)
	if kinds := diffKinds(rep); kinds["master_binlog"] != 2 {
		t.Fatalf("want the dead master's binlog applied on both hosts, got diffs %v", kinds)
	}
	s.assertBigApplied(rep, 2, 3)
}

// TestFailoverBigTransactionInOneRelayLog: the 64 MB transaction reaches
// only server2's relay log (server3's IO thread and server2's SQL thread
// are stopped before it), then the master is SIGKILLed. server2's own SQL
// thread executes it, server3 gets it from server2's relay log: all rows
// everywhere.
func TestFailoverBigTransactionInOneRelayLog(t *testing.T) {
	s := bigTxScenario(t)
	if err := s.c.StopIOThread(s.ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := s.c.StopSQLThread(s.ctx, 2); err != nil {
		t.Fatal(err)
	}
	acked := s.bigTransaction()
	s.waitRead(2)
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code, rep := s.failover()
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3)
	if kinds := diffKinds(rep); kinds["exec"] != 1 || kinds["read"] != 1 || kinds["master_binlog"] != 0 {
		t.Fatalf("want the transaction from relay logs only (server2's exec diff, executed by its own SQL thread; server3's read diff), got diffs %v", kinds)
	}
	s.assertOwnApplier(rep, 2)
	s.assertBigApplied(rep, 3)
}

// waitRead waits until host i's IO thread has read all of the master's
// binlog.
func (s *scenario) waitRead(i int) {
	s.t.Helper()
	if err := s.c.WaitRead(s.ctx, 1, i, 60*time.Second); err != nil {
		s.t.Fatal(err)
	}
}
