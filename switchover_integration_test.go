package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// Loopback blocks of the switchover tests (main-package tests run one at a
// time, so they share the blocks of the failover tests; other packages'
// tests run at the same time and use other blocks).
const (
	baseSwitchLoad  = 150 // 4 hosts: 151..154
	baseSwitchOther = 160 // 3 hosts: 161..163, haproxies on .160
)

// switchover runs mhago switchover --json and decodes the report.
func (s *scenario) switchover(args ...string) (int, *report.Report) {
	s.t.Helper()
	code, out, _ := runCLI(s.t, append([]string{"switchover", "--conf", s.c.ConfigPath(), "--json"}, args...)...)
	return code, decodeReport(s.t, code, out)
}

func decodeReport(t *testing.T, code int, out string) *report.Report {
	t.Helper()
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(out), rep); err != nil {
		t.Fatalf("output is not a report (exit %d): %v", code, err)
	}
	return rep
}

// topology is every host's master (or "" for none) and read_only.
func (s *scenario) topology() map[int]string {
	s.t.Helper()
	out := map[int]string{}
	for i := 1; i <= s.c.N(); i++ {
		st, err := s.c.SlaveStatus(s.ctx, i)
		if err != nil {
			s.t.Fatal(err)
		}
		db, err := s.c.DB(i)
		if err != nil {
			s.t.Fatal(err)
		}
		var ro int
		if err := db.QueryRow("SELECT @@GLOBAL.read_only").Scan(&ro); err != nil {
			s.t.Fatal(err)
		}
		out[i] = fmt.Sprintf("master=%s io=%s sql=%s read_only=%d", st["Master_Host"], st["Slave_IO_Running"], st["Slave_SQL_Running"], ro)
		if e := st["Last_SQL_Error"] + st["Last_IO_Error"]; e != "" {
			out[i] += " error: " + e
		}
	}
	return out
}

// assertSwitched: host nm is the writable master, every other host
// (the old master too) replicates from it read-only, every acknowledged
// commit is on it, checksums are equal and every host's active-master
// record names it.
func (s *scenario) assertSwitched(nm int, acked []int64) {
	s.t.Helper()
	ids, err := s.c.RowIDs(s.ctx, nm, "mhago_test.load")
	if err != nil {
		s.t.Fatal(err)
	}
	if missing := missingAcked(acked, ids); len(missing) > 0 {
		s.t.Fatalf("%d acknowledged commits missing on the new master, e.g. %v", len(missing), missing[:min(5, len(missing))])
	}
	topo := s.topology()
	for i, got := range topo {
		want := fmt.Sprintf("master=%s io=Yes sql=Yes read_only=1", s.c.IP(nm))
		if i == nm {
			want = "master= io= sql= read_only=0"
		}
		if got != want {
			s.t.Errorf("host %d: %s, want %s", i, got, want)
		}
	}
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		s.t.Fatal(err)
	}
	if err := s.c.CompareChecksums(s.ctx); err != nil {
		s.t.Fatalf("checksums differ after the switchover: %v", err)
	}
	for i := 1; i <= s.c.N(); i++ {
		db, _ := s.c.DB(i)
		var master string
		if err := db.QueryRow("SELECT master FROM mhago.active_master").Scan(&master); err != nil || master != fmt.Sprintf("server%d", nm) {
			s.t.Errorf("host %d: active-master record names %q (%v), want server%d", i, master, err, nm)
		}
	}
}

