package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// The tests of this file start their clusters at these bases.
const (
	baseManual = 140 // 3 hosts: 140..143
	baseCron   = 144 // 3 hosts: 144..147
)

// TestExit13ReportListsManualSteps: a failover that stops past its point
// of no return (a panic as replica recovery starts) reports the steps left
// to finish it by hand: per replica the repoint statements with the new
// master's real coordinates, then the new master's cleanup.
func TestExit13ReportListsManualSteps(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseManual, Hosts: 3})
	s.killUnderLoad(300, nil)
	code, out, _ := runFault(t, "panic@in:4 replica recovery", "failover", "--conf", s.c.ConfigPath())
	if code != exitAfterPONR {
		t.Fatalf("panic past the point of no return: exit %d, want %d", code, exitAfterPONR)
	}
	rep := s.lastReport()
	if rep.Outcome != report.OutcomeFailed || rep.NewMaster == nil || len(rep.ManualSteps) == 0 {
		t.Fatalf("report: outcome %s, new master %v, manual steps %q", rep.Outcome, rep.NewMaster, rep.ManualSteps)
	}
	var nmAfter report.Position
	replica := ""
	for _, h := range rep.Hosts {
		switch {
		case h.Role == report.RoleNewMaster:
			nmAfter = h.After
		case h.Role == report.RoleReplica && h.Name != rep.NewMaster.Name:
			replica = h.Name
		}
	}
	steps := strings.Join(rep.ManualSteps, "\n")
	// The coordinates are the new master's, in the run's replication mode.
	coord := fmt.Sprintf("MASTER_LOG_FILE='%s', MASTER_LOG_POS=%d", nmAfter.File, nmAfter.Pos)
	if strings.Contains(steps, "MASTER_USE_GTID=slave_pos") {
		coord = "gtid_slave_pos = '" + nmAfter.GTID + "'"
	}
	if nmAfter.File == "" {
		t.Fatalf("the new master's position is not in the report: %+v", rep.Hosts)
	}
	for _, want := range []string{"--resume` does all of the following", "4 replica recovery: on " + replica + "(",
		"MASTER_HOST='" + rep.NewMaster.IP + "'", coord, "5 new master cleanup: on " + rep.NewMaster.Name} {
		if !strings.Contains(steps, want) {
			t.Errorf("manual steps lack %q:\n%s", want, steps)
		}
	}
	if strings.Contains(steps, s.c.Options().ReplPassword) {
		t.Errorf("manual steps show the replication password:\n%s", steps)
	}
	if !strings.Contains(out, "TO FINISH BY HAND:") || !strings.Contains(out, coord) {
		t.Errorf("the printed report does not show the manual steps:\n%s", out)
	}
	// The subject says what happened.
	if !strings.Contains(out, "FAILED after the point of no return") {
		t.Errorf("the subject of a failed run does not say so:\n%s", out)
	}
}

// TestCronCheckOutput drives check from cron as an operator would: the
// healthy runs leave a history line each in manager_log; when the master
// dies, check --failover-if-dead --json prints one document holding the
// check and the failover; when the new master dies too within
// last_failover, every run is refused by the guard (exit 9) but
// report_script hears it once.
func TestCronCheckOutput(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseCron, Hosts: 3})
	mails := filepath.Join(s.c.Dir(), "mails")
	rs := filepath.Join(s.c.Dir(), "report.sh")
	script := "#!/bin/sh\nfor a; do case \"$a\" in --subject=*) echo \"$a\" >> " + mails + ";; esac; done\n"
	if err := os.WriteFile(rs, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := rewriteConf(t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\nreport_script="+rs)
	cron := func() (int, map[string]any) {
		t.Helper()
		code, out, _ := runCLI(t, "check", "--conf", conf, "--failover-if-dead", "--remove-dead-master-conf", "--json")
		dec := json.NewDecoder(strings.NewReader(out))
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil || dec.More() {
			t.Fatalf("stdout is not one JSON document (%v):\n%s", err, out)
		}
		if doc["exit_code"] != float64(code) {
			t.Fatalf("exit %d, document says %v", code, doc["exit_code"])
		}
		return code, doc
	}
	for range 2 {
		if code, doc := cron(); code != exitOK || doc["status"] != "ok" || doc["failover"] != nil {
			t.Fatalf("healthy: exit %d, %v", code, doc)
		}
	}
	if err := s.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	code, doc := cron()
	fo, _ := doc["failover"].(map[string]any)
	if code != exitOK || doc["status"] != "master_unreachable" || fo == nil || fo["status"] != "success" || fo["exit_code"] != float64(0) {
		t.Fatalf("master killed: exit %d, %v", code, doc)
	}
	nm, _ := fo["new_master"].(map[string]any)
	if nm == nil || nm["name"] != "server2" {
		t.Fatalf("new master %v", fo["new_master"])
	}
	if err := s.c.KillMySQL(2); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		code, doc := cron()
		fo, _ := doc["failover"].(map[string]any)
		if code != exitGuard || fo == nil || fo["status"] != "refused" {
			t.Fatalf("new master killed within last_failover: exit %d, %v", code, doc)
		}
	}
	sent := strings.Split(strings.TrimSpace(readFile(t, mails)), "\n")
	if len(sent) != 2 || !strings.HasSuffix(sent[0], " succeeded") || !strings.Contains(sent[1], "failover server2(") ||
		!strings.HasSuffix(sent[1], " refused (nothing changed)") {
		t.Fatalf("report_script subjects, want one success and one refusal:\n%s", strings.Join(sent, "\n"))
	}
	var history []string
	for _, l := range strings.Split(readFile(t, filepath.Join(s.c.ManagerDir(), "app.log")), "\n") {
		if strings.Contains(l, "msg=check ") {
			history = append(history, l)
		}
	}
	want := []string{"status=ok exit_code=0 master=server1", "status=ok exit_code=0 master=server1",
		"status=master_unreachable exit_code=0 master=server1", "exit_code=9 master=server2", "exit_code=9 master=server2"}
	if len(history) != len(want) {
		t.Fatalf("manager_log has %d check lines, want %d:\n%s", len(history), len(want), strings.Join(history, "\n"))
	}
	for i, w := range want {
		if !strings.Contains(history[i], w) {
			t.Errorf("history line %d lacks %q: %s", i, w, history[i])
		}
	}
	if !strings.HasSuffix(history[2], "failover=started") || !strings.HasSuffix(history[4], "failover=started") {
		t.Errorf("history does not say a failover was started:\n%s", strings.Join(history, "\n"))
	}
}
