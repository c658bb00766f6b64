package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// runAs runs the CLI in-process with args[0] as the program's name, as a
// symlink named after an MHA command starts it.
func runAs(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	t.Logf("%s => exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// execAs runs the built mhago through a symlink named name, as MHA users'
// scripts will, with stdin from /dev/null (no terminal).
func execAs(t *testing.T, name string, args ...string) (int, string, string) {
	t.Helper()
	link := filepath.Join(t.TempDir(), name)
	if err := os.Symlink(mhagoBinary(t), link); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(link, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run %s: %v", link, err)
	}
	code := cmd.ProcessState.ExitCode()
	t.Logf("%s %s => exit %d\nstdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), code, out.String(), errb.String())
	return code, out.String(), errb.String()
}

// mhagoBinary is mhago as a program of its own, with the agent beside it.
// The build the fault tests share serves: without MHAGO_FAULT it is
// mhago, and a second build would cost a minute of the CPUs the tests
// share.
func mhagoBinary(t *testing.T) string { return faultBinary(t) }

// lastFailoverReport reads the report the last failover wrote in
// manager_workdir (MHA's commands print the text report only).
func lastFailoverReport(t *testing.T, c *cluster.Cluster) *report.Report {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(c.ManagerDir(), "app.failover.last.json"))
	if err != nil {
		t.Fatal(err)
	}
	rep := &report.Report{}
	if err := json.Unmarshal(data, rep); err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestMasterhaMasterSwitchDead drives failovers with MHA's own command
// line (masterha_master_switch --master_state=dead ... --interactive=0):
// a dead master named wrong is refused with MHA's exit 1 and nothing
// changed; then the master killed under load is failed over in-process
// (argv[0] masterha_master_switch, --remove_dead_master_conf); then the new
// master is killed too and failed over by the binary started through a
// symlink named masterha_master_switch. Each time: exit 0, the new master,
// every replica repointed, every acknowledged row there.
func TestMasterhaMasterSwitchDead(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: 64})
	port := strconv.Itoa(s.c.Options().MySQLPort)
	args := func(dead int, more ...string) []string {
		return append([]string{"--master_state=dead", "--conf=" + s.c.ConfigPath(), "--dead_master_host=" + s.c.IP(dead),
			"--dead_master_ip=" + s.c.IP(dead), "--dead_master_port=" + port, "--interactive=0"}, more...)
	}
	acked := s.killUnderLoad(500, nil)

	code, out, errs := runAs(t, append([]string{"masterha_master_switch"}, args(3)...)...)
	if code != exitError || !strings.Contains(out, "the replicas replicate from server1") || !strings.Contains(errs, "masterha_master_switch: mhago exit 12") {
		t.Fatalf("a live replica named as the dead master: exit %d, want 1 with the reason and mhago's own code", code)
	}
	if st, err := s.c.SlaveStatus(s.ctx, 3); err != nil || st["Master_Host"] != s.c.IP(1) {
		t.Fatalf("the refused run changed server3's replication: %v %v", st, err)
	}

	code, out, _ = runAs(t, append([]string{"masterha_master_switch"}, args(1, "--remove_dead_master_conf")...)...)
	if code != exitOK {
		t.Fatalf("failover through masterha_master_switch: exit %d\n%s", code, out)
	}
	nm := s.assertRecovered(lastFailoverReport(t, s.c), acked, 2, 3, 4)

	if err := s.c.KillMySQL(nm); err != nil {
		t.Fatal(err)
	}
	var survivors []int
	for _, i := range []int{2, 3, 4} {
		if i != nm {
			survivors = append(survivors, i)
		}
	}
	code, out, _ = execAs(t, "masterha_master_switch", args(nm, "--ignore_last_failover")...)
	if code != exitOK {
		t.Fatalf("failover through a symlink named masterha_master_switch: exit %d\n%s", code, out)
	}
	rep := lastFailoverReport(t, s.c)
	if rep.DeadMaster.Name != "server"+strconv.Itoa(nm) {
		t.Fatalf("the second failover's dead master is %+v, want server%d", rep.DeadMaster, nm)
	}
	s.assertRecovered(rep, acked, survivors...)
}
