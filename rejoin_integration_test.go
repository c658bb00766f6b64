package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// rejoin runs mhago rejoin --json and decodes the report it prints.
func (s *scenario) rejoin(host string, args ...string) (int, *report.Report) {
	s.t.Helper()
	code, out, _ := runCLI(s.t, append([]string{"rejoin", "--conf", s.c.ConfigPath(), "--host", host, "--json"}, args...)...)
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(out), rep); err != nil || rep.Rejoin == nil {
		s.t.Fatalf("rejoin output is not a rejoin report (exit %d): %v", code, err)
	}
	return code, rep
}

func (s *scenario) variable(i int, name string) string {
	s.t.Helper()
	db, err := s.c.DB(i)
	if err != nil {
		s.t.Fatal(err)
	}
	var v string
	if err := db.QueryRowContext(s.ctx, "SELECT @@GLOBAL."+name).Scan(&v); err != nil {
		s.t.Fatalf("host %d: @@%s: %v", i, name, err)
	}
	return v
}

func (s *scenario) insert(i, n int, note string) {
	s.t.Helper()
	for k := 0; k < n; k++ {
		if err := s.c.Exec(s.ctx, i, "INSERT INTO mhago_test.load (worker, payload, created) VALUES (?, ?, NOW(6))", i, note); err != nil {
			s.t.Fatal(err)
		}
	}
}

// assertActiveMaster: every alive server holds the active-master record
// naming the new master and the dead one it replaced (written once the
// new master was writable, also by a resumed run).
func (s *scenario) assertActiveMaster(conf, dead string) {
	s.t.Helper()
	nm := s.reportIn(conf).NewMaster.Name
	for i := 1; i <= s.c.N(); i++ {
		if !s.c.MySQLRunning(i) {
			continue
		}
		db, err := s.c.DB(i)
		if err != nil {
			s.t.Fatal(err)
		}
		var master, prev, file string
		err = db.QueryRowContext(s.ctx, "SELECT master, prev, file FROM mhago.active_master").Scan(&master, &prev, &file)
		if err != nil || master != nm || prev != dead || file == "" {
			s.t.Fatalf("host %d active-master record: master %q prev %q file %q (%v), want %s replacing %s", i, master, prev, file, err, nm, dead)
		}
	}
}

// killAndFailOver kills the master's mysqld with nothing in flight (every
// replica has read all), fails over and restarts the old master: it comes
// back writable, as its my.cnf says, beside the new master.
func (s *scenario) killAndFailOver(master int, replicas ...int) int {
	s.t.Helper()
	if err := s.c.Sync(s.ctx, master, replicas...); err != nil {
		s.t.Fatal(err)
	}
	if err := s.c.KillMySQL(master); err != nil {
		s.t.Fatal(err)
	}
	code, rep := s.failover("--ignore-last-failover")
	if code != exitOK || rep.NewMaster == nil {
		s.t.Fatalf("failover: exit %d: %s", code, rep.Error)
	}
	if err := s.c.StartMySQL(master); err != nil {
		s.t.Fatal(err)
	}
	return hostIndex(rep.NewMaster.Name)
}

// assertWakingFirst: check names the restarted old master as its first,
// most urgent, finding, with the rejoin as the fix.
func (s *scenario) assertWakingFirst(old int) {
	s.t.Helper()
	code, rep := checkJSON(s.t, s.c.ConfigPath())
	host := fmt.Sprintf("server%d", old)
	if code != exitReplication || len(rep.Findings) == 0 {
		s.t.Fatalf("check: exit %d, findings %+v", code, rep.Findings)
	}
	f := rep.Findings[0]
	if f.Check != "waking old master" || f.Host != host || !strings.Contains(f.Fix, "mhago rejoin --conf <app.cnf> --host "+host) {
		s.t.Fatalf("first finding is not the waking %s: %+v", host, f)
	}
}

