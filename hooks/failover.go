package hooks

import (
	"strconv"
	"strings"
)

// Hook names, as the config keys that configure them.
const (
	IPFailoverScript = "master_ip_failover_script"
	ShutdownScript   = "shutdown_script"
	ReportScript     = "report_script"
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
// master is recovered. The password is not included: pass it through
// SecretEnv, or WithPasswordArgs for scripts that insist on argv.
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

// Environment variables that carry secrets and run facts to every hook.
const (
	EnvNewMasterPassword  = "MHAGO_NEW_MASTER_PASSWORD"
	EnvOrigMasterPassword = "MHAGO_ORIG_MASTER_PASSWORD"
)

// SecretEnv returns the passwords as KEY=VALUE pairs for Call.Env, where
// `ps` and the logs cannot see them. Empty passwords are left out.
func SecretEnv(newMasterPassword, origMasterPassword string) []string {
	var env []string
	if newMasterPassword != "" {
		env = append(env, EnvNewMasterPassword+"="+newMasterPassword)
	}
	if origMasterPassword != "" {
		env = append(env, EnvOrigMasterPassword+"="+origMasterPassword)
	}
	return env
}

// WithPasswordArgs appends --new_master_password for unmodified MHA scripts
// that read it from argv (an opt-in compatibility setting: the password is
// then visible in the process list). MHA puts it last. The input slice is
// not modified.
func WithPasswordArgs(args []string, newMasterPassword string) []string {
	out := make([]string, 0, len(args)+1)
	out = append(out, args...)
	return append(out, "--new_master_password="+newMasterPassword)
}

// Redacted is what a secret value is replaced with, as in MHA's own logs.
const Redacted = "xxx"

// Redact returns a copy of args in which the value of every --*password=
// argument is replaced by xxx. Use it before an argument list reaches a log
// line or a report.
func Redact(args []string) []string {
	if args == nil {
		return nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = redactArg(a)
	}
	return out
}

func redactArg(a string) string {
	key, _, found := strings.Cut(a, "=")
	if found && strings.HasPrefix(key, "-") && strings.Contains(strings.ToLower(key), "password") {
		return key + "=" + Redacted
	}
	return a
}

// RedactText replaces the value of any "password=VALUE" word in free text
// (a hook's output, a logged command line) by xxx. The value ends at
// whitespace or a quote of the kind that opened it.
func RedactText(s string) string {
	var b strings.Builder
	lower := strings.ToLower(s)
	for {
		i := strings.Index(lower, "password=")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i + len("password=")
		end := start + secretLen(s[start:])
		b.WriteString(s[:start])
		if end > start {
			b.WriteString(Redacted)
		}
		s, lower = s[end:], lower[end:]
	}
}

// secretLen is the length of the value at the start of s: a quoted string
// (quotes included) or a run of non-space characters.
func secretLen(s string) int {
	if s != "" && (s[0] == '\'' || s[0] == '"') {
		if j := strings.IndexByte(s[1:], s[0]); j >= 0 {
			return j + 2
		}
	}
	if j := strings.IndexAny(s, " \t\r\n"); j >= 0 {
		return j
	}
	return len(s)
}

// Outcome interprets a stop/start hook as MHA does: exit 0 is ok; exit 10 is
// a failure after which the failover proceeds; anything else, including a
// script that could not run or timed out, aborts.
func Outcome(r Result) (ok bool, proceed bool) {
	switch {
	case r.Err != "" || r.ExitCode < 0:
		return false, false
	case r.ExitCode == 0:
		return true, true
	case r.ExitCode == ExitProceed:
		return false, true
	}
	return false, false
}

// ShutdownOutcome interprets shutdown_script's exit code as MHA does.
//   - 0: the host was powered off. SSH must now be treated as unreachable,
//     so the dead master's binlog is not saved: sshReachableAfter = false.
//   - 10: SSH was reachable and mysqld was killed: sshReachableAfter = true.
//   - anything else: the fencing failed and the failover must abort
//     (ok = false, sshReachableAfter = nil, meaning unchanged/unknown).
func ShutdownOutcome(code int) (ok bool, sshReachableAfter *bool) {
	switch code {
	case 0:
		return true, new(false)
	case ExitProceed:
		return true, new(true)
	}
	return false, nil
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
