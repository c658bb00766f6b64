package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// The tests of this file start their clusters at these bases.
const (
	baseManual = 140 // 3 hosts: 140..143
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