// TestSwitchoverUnderLoad moves the master while four unprivileged
// writers follow it: no acknowledged commit is lost, and the window in
// which writes were refused is printed, as the clients saw it and as
// mhago measured it.
func TestSwitchoverUnderLoad(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchLoad, Hosts: 4, ParallelReplication: 4})
	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Follow: true, Workers: 4, Rows: 1_000_000, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.waitRows(1, 500)
	code, rep := s.switchover("--new-master", "server2", "--orig-master-is-new-slave")
	s.waitRows(2, len(mustIDs(t, s, 2))+200)
	res := l.Stop()
	if code != 0 || rep.Outcome != report.OutcomeSuccess {
		t.Fatalf("switchover exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if res.LastErr != nil && !strings.Contains(res.LastErr.Error(), "context") {
		t.Logf("load's last error: %v", res.LastErr)
	}
	if len(res.AckedBy[s.c.MySQLAddr(2)]) == 0 {
		t.Fatalf("the load never wrote to the new master: acked by %v", keys(res.AckedBy))
	}
	sw := rep.Switch
	if sw == nil || sw.WriteBlockedMS <= 0 || sw.Marker != rep.RunID {
		t.Fatalf("report has no write-blocked window or marker: %+v", sw)
	}
	s.assertSwitched(2, res.Acked)
	for _, p := range rep.Phases {
		t.Logf("phase %-32s %s", p.Name, p.Duration)
	}
	t.Logf("write-blocked window: clients %s (longest single writer %s, %d refused INSERTs); mhago %.1f ms; %d commits acknowledged",
		res.Blocked, res.BlockedWorkerMax, res.Refused, sw.WriteBlockedMS, len(res.Acked))
}

