package hooks

import (
	"strconv"
	"strings"
)

// Hook names, as the config keys that configure them.
const (
	IPFailoverScript     = "master_ip_failover_script"
	ShutdownScript       = "shutdown_script"
	ReportScript         = "report_script"
	SecondaryCheckScript = "secondary_check_script"
	OnlineChangeScript   = "master_ip_online_change_script"
	// ProxyCommand is the command= of a [proxyN] block with type=script.
	ProxyCommand = "proxy_command"
)

// ExitProceed is the exit code by which a stop/start hook says "I failed, but
// carry on" (MHA 0.58). For shutdown_script it means "SSH reachable, mysqld
// killed" instead.
const ExitProceed = 10

// FailoverStopArgs are master_ip_failover_script's arguments in the fencing
// phase. MHA 0.58 puts the orig_master_* triple first and --command after
// it (unlike the status call); the SSH user is only passed with stopssh.
func FailoverStopArgs(orig Host, sshReachable bool) []string {
	args := []string{"--orig_master_host=" + orig.Hostname, "--orig_master_ip=" + orig.IP,
		"--orig_master_port=" + strconv.Itoa(orig.Port)}
	args = append(args, stopCommand(orig, sshReachable)...)
	return append(args, sshExtras("orig_master_", orig)...)
}

// ShutdownArgs are shutdown_script's arguments in the fencing phase; pidFile
// is the master_pid_file setting, omitted when empty.
func ShutdownArgs(orig Host, sshReachable bool, pidFile string) []string {
	args := stopCommand(orig, sshReachable)
	args = append(args, "--host="+orig.Hostname, "--ip="+orig.IP, "--port="+strconv.Itoa(orig.Port))
	if pidFile != "" {
		args = append(args, "--pid_file="+pidFile)
	}
	return append(args, sshExtras("", orig)...)
}

func stopCommand(orig Host, sshReachable bool) []string {
	if sshReachable {
		return []string{"--command=stopssh", "--ssh_user=" + orig.SSHUser}
	}
	return []string{"--command=stop"}
}

// FailoverStartArgs are master_ip_failover_script's arguments once the new
// master is recovered. The password is not included: Run adds it, in the
// environment or as --new_master_password (Call.Secrets, Call.Style).
func FailoverStartArgs(orig, new Host, newUser string) []string {
	args := []string{"--command=start", "--ssh_user=" + new.SSHUser,
		"--orig_master_host=" + orig.Hostname, "--orig_master_ip=" + orig.IP,
		"--orig_master_port=" + strconv.Itoa(orig.Port),
		"--new_master_host=" + new.Hostname, "--new_master_ip=" + new.IP,
		"--new_master_port=" + strconv.Itoa(new.Port),
		"--new_master_user=" + newUser}
	args = append(args, sshExtras("orig_master_", orig)...)
	return append(args, sshExtras("new_master_", new)...)
}

// ReportArgs are report_script's arguments. Like MHA, the new_* arguments
// appear only once a new master was activated (newHost != ""), and then
// --new_slave_hosts is present even when empty. Subject and body are single
// argv elements, so the shell never sees their parentheses or dollars (#58).
func ReportArgs(origHost, newHost string, newSlaves []string, conf, subject, body string) []string {
	args := []string{"--orig_master_host=" + origHost}
	if newHost != "" {
		args = append(args, "--new_master_host="+newHost, "--new_slave_hosts="+strings.Join(newSlaves, ","))
	}
	return append(args, "--conf="+conf, "--subject="+subject, "--body="+body)
}

// Verdict is how a failover goes on after a master_ip_failover_script
// call (stop, stopssh or start).
type Verdict uint8

// Verdicts, as MHA 0.58 reads the exit code.
const (
	// Done: exit 0.
	Done Verdict = iota
	// Proceed: exit 10, "failed, but proceed": MHA logs "Proceeding." and
	// goes on; the report says the call failed.
	Proceed
	// Abort: any other exit code, a timeout or a script that could not run.
	Abort
)

// Outcome interprets a stop/stopssh/start call as MHA does.
func Outcome(r Result) Verdict {
	switch {
	case r.Err != "" || r.ExitCode < 0:
		return Abort
	case r.ExitCode == 0:
		return Done
	case r.ExitCode == ExitProceed:
		return Proceed
	}
	return Abort
}

// Fencing is what shutdown_script's exit code says about the dead master.
type Fencing uint8

// Fencing results, as MHA 0.58 reads the exit code.
const (
	// PoweredOff: exit 0. The host is off, so SSH is treated as
	// unreachable and the dead master's binlog is not saved.
	PoweredOff Fencing = iota
	// MySQLKilled: exit 10. SSH was reachable and mysqld was killed; the
	// host is up, so its binlog is still saved.
	MySQLKilled
	// FenceFailed: anything else; the failover aborts.
	FenceFailed
)

// ShutdownOutcome interprets a shutdown_script call as MHA does.
func ShutdownOutcome(r Result) Fencing {
	switch {
	case r.Err != "" || r.ExitCode < 0:
		return FenceFailed
	case r.ExitCode == 0:
		return PoweredOff
	case r.ExitCode == ExitProceed:
		return MySQLKilled
	}
	return FenceFailed
}

// RunInfo describes the run to every hook through MHAGO_* environment
// variables, so a new script need not parse MHA's argv.
type RunInfo struct {
	App      string
	RunID    string
	Fence    int64
	DeadHost string
	DeadPort int
	NewHost  string // empty until a new master is chosen
	NewPort  int
	Command  string // status, stop, stopssh, start, report
}

// RunEnv returns RunInfo as KEY=VALUE pairs for Call.Env; the new master's
// variables are present only once it is known.
func RunEnv(e RunInfo) []string {
	env := []string{
		"MHAGO_APP=" + e.App,
		"MHAGO_RUN_ID=" + e.RunID,
		"MHAGO_FENCE=" + strconv.FormatInt(e.Fence, 10),
		"MHAGO_DEAD_MASTER_HOST=" + e.DeadHost,
		"MHAGO_DEAD_MASTER_PORT=" + strconv.Itoa(e.DeadPort),
	}
	if e.NewHost != "" {
		env = append(env, "MHAGO_NEW_MASTER_HOST="+e.NewHost, "MHAGO_NEW_MASTER_PORT="+strconv.Itoa(e.NewPort))
	}
	return append(env, "MHAGO_COMMAND="+e.Command)
}

// ArgValue returns the value of --name=VALUE in args, and whether it is
// there; report code uses it to tell a stop call from a start call.
func ArgValue(args []string, name string) (string, bool) {
	prefix := "--" + name + "="
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, prefix); ok {
			return v, true
		}
	}
	return "", false
}
