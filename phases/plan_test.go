package phases

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
)

const planPassword = "pl4n-s3cret"

// planHost is a configured server of the given version, with its binlog
// at mysql-bin.000003:1234.
func planHost(block, ip, version string) *Host {
	return &Host{Server: config.Server{Block: block, Hostname: ip, IP: ip, Port: 3306, ReplUser: "repl",
		ReplPassword: planPassword, ReplPasswordSet: true},
		Status: &instance.Status{Version: version, MariaDB: strings.Contains(version, "MariaDB"), LogBin: true,
			Binlog: &instance.BinlogStatus{File: "mysql-bin.000003", Pos: 1234}, GTIDBinlogPos: "0-2-77"}}
}

// planState is a dry run that promotes the first replica.
func planState(mode decide.Mode, replicas ...*Host) *State {
	st := &State{cfg: &config.Config{Path: "/etc/mha/app1.cnf"}, Mode: mode,
		Report: report.New("app1", "/etc/mha/app1.cnf", "r1", report.ModeDryRun, time.Unix(0, 0))}
	st.Dead = planHost("server1", "10.0.0.1", "8.0.21")
	st.Replicas, st.NewMaster = replicas, replicas[0]
	st.Hosts = append([]*Host{st.Dead}, replicas...)
	return st
}

// A MySQL cluster half upgraded to 8.4: each host gets its own syntax.
func TestPlanUsesEachHostsSyntax(t *testing.T) {
	st := planState(decide.ModeMySQLAutoPos, planHost("server2", "10.0.0.2", "8.4.3"),
		planHost("server3", "10.0.0.3", "8.0.21-log"), planHost("server4", "10.0.0.4", "8.4.3"))
	planShutdown(st)
	planNewMaster(st)
	planReplicas(st)
	want := []string{
		"would run: STOP REPLICA IO_THREAD on server2, server4",
		"would run: STOP SLAVE IO_THREAD on server3",
		"would run: STOP REPLICA SQL_THREAD on server2, server4 once each has applied what it can",
		"would run: STOP SLAVE SQL_THREAD on server3 once each has applied what it can",
		"would run: apply 0 diff file(s) in one session on server2, then read its SHOW BINARY LOG STATUS",
		"would run: SET GLOBAL super_read_only = 0; SET GLOBAL read_only = 0 on server2",
		"would run: server3: apply 0 diff file(s) in one session, then STOP SLAVE; RESET SLAVE; CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, " +
			"MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_AUTO_POSITION=1, GET_MASTER_PUBLIC_KEY=1; START SLAVE",
		"would run: server4: apply 0 diff file(s) in one session, then STOP REPLICA; RESET REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.2', SOURCE_PORT=3306, " +
			"SOURCE_USER='repl', SOURCE_PASSWORD='xxx', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1; START REPLICA",
		"would run: STOP REPLICA; RESET REPLICA ALL on server2",
	}
	checkNotes(t, st, want)
}

// MariaDB GTID: the start position comes from the new master, whose diffs
// would move it, which the plan says.
func TestPlanMariaDBGTIDWithDiffs(t *testing.T) {
	st := planState(decide.ModeMariaGTID, planHost("server2", "10.0.0.2", "10.11.19-MariaDB-log"),
		planHost("server3", "10.0.0.3", "10.5.24-MariaDB"))
	st.NewMaster.diffs = []diffFile{{kind: "read"}}
	st.NewMaster.Server.SkipResetSlave = true
	planReplicas(st)
	want := []string{
		"would run: server3: apply 0 diff file(s) in one session, then STOP SLAVE; RESET SLAVE; SET GLOBAL gtid_slave_pos = '0-2-77'; " +
			"CHANGE MASTER TO MASTER_HOST='10.0.0.2', MASTER_PORT=3306, MASTER_USER='repl', MASTER_PASSWORD='xxx', MASTER_USE_GTID=slave_pos; START SLAVE",
		"the replicas' start position above is server2's binlog position now (mysql-bin.000003:1234); the run reads it again after server2 applies its 1 diff file(s)",
		"skip_reset_slave=1: server2 would keep its replication settings",
	}
	checkNotes(t, st, want)
}

func TestPlanWithoutNewMasterBinlog(t *testing.T) {
	st := planState(decide.ModeFilePos, planHost("server2", "10.0.0.2", "8.0.36"), planHost("server3", "10.0.0.3", "8.0.36"))
	st.NewMaster.Status.Binlog = nil
	planReplicas(st)
	want := "would run: server3: apply 0 diff file(s) in one session, then repoint it; its statements cannot be built now: new master server2 shows no binlog position (log_bin=OFF?)"
	if !slices.Contains(st.Report.Notes, want) {
		t.Errorf("notes %q lack %q", st.Report.Notes, want)
	}
}

func TestPlanRestoreNamesTheStatement(t *testing.T) {
	st := planState(decide.ModeFilePos, planHost("server2", "10.0.0.2", "8.4.3"), planHost("server3", "10.0.0.3", "10.11.19-MariaDB"))
	st.prev = &journal.Replay{Run: "r0", PendingUndo: []journal.Undo{{Host: "server2", Action: undoStartIO}, {Host: "server3", Action: undoStartSQL}}}
	planRestore(st)
	for _, want := range []string{"would run: START REPLICA IO_THREAD on server2 (restart what run r0 stopped)",
		"would run: START SLAVE SQL_THREAD on server3 (restart what run r0 stopped)"} {
		if !slices.Contains(st.Report.Notes, want) {
			t.Errorf("notes %q lack %q", st.Report.Notes, want)
		}
	}
}

// checkNotes compares the plan's notes and makes sure no password leaked.
func checkNotes(t *testing.T, st *State, want []string) {
	t.Helper()
	if !slices.Equal(st.Report.Notes, want) {
		t.Errorf("plan notes:\n%s\nwant:\n%s", strings.Join(st.Report.Notes, "\n"), strings.Join(want, "\n"))
	}
	for _, n := range st.Report.Notes {
		if strings.Contains(n, planPassword) {
			t.Errorf("plan leaks the replication password: %s", n)
		}
	}
}