func mustIDs(t *testing.T, s *scenario, host int) []int64 {
	t.Helper()
	ids, err := s.c.RowIDs(s.ctx, host, "mhago_test.load")
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSwitchoverRefusals: a transaction that changed rows and stays open
// longer than --running-updates-limit, or a replica that does not
// replicate, refuses the switchover with nothing changed.
func TestSwitchoverRefusals(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	before := s.topology()
	db, err := s.c.DB(1)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(s.ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range []string{"BEGIN", "INSERT INTO mhago_test.load (worker, payload, created) VALUES (99, 'long', NOW(6))"} {
		if _, err := conn.ExecContext(s.ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2200 * time.Millisecond) // trx_started has 1 s resolution: 2 s is surely more than 1 s
	code, rep := s.switchover("--new-master", "server2", "--running-updates-limit", "1s")
	if code != exitSwitchRefused || rep.Outcome != report.OutcomeRefused || !strings.Contains(rep.Error, "has a transaction open for") {
		t.Fatalf("long transaction: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if _, err := conn.ExecContext(s.ctx, "ROLLBACK"); err != nil {
		t.Fatalf("the long transaction was cut off: %v", err)
	}
	if err := s.c.StopSQLThread(s.ctx, 3); err != nil {
		t.Fatal(err)
	}
	code, rep = s.switchover("--new-master", "server2")
	if code != exitSwitchRefused || !strings.Contains(rep.Error, "server3: replication is not running") {
		t.Fatalf("stopped replica: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if err := s.c.StartSlave(s.ctx, 3); err != nil {
		t.Fatal(err)
	}
	if after := s.topology(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("cluster changed by refused switchovers:\nbefore %v\nafter  %v", before, after)
	}
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'mhago'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("a refused switchover created schema mhago (%d, %v)", n, err)
	}
}

// TestSwitchoverRollback: a failure after writes were blocked (a panic
// while waiting for the marker) rolls back at once; a crash there (SIGKILL)
// leaves the journal, and --abandon rolls back from it. Either way the old
// master takes writes again and the replicas replicate from it.
func TestSwitchoverRollback(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	hs := s.c.StartHAProxies(t, 2, time.Second)
	before := s.topology()
	code, out, _ := runFault(t, "panic@in:3 new master caught up", "switchover", "--conf", s.c.ConfigPath(), "--new-master", "server2", "--json")
	rep := decodeReport(t, code, out)
	if code != exitError || rep.Outcome != report.OutcomeAborted || rep.Switch == nil || !rep.Switch.RolledBack {
		t.Fatalf("panic after writes were blocked: exit %d, outcome %s, %+v: %s", code, rep.Outcome, rep.Switch, rep.Error)
	}
	if after := s.topology(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("not rolled back:\nbefore %v\nafter  %v", before, after)
	}
	s.assertActiveRecord(1)
	s.assertProxiesTo(hs, 1)

	code, _, _ = runFault(t, "kill@after:2 marker", "switchover", "--conf", s.c.ConfigPath(), "--new-master", "server2")
	if code != -1 {
		t.Fatalf("mhago was not killed after the marker: exit %d", code)
	}
	if got := s.topology()[1]; !strings.HasSuffix(got, "read_only=1") {
		t.Fatalf("the killed run had not blocked writes on host 1: %s", got)
	}
	code, rep = s.switchover("--new-master", "server2")
	if code != exitGuard || !strings.Contains(rep.Error, "mhago switchover --conf "+s.c.ConfigPath()+" --abandon") {
		t.Fatalf("switchover after a killed one: exit %d: %s", code, rep.Error)
	}
	code, rep = s.switchover("--abandon")
	if code != 0 || rep.Outcome != report.OutcomeAbandoned {
		t.Fatalf("abandon: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if after := s.topology(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("--abandon did not roll back:\nbefore %v\nafter  %v", before, after)
	}
	s.assertActiveRecord(1)
	s.assertProxiesTo(hs, 1)
	code, rep = s.switchover("--new-master", "server2", "--orig-master-is-new-slave")
	if code != 0 {
		t.Fatalf("switchover after the rollback: exit %d: %s", code, rep.Error)
	}
	s.assertActiveRecord(2)
	s.assertProxiesTo(hs, 2)
}

// assertProxiesTo: every haproxy sends new connections to host i.
func (s *scenario) assertProxiesTo(hs []*cluster.HAProxy, i int) {
	s.t.Helper()
	for _, h := range hs {
		if got, want := serverBehind(s.t, h), s.serverID(i); got != want {
			s.t.Errorf("%s sends traffic to server_id %d, want host %d's %d", h.Block(), got, i, want)
		}
	}
}

// assertActiveRecord: the master's active-master record, once replicated,
// names server<i> on every host.
func (s *scenario) assertActiveRecord(i int) {
	s.t.Helper()
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		s.t.Fatal(err)
	}
	for h := 1; h <= s.c.N(); h++ {
		db, _ := s.c.DB(h)
		var master string
		if err := db.QueryRow("SELECT master FROM mhago.active_master").Scan(&master); err != nil || master != fmt.Sprintf("server%d", i) {
			s.t.Errorf("host %d: active-master record names %q (%v), want server%d", h, master, err, i)
		}
	}
}

// serverBehind is the server_id that a new connection through addr reaches.
func serverBehind(t *testing.T, h *cluster.HAProxy) int {
	t.Helper()
	db, err := sql.Open("mysql", h.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxIdleConns(0)
	var id int
	if err := db.QueryRow("SELECT @@server_id").Scan(&id); err != nil {
		t.Fatalf("query through %s: %v", h.Block(), err)
	}
	return id
}

func (s *scenario) serverID(i int) int {
	s.t.Helper()
	db, err := s.c.DB(i)
	if err != nil {
		s.t.Fatal(err)
	}
	var id int
	if err := db.QueryRow("SELECT @@server_id").Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// TestSwitchoverProxies: two real haproxies in front of the cluster. While
// one does not answer, the switchover aborts and reopens what it stopped
// (the paused one once it answers again, through --abandon); then a
// switchover under a load written through the proxies moves both to the
// new master with no acknowledged commit lost.
func TestSwitchoverProxies(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	hs := s.c.StartHAProxies(t, 2, time.Second)
	before := s.topology()
	if err := hs[1].Pause(); err != nil {
		t.Fatal(err)
	}
	code, rep := s.switchover("--new-master", "server2")
	if code != exitAbortIncomplete || rep.Outcome != report.OutcomeAbortIncomplete || !strings.Contains(rep.Error, "[proxy2]") {
		t.Fatalf("paused proxy2: exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if got := serverBehind(t, hs[0]); got != s.serverID(1) {
		t.Fatalf("proxy1 not reopened to server1: server_id %d", got)
	}
	if err := hs[1].Resume(); err != nil {
		t.Fatal(err)
	}
	if code, rep := s.switchover("--abandon"); code != 0 {
		t.Fatalf("abandon: exit %d: %s", code, rep.Error)
	}
	for _, h := range hs {
		if got := serverBehind(t, h); got != s.serverID(1) {
			t.Fatalf("%s does not send traffic to server1 after --abandon: server_id %d", h.Block(), got)
		}
	}
	if after := s.topology(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("cluster changed:\nbefore %v\nafter  %v", before, after)
	}

	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Follow: true, Addrs: []string{hs[0].Addr(), hs[1].Addr()}, Workers: 4,
		Rows: 1_000_000, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.waitRows(1, 300)
	code, rep = s.switchover("--new-master", "server2", "--orig-master-is-new-slave")
	s.waitRows(2, len(mustIDs(t, s, 2))+200)
	res := l.Stop()
	if code != 0 {
		t.Fatalf("switchover through proxies: exit %d: %s", code, rep.Error)
	}
	for _, h := range hs {
		if got := serverBehind(t, h); got != s.serverID(2) {
			t.Fatalf("%s does not send traffic to server2: server_id %d", h.Block(), got)
		}
	}
	s.assertSwitched(2, res.Acked)
	t.Logf("through 2 haproxies: write-blocked window: clients %s, mhago %.1f ms; %d commits acknowledged, %d refused attempts",
		res.Blocked, rep.Switch.WriteBlockedMS, len(res.Acked), res.Refused)
}

// TestFailoverRedirectsProxies: after a failover every [proxyN] sends
// traffic to the new master, and the new master's active-master record
// names it.
func TestFailoverRedirectsProxies(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	hs := s.c.StartHAProxies(t, 2, time.Second)
	s.assertProxiesTo(hs, 1)
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code, rep := s.failover("--new-master", "server2")
	if code != 0 {
		t.Fatalf("failover: exit %d: %s", code, rep.Error)
	}
	s.assertProxiesTo(hs, 2)
	var acks int
	for _, n := range rep.Notes {
		if strings.Contains(n, "traffic to server2 (acknowledged in") {
			acks++
		}
	}
	if acks != 2 {
		t.Fatalf("report does not record both proxies' acknowledgements: %v", rep.Notes)
	}
}

// TestDualMasterSwitchover: a planned switch between the two masters of a
// dual-master pair, in GTID mode, under a follow load: the pair is kept
// (each replicates from the other, the new passive read-only), the replica
// follows the new active master, and no acknowledged commit is lost.
func TestDualMasterSwitchover(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchLoad, Hosts: 3, DualMaster: true, GTID: true})
	l, err := s.c.StartLoad(s.ctx, cluster.LoadOptions{Follow: true, Workers: 4, Rows: 1_000_000, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	s.waitRows(1, 300)
	code, rep := s.switchover("--new-master", "server2")
	s.waitRows(2, len(mustIDs(t, s, 2))+200)
	res := l.Stop()
	if code != 0 {
		t.Fatalf("dual-master switchover: exit %d: %s", code, rep.Error)
	}
	topo := s.topology()
	want := map[int]string{
		1: fmt.Sprintf("master=%s io=Yes sql=Yes read_only=1", s.c.IP(2)),
		2: fmt.Sprintf("master=%s io=Yes sql=Yes read_only=0", s.c.IP(1)),
		3: fmt.Sprintf("master=%s io=Yes sql=Yes read_only=1", s.c.IP(2)),
	}
	for i, w := range want {
		if topo[i] != w {
			t.Errorf("host %d: %s, want %s", i, topo[i], w)
		}
	}
	ids := mustIDs(t, s, 2)
	if missing := missingAcked(res.Acked, ids); len(missing) > 0 {
		t.Fatalf("%d acknowledged commits missing on the new master", len(missing))
	}
	if err := s.c.SyncReplicas(s.ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.c.CompareChecksums(s.ctx); err != nil {
		t.Fatalf("checksums differ: %v", err)
	}
	t.Logf("dual-master switchover: write-blocked window clients %s, mhago %.1f ms", res.Blocked, rep.Switch.WriteBlockedMS)
}

// TestSwitchoverMovesVIPNetns: in network-namespace mode the built-in VIP
// leaves the old master before writes are blocked and answers on the new
// master once it takes writes.
func TestSwitchoverMovesVIPNetns(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 244, Hosts: 3, Netns: true})
	if id := vipServerID(t, s.c); id != s.serverID(1) {
		t.Fatalf("before the switchover VIP:3306 is server_id %d", id)
	}
	code, rep := s.switchover("--new-master", "server2", "--orig-master-is-new-slave")
	if code != 0 {
		t.Fatalf("switchover: exit %d: %s", code, rep.Error)
	}
	if got, err := s.c.VIPHolders(s.ctx); err != nil || !slices.Equal(got, []int{2}) {
		t.Fatalf("VIP on hosts %v (%v), want only host 2", got, err)
	}
	if id := vipServerID(t, s.c); id != s.serverID(2) {
		t.Fatalf("after the switchover VIP:3306 is server_id %d, want host 2's", id)
	}
}

// TestRejoinAfterSwitchover: an old master left out of a switchover (no
// --orig-master-is-new-slave) joins the new master with mhago rejoin, at
// the coordinates of the switchover's active-master record.
func TestRejoinAfterSwitchover(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	if code, rep := s.switchover("--new-master", "server2"); code != 0 {
		t.Fatalf("switchover: exit %d: %s", code, rep.Error)
	}
	code, rep := s.rejoin("server1")
	if code != 0 || rep.Rejoin == nil || !rep.Rejoin.Joined {
		t.Fatalf("rejoin: exit %d, %+v: %s", code, rep.Rejoin, rep.Error)
	}
	if err := s.c.Exec(s.ctx, 2, "INSERT INTO mhago_test.load (worker, payload, created) VALUES (7, 'after rejoin', NOW(6))"); err != nil {
		t.Fatal(err)
	}
	s.assertSwitched(2, nil)
}

// TestSwitchoverOnlineChangeHook: master_ip_online_change_script gets
// MHA's arguments, --command=stop before writes are blocked and
// --command=start once the new master takes writes; a stop that fails
// aborts the switchover, and the undo calls --command=start back to the
// old master.
func TestSwitchoverOnlineChangeHook(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseSwitchOther, Hosts: 3})
	log := filepath.Join(t.TempDir(), "calls")
	hook := writeHook(t, t.TempDir(), `echo "$*" >> `+log+`
case "$*" in *--command=stop*--new_master_host=`+s.c.IP(3)+`*) exit 1;; esac`)
	conf := s.withHooks("master_ip_online_change_script=" + hook)
	calls := func() []string {
		b, _ := os.ReadFile(log)
		os.Remove(log)
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	code, out, _ := runCLI(t, "switchover", "--conf", conf, "--new-master", "server2", "--orig-master-is-new-slave", "--json")
	if rep := decodeReport(t, code, out); code != 0 {
		t.Fatalf("switchover: exit %d: %s", code, rep.Error)
	}
	got := calls()
	prefix := func(cmd, orig, nw int) string {
		return fmt.Sprintf("--command=%s --orig_master_host=%s --orig_master_ip=%s --orig_master_port=3306 --orig_master_user=mhago --new_master_host=%s --new_master_ip=%s --new_master_port=3306 --new_master_user=mhago --orig_master_ssh_user=root --new_master_ssh_user=root",
			map[int]string{0: "stop", 1: "start"}[cmd], s.c.IP(orig), s.c.IP(orig), s.c.IP(nw), s.c.IP(nw))
	}
	if len(got) != 2 || !strings.HasPrefix(got[0], prefix(0, 1, 2)) || !strings.HasPrefix(got[1], prefix(1, 1, 2)) ||
		!strings.HasSuffix(got[0], "--orig_master_is_new_slave") {
		t.Fatalf("hook calls:\n%s\nwant stop then start from host 1 to host 2", strings.Join(got, "\n"))
	}
	code, out, _ = runCLI(t, "switchover", "--conf", conf, "--new-master", "server3", "--json")
	if rep := decodeReport(t, code, out); code != exitAborted || rep.Switch.RolledBack {
		t.Fatalf("failing stop hook: exit %d, rolled back %t: %s", code, rep.Switch.RolledBack, rep.Error)
	}
	got = calls()
	if len(got) != 2 || !strings.HasPrefix(got[0], prefix(0, 2, 3)) || !strings.HasPrefix(got[1], prefix(1, 3, 2)) {
		t.Fatalf("hook calls after a failing stop:\n%s\nwant the stop, then start back to host 2", strings.Join(got, "\n"))
	}
	if topo := s.topology(); !strings.HasSuffix(topo[2], "read_only=0") {
		t.Fatalf("host 2 does not take writes after the aborted switchover: %v", topo)
	}
}
