// Package hooks builds and runs the operator's hook scripts with the exact
// arguments MHA 0.58 passes, so existing MHA scripts keep working unchanged.
// Building an argument list is pure (table-tested); running is thin.
package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/mhago/mhago/internal/redact"
)

// Host is what a hook is told about one server.
type Host struct {
	Hostname string
	IP       string
	Port     int
	SSHUser  string
	SSHHost  string // empty means Hostname
	SSHIP    string // empty means IP
	SSHPort  int    // 0 means 22
}

// sshExtras are the --<prefix>ssh_* arguments MHA adds only when the SSH
// endpoint differs from the defaults.
func sshExtras(prefix string, h Host) []string {
	var args []string
	if (h.SSHHost != "" && h.SSHHost != h.Hostname) || (h.SSHIP != "" && h.SSHIP != h.IP) {
		args = append(args, "--"+prefix+"ssh_host="+or(h.SSHHost, h.Hostname), "--"+prefix+"ssh_ip="+or(h.SSHIP, h.IP))
	}
	if h.SSHPort != 0 && h.SSHPort != 22 {
		args = append(args, "--"+prefix+"ssh_port="+strconv.Itoa(h.SSHPort))
	}
	return args
}

// FailoverStatusArgs are master_ip_failover_script's arguments for the
// health check (MHA calls it when monitoring starts).
func FailoverStatusArgs(master Host) []string {
	args := []string{"--command=status", "--ssh_user=" + master.SSHUser,
		"--orig_master_host=" + master.Hostname, "--orig_master_ip=" + master.IP,
		"--orig_master_port=" + strconv.Itoa(master.Port)}
	return append(args, sshExtras("orig_master_", master)...)
}

// ShutdownStatusArgs are shutdown_script's arguments for the health check.
func ShutdownStatusArgs(master Host) []string {
	args := []string{"--command=status", "--ssh_user=" + master.SSHUser,
		"--host=" + master.Hostname, "--ip=" + master.IP}
	return append(args, sshExtras("", master)...)
}

// Call is one hook invocation.
type Call struct {
	Name    string // config key, e.g. master_ip_failover_script
	Path    string
	Args    []string // MHA's arguments, without passwords
	Env     []string // extra KEY=VALUE pairs (RunEnv)
	Secrets Secrets
	// Style says whether the passwords also go in the arguments (MHA's
	// style) or only in the environment.
	Style PasswordStyle
	// Scrub masks secrets in the hook's output before it is cut to its
	// last 4 KiB, so that no cut can split a secret; nil masks password=
	// values only.
	Scrub   func(string) string
	Timeout time.Duration
}

// Result is what a hook did. It holds no password: Args show them as xxx,
// SecretEnv names the variables that carried them, and Output (the
// combined stdout and stderr, cut to its last 4 KiB so a chatty script
// cannot flood a report) is scrubbed before the cut.
type Result struct {
	Name      string        `json:"name"`
	Path      string        `json:"path"`
	Args      []string      `json:"args"`
	SecretEnv []string      `json:"secret_env,omitempty"`
	ExitCode  int           `json:"exit_code"`
	Output    string        `json:"output,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
	Err       string        `json:"error,omitempty"`
}

// ErrHookFailed marks a hook that ran and did not exit 0.
var ErrHookFailed = errors.New("hook failed")

// outputLimit is how much of a hook's output a Result keeps.
const outputLimit = 4096

// Run runs the hook and waits for it, at most Timeout. ExitCode is -1 when
// the script could not be started or was killed.
func Run(ctx context.Context, c Call) Result {
	if c.Timeout <= 0 {
		c.Timeout = time.Minute
	}
	if c.Scrub == nil {
		c.Scrub = redact.PasswordValues
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	args := c.Args
	if c.Style == PasswordsInArgs {
		args = append(append([]string(nil), args...), PasswordArgs(c.Name, args, c.Secrets)...)
	}
	var out bytes.Buffer
	cmd := command(ctx, c, args, &out)
	start := time.Now()
	err := cmd.Run()
	res := Result{Name: c.Name, Path: c.Path, Args: maskArgs(args, c.Scrub), SecretEnv: SecretEnvNames(c.Secrets),
		Duration: time.Since(start), Output: tail(c.Scrub(out.String()), outputLimit)}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case ctx.Err() != nil:
		res.ExitCode, res.Err = -1, fmt.Sprintf("timed out after %s", c.Timeout)
	case errors.As(err, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		res.ExitCode, res.Err = -1, c.Scrub(err.Error())
	}
	return res
}

// command is the hook's process: output to out, passwords in its
// environment.
func command(ctx context.Context, c Call, args []string, out *bytes.Buffer) *exec.Cmd {
	// Like MHA, a configured script is a shell command that may carry its
	// own arguments; ours are appended as positional parameters, unquoted
	// by nobody, so values with spaces or quotes arrive intact.
	cmd := exec.CommandContext(ctx, "/bin/sh", append([]string{"-c", c.Path + ` "$@"`, "mhago-hook"}, args...)...)
	cmd.Env = append(append(inheritedEnv(c.Scrub), c.Env...), SecretEnv(c.Secrets)...)
	cmd.Stdout, cmd.Stderr = out, out
	// A hook's children (ssh, sleep) would hold its output pipe open after
	// a timeout; killing the whole process group ends them too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// inheritedEnv is mhago's environment without the variables that hold a
// secret (a password given to mhago as ${NAME} in its config): a hook gets
// each password only in the variable named for it (SecretEnv).
func inheritedEnv(scrub func(string) string) []string {
	env := os.Environ()
	if scrub == nil {
		return env
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if _, v, _ := strings.Cut(kv, "="); v != "" && scrub(v) != v {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// maskArgs masks every --*password= value, then every secret elsewhere.
func maskArgs(args []string, scrub func(string) string) []string {
	out := redact.New().Args(args)
	for i, a := range out {
		out[i] = scrub(a)
	}
	return out
}

// Error returns nil for exit 0, else an error naming the hook, its exit code
// and the last line it printed.
func (r Result) Error() error {
	if r.ExitCode == 0 && r.Err == "" {
		return nil
	}
	msg := fmt.Sprintf("exit code %d", r.ExitCode)
	if r.Err != "" {
		msg = r.Err
	}
	return fmt.Errorf("%w: %s %s: %s: %s", ErrHookFailed, r.Name, r.Path, msg, lastLine(r.Output))
}

// Program is the executable of a configured hook command: its first word.
func Program(command string) string {
	f := strings.Fields(command)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// ProgramPath is the file a configured hook command runs: its first word,
// a bare name looked up in $PATH as the shell that runs hooks looks it up
// (MHA's documentation writes "secondary_check_script=masterha_secondary_check
// -s host").
func ProgramPath(command string) (string, error) {
	prog := Program(command)
	if prog == "" || strings.Contains(prog, "/") {
		return prog, nil
	}
	path, err := exec.LookPath(prog)
	if err != nil {
		return "", fmt.Errorf("%s is not found in $PATH (fix: write the script's full path, or put it in a directory of mhago's $PATH): %w", prog, err)
	}
	return path, nil
}

// CheckExecutable reports why path cannot be run as a hook, or nil.
func CheckExecutable(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	if fi.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not executable (fix: chmod +x %s)", path, path)
	}
	return nil
}

// tail keeps the last n bytes of s, starting at a character boundary.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	for i := 0; i < utf8.UTFMax && s != "" && !utf8.RuneStart(s[0]); i++ {
		s = s[1:]
	}
	return s
}

func lastLine(s string) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	return string(lines[len(lines)-1])
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