// testRejoin: the master is killed and failed over; restarted, check
// reports it first, and the rejoin joins it (a row written on the new
// master arrives, checksums equal, check healthy). Then that new master is
// killed and failed over too; restarted, it is written to directly, so it
// holds two transactions the cluster never received: the rejoin refuses,
// lists exactly them, and leaves it as it was.
func testRejoin(t *testing.T, opts cluster.Options) {
	s := newScenario(t, opts)
	gtid := opts.GTID
	s.insert(1, 20, "before")
	nm := s.killAndFailOver(1, 2, 3, 4)
	s.assertWakingFirst(1)

	// The plan changes nothing.
	code, rep := s.rejoin("server1", "--dry-run")
	if code != exitOK || rep.Outcome != report.OutcomePlanned || rep.PointOfNoReturnPassed ||
		!strings.Contains(strings.Join(rep.Notes, "\n"), "plan: on server1: STOP SLAVE") {
		t.Fatalf("dry run: exit %d, outcome %s, notes %v", code, rep.Outcome, rep.Notes)
	}
	if st, _ := s.c.SlaveStatus(s.ctx, 1); len(st) != 0 || s.variable(1, "read_only") != "0" {
		t.Fatalf("the dry run changed server1: %v", st)
	}

	code, rep = s.rejoin("server1")
	if code != exitOK || rep.Outcome != report.OutcomeSuccess || !rep.Rejoin.Joined || rep.Rejoin.Master != fmt.Sprintf("server%d", nm) {
		t.Fatalf("clean rejoin: exit %d, outcome %s, %+v: %s", code, rep.Outcome, rep.Rejoin, rep.Error)
	}
	if len(rep.Rejoin.Extra) != 0 || !rep.PointOfNoReturnPassed || !strings.HasPrefix(rep.Rejoin.CoordinatesFrom, "active-master record on server") {
		t.Fatalf("clean rejoin report: %+v", rep.Rejoin)
	}
	st, err := s.c.SlaveStatus(s.ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantGTID := map[bool]string{true: "Slave_Pos", false: "No"}[gtid]
	if st["Master_Host"] != s.c.IP(nm) || st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes" || st["Using_Gtid"] != wantGTID {
		t.Fatalf("server1 does not replicate from server%d (Using_Gtid %s): %v", nm, wantGTID, st)
	}
	if ro := s.variable(1, "read_only"); ro != "1" {
		t.Fatalf("server1 read_only=%s after the rejoin", ro)
	}
	s.insert(nm, 1, "after rejoin")
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		t.Fatal(err)
	}
	ids, err := s.c.RowIDs(s.ctx, 1, "mhago_test.load")
	if err != nil || len(ids) != 21 {
		t.Fatalf("server1 has %d rows (%v), want 21", len(ids), err)
	}
	if err := s.c.CompareChecksums(s.ctx, 1, 2, 3, 4); err != nil {
		t.Fatalf("checksums differ after the rejoin: %v", err)
	}
	if code, out, _ := runCLI(t, "check", "--conf", s.c.ConfigPath()); code != exitOK {
		t.Fatalf("check after the rejoin: exit %d\n%s", code, out)
	}

	// The diverged case, on the master the first failover promoted.
	old := nm
	var others []int
	for i := 1; i <= 4; i++ {
		if i != old {
			others = append(others, i)
		}
	}
	nm2 := s.killAndFailOver(old, others...)
	before, err := s.c.MasterStatus(s.ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	gtidBefore := s.variable(old, "gtid_binlog_pos")
	s.insert(old, 2, "never replicated")
	after, err := s.c.MasterStatus(s.ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	s.assertWakingFirst(old)
	roBefore := s.variable(old, "read_only")
	code, rep = s.rejoin(fmt.Sprintf("server%d", old))
	if code != exitDiverged || rep.Outcome != report.OutcomeRefused || rep.PointOfNoReturnPassed || rep.Rejoin.Joined {
		t.Fatalf("diverged rejoin: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	seq := lastSeq(t, gtidBefore)
	gtids := fmt.Sprintf("0-%d-%d..0-%d-%d", old, seq+1, old, seq+2)
	if gtid {
		if len(rep.Rejoin.Extra) != 1 || rep.Rejoin.Extra[0] != gtids || rep.Rejoin.ExtraTransactions != 2 {
			t.Fatalf("extra %v (%d), want [%s] (2)", rep.Rejoin.Extra, rep.Rejoin.ExtraTransactions, gtids)
		}
	} else {
		end := rep.Rejoin.HistoryEnd
		wantFrom := end + " to " + after["File"] + ":" + after["Position"] + ": 2 transactions ("
		if len(rep.Rejoin.Extra) != 1 || !strings.HasPrefix(rep.Rejoin.Extra[0], wantFrom) ||
			!strings.HasSuffix(rep.Rejoin.Extra[0], "GTIDs "+gtids) || rep.Rejoin.ExtraTransactions != 2 {
			t.Fatalf("extra %v (%d), want %q...GTIDs %s", rep.Rejoin.Extra, rep.Rejoin.ExtraTransactions, wantFrom, gtids)
		}
		// The restart opened a new binlog: the cluster's copy of the old
		// master's history ends in an earlier one.
		if file, _, _ := strings.Cut(end, ":"); !strings.HasPrefix(file, "mysql-bin.") || file >= before["File"] {
			t.Fatalf("history end %q is not before the restarted server's binlog %s", end, before["File"])
		}
	}
	if !strings.Contains(rep.Rejoin.SavedBinlog, "saved none") {
		t.Errorf("saved binlog: %q", rep.Rejoin.SavedBinlog)
	}
	if st, _ := s.c.SlaveStatus(s.ctx, old); len(st) != 0 {
		t.Fatalf("the refused server%d replicates: %v", old, st)
	}
	if ro := s.variable(old, "read_only"); ro != roBefore {
		t.Fatalf("the refused server%d read_only=%s, want %s as before", old, ro, roBefore)
	}
	if now, _ := s.c.MasterStatus(s.ctx, old); now["File"] != after["File"] || now["Position"] != after["Position"] {
		t.Fatalf("the refused server%d's binlog moved: %v -> %v", old, after, now)
	}
	t.Logf("second failover to server%d; server%d refused with %v", nm2, old, rep.Rejoin.Extra)
}

// lastSeq is the sequence number of domain 0 in a MariaDB GTID position.
func lastSeq(t *testing.T, pos string) int {
	t.Helper()
	for part := range strings.SplitSeq(pos, ",") {
		f := strings.Split(strings.TrimSpace(part), "-")
		if len(f) == 3 && f[0] == "0" {
			n, err := strconv.Atoi(f[2])
			if err == nil {
				return n
			}
		}
	}
	t.Fatalf("no domain 0 in %q", pos)
	return 0
}

func TestRejoinFilePos(t *testing.T) { testRejoin(t, cluster.Options{Base: 190}) }

func TestRejoinMariaDBGTID(t *testing.T) { testRejoin(t, cluster.Options{Base: 200, GTID: true}) }
