package hooks

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

// The want lists are MHA 0.58's command lines (MasterFailover.pm
// force_shutdown_internal and recover_master, Server.pm get_ssh_args_if)
// split into argv, without the script path.
func TestFailoverArgs(t *testing.T) {
	dead := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root"}
	deadMoved := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root", SSHHost: "db1-mgmt", SSHIP: "10.1.0.1", SSHPort: 2222}
	newM := Host{Hostname: "db2", IP: "10.0.0.2", Port: 3307, SSHUser: "mha"}
	newMoved := Host{Hostname: "db2", IP: "10.0.0.2", Port: 3307, SSHUser: "mha", SSHPort: 2200}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"ip stop, ssh reachable", FailoverStopArgs(dead, true), []string{
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306",
			"--command=stopssh", "--ssh_user=root"}},
		{"ip stop, ssh unreachable", FailoverStopArgs(dead, false), []string{
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", "--command=stop"}},
		{"ip stop, own ssh endpoint", FailoverStopArgs(deadMoved, false), []string{
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306", "--command=stop",
			"--orig_master_ssh_host=db1-mgmt", "--orig_master_ssh_ip=10.1.0.1", "--orig_master_ssh_port=2222"}},
		{"shutdown, ssh reachable, pid file", ShutdownArgs(dead, true, "/var/run/mysqld.pid"), []string{
			"--command=stopssh", "--ssh_user=root", "--host=db1", "--ip=10.0.0.1", "--port=3306",
			"--pid_file=/var/run/mysqld.pid"}},
		{"shutdown, unreachable, no pid file", ShutdownArgs(dead, false, ""), []string{
			"--command=stop", "--host=db1", "--ip=10.0.0.1", "--port=3306"}},
		{"shutdown, own ssh endpoint after pid file", ShutdownArgs(deadMoved, true, "/p"), []string{
			"--command=stopssh", "--ssh_user=root", "--host=db1", "--ip=10.0.0.1", "--port=3306", "--pid_file=/p",
			"--ssh_host=db1-mgmt", "--ssh_ip=10.1.0.1", "--ssh_port=2222"}},
		{"start", FailoverStartArgs(dead, newM, "mha"), []string{
			"--command=start", "--ssh_user=mha",
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306",
			"--new_master_host=db2", "--new_master_ip=10.0.0.2", "--new_master_port=3307", "--new_master_user=mha"}},
		{"start, orig extras before new extras", FailoverStartArgs(deadMoved, newMoved, "it's me"), []string{
			"--command=start", "--ssh_user=mha",
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306",
			"--new_master_host=db2", "--new_master_ip=10.0.0.2", "--new_master_port=3307", "--new_master_user=it's me",
			"--orig_master_ssh_host=db1-mgmt", "--orig_master_ssh_ip=10.1.0.1", "--orig_master_ssh_port=2222",
			"--new_master_ssh_port=2200"}},
		{"report, failed before activation", ReportArgs("db1", "", nil, "/etc/app1.cnf", "app1: s", "b"), []string{
			"--orig_master_host=db1", "--conf=/etc/app1.cnf", "--subject=app1: s", "--body=b"}},
		{"report, new master", ReportArgs("db1", "db2", []string{"db3", "db4"}, "/etc/app1.cnf", "s", "line $1 (x)\nnext"), []string{
			"--orig_master_host=db1", "--new_master_host=db2", "--new_slave_hosts=db3,db4",
			"--conf=/etc/app1.cnf", "--subject=s", "--body=line $1 (x)\nnext"}},
		{"report, new master but no slave recovered", ReportArgs("db1", "db2", nil, "c", "s", "b"), []string{
			"--orig_master_host=db1", "--new_master_host=db2", "--new_slave_hosts=", "--conf=c", "--subject=s", "--body=b"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Fatalf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}
}

func TestPasswordArgs(t *testing.T) {
	dead := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root"}
	newM := Host{Hostname: "db2", IP: "10.0.0.2", Port: 3307, SSHUser: "mha"}
	sec := Secrets{NewMaster: "newpw", OrigMaster: "origpw"}
	tests := []struct {
		name string
		key  string
		args []string
		want []string
	}{
		{"start gets the new master's", IPFailoverScript, FailoverStartArgs(dead, newM, "mha"), []string{"--new_master_password=newpw"}},
		{"status gets what start will get", IPFailoverScript, FailoverStatusArgs(dead), []string{"--new_master_password=newpw"}},
		{"stop gets none", IPFailoverScript, FailoverStopArgs(dead, true), nil},
		{"shutdown gets none", ShutdownScript, ShutdownArgs(dead, true, ""), nil},
		{"report gets none", ReportScript, ReportArgs("db1", "db2", nil, "c", "s", "b"), nil},
		{"secondary check gets the dead master's", SecondaryCheckScript, []string{"--user=root"}, []string{"--master_password=origpw"}},
		{"online change gets both", OnlineChangeScript, []string{"--command=stop"}, []string{"--orig_master_password=origpw", "--new_master_password=newpw"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := PasswordArgs(tc.key, tc.args, sec); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
	// MHA passes an empty password too: a script declaring the option
	// still finds it.
	if got := PasswordArgs(IPFailoverScript, FailoverStartArgs(dead, newM, "mha"), Secrets{}); !reflect.DeepEqual(got, []string{"--new_master_password="}) {
		t.Fatalf("empty password: %q", got)
	}
}

func TestSecretEnv(t *testing.T) {
	tests := []struct {
		s    Secrets
		want []string
	}{
		{Secrets{}, nil},
		{Secrets{NewMaster: "n"}, []string{"MHAGO_NEW_MASTER_PASSWORD=n"}},
		{Secrets{OrigMaster: "o"}, []string{"MHAGO_ORIG_MASTER_PASSWORD=o"}},
		{Secrets{NewMaster: "n=1", OrigMaster: "o"}, []string{"MHAGO_NEW_MASTER_PASSWORD=n=1", "MHAGO_ORIG_MASTER_PASSWORD=o"}},
	}
	for _, tc := range tests {
		if got := SecretEnv(tc.s); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("SecretEnv(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	r := Result{Path: "/etc/mha/ip failover", Args: []string{"--command=start", "--new_master_user=it's me", "--new_master_password=xxx"},
		SecretEnv: []string{EnvNewMasterPassword, EnvOrigMasterPassword}}
	want := `MHAGO_NEW_MASTER_PASSWORD=xxx MHAGO_ORIG_MASTER_PASSWORD=xxx /etc/mha/ip failover --command=start '--new_master_user=it'\''s me' --new_master_password=xxx`
	if got := CommandLine(r); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want Verdict
	}{
		{"exit 0", Result{ExitCode: 0}, Done},
		{"exit 10: failed, but proceed", Result{ExitCode: 10}, Proceed},
		{"exit 1 aborts", Result{ExitCode: 1}, Abort},
		{"exit 2 aborts", Result{ExitCode: 2}, Abort},
		{"exit 11 aborts", Result{ExitCode: 11}, Abort},
		{"timeout aborts", Result{ExitCode: -1, Err: "timed out after 1m0s"}, Abort},
		{"not started aborts", Result{ExitCode: -1, Err: "fork/exec: no such file"}, Abort},
	}
	for _, tc := range tests {
		if got := Outcome(tc.r); got != tc.want {
			t.Errorf("%s: Outcome = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestShutdownOutcome(t *testing.T) {
	tests := []struct {
		name string
		r    Result
		want Fencing
	}{
		{"exit 0: powered off, binlog not saved", Result{ExitCode: 0}, PoweredOff},
		{"exit 10: mysqld killed over SSH, binlog saved", Result{ExitCode: 10}, MySQLKilled},
		{"exit 1 aborts", Result{ExitCode: 1}, FenceFailed},
		{"exit 20 aborts", Result{ExitCode: 20}, FenceFailed},
		{"timeout aborts", Result{ExitCode: -1, Err: "timed out after 1m0s"}, FenceFailed},
	}
	for _, tc := range tests {
		if got := ShutdownOutcome(tc.r); got != tc.want {
			t.Errorf("%s: ShutdownOutcome = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestRunEnv(t *testing.T) {
	before := RunEnv(RunInfo{App: "app1", RunID: "r1", Fence: 7, DeadHost: "db1", DeadPort: 3306, Command: "stop"})
	want := []string{"MHAGO_APP=app1", "MHAGO_RUN_ID=r1", "MHAGO_FENCE=7", "MHAGO_DEAD_MASTER_HOST=db1",
		"MHAGO_DEAD_MASTER_PORT=3306", "MHAGO_COMMAND=stop"}
	if !reflect.DeepEqual(before, want) {
		t.Fatalf("got  %q\nwant %q", before, want)
	}
	after := RunEnv(RunInfo{App: "app1", RunID: "r1", Fence: 7, DeadHost: "db1", DeadPort: 3306,
		NewHost: "db2", NewPort: 3307, Command: "start"})
	want = []string{"MHAGO_APP=app1", "MHAGO_RUN_ID=r1", "MHAGO_FENCE=7", "MHAGO_DEAD_MASTER_HOST=db1",
		"MHAGO_DEAD_MASTER_PORT=3306", "MHAGO_NEW_MASTER_HOST=db2", "MHAGO_NEW_MASTER_PORT=3307", "MHAGO_COMMAND=start"}
	if !reflect.DeepEqual(after, want) {
		t.Fatalf("got  %q\nwant %q", after, want)
	}
}

func TestArgValue(t *testing.T) {
	args := FailoverStopArgs(Host{Hostname: "h", IP: "i", Port: 1, SSHUser: "u"}, true)
	if v, ok := ArgValue(args, "command"); !ok || v != "stopssh" {
		t.Fatalf("ArgValue(command) = %q, %v", v, ok)
	}
	if _, ok := ArgValue(args, "pid_file"); ok {
		t.Fatal("ArgValue found an absent argument")
	}
}

// An MHA-style script parses the arguments exactly as built, including a
// body with shell metacharacters, and reads the password from the
// environment rather than argv.
func TestStartAndReportReachScript(t *testing.T) {
	p := writeScript(t, `for a in "$@"; do printf '[%s]\n' "$a"; done; echo "pw=$MHAGO_NEW_MASTER_PASSWORD"`)
	args := ReportArgs("db1", "db2", []string{"db3"}, "/etc/app1.cnf", "app1: MySQL Master failover", "Master db1(10.0.0.1:3306) is down!\n$(touch /tmp/x) `id`")
	r := Run(context.Background(), Call{Name: ReportScript, Path: p, Args: args, Env: RunEnv(RunInfo{App: "app1", Command: "report"}),
		Secrets: Secrets{NewMaster: "s3cret"}})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d: %s", r.ExitCode, r.Output)
	}
	for _, want := range []string{"[--new_slave_hosts=db3]", "[--subject=app1: MySQL Master failover]",
		"[--body=Master db1(10.0.0.1:3306) is down!\n$(touch /tmp/x) `id`]", "pw=s3cret"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("script output lacks %q:\n%s", want, r.Output)
		}
	}
}
