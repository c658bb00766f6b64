package hooks

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/mhago/mhago/internal/redact"
)

// Secrets are the passwords a hook call is given. They are distinct: a
// call that concerns two servers gets each one's password in its own
// variable (or argument).
type Secrets struct {
	NewMaster  string // `password` of the new master (--command=start)
	OrigMaster string // `password` of the dead (original) master
}

// PasswordStyle says how a hook receives passwords.
type PasswordStyle string

// Password styles.
const (
	// PasswordsInEnv, mhago's default: MHAGO_NEW_MASTER_PASSWORD and
	// MHAGO_ORIG_MASTER_PASSWORD, which `ps` does not show.
	PasswordsInEnv PasswordStyle = "env"
	// PasswordsInArgs, MHA's style (hook_password_args=1 or
	// --hook-password-args): also --new_master_password= and the like, so
	// unmodified MHA scripts work; the password is then visible in the
	// process list of the manager host.
	PasswordsInArgs PasswordStyle = "args"
)

// StyleFor is the password style a setting selects.
func StyleFor(passwordArgs bool) PasswordStyle {
	if passwordArgs {
		return PasswordsInArgs
	}
	return PasswordsInEnv
}

// Environment variables that carry the passwords to every hook.
const (
	EnvNewMasterPassword  = "MHAGO_NEW_MASTER_PASSWORD"
	EnvOrigMasterPassword = "MHAGO_ORIG_MASTER_PASSWORD"
)

// SecretEnv returns the passwords as KEY=VALUE pairs for the hook's
// environment. Empty passwords are left out.
func SecretEnv(s Secrets) []string {
	var env []string
	if s.NewMaster != "" {
		env = append(env, EnvNewMasterPassword+"="+s.NewMaster)
	}
	if s.OrigMaster != "" {
		env = append(env, EnvOrigMasterPassword+"="+s.OrigMaster)
	}
	return env
}

// SecretEnvNames are the names SecretEnv sets, for the report and plan.
func SecretEnvNames(s Secrets) []string {
	var names []string
	for _, kv := range SecretEnv(s) {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	return names
}

// PasswordArgs are MHA 0.58's password arguments of one call, appended
// last as MHA does, also when the password is empty:
//   - master_ip_failover_script --command=start: --new_master_password;
//   - secondary_check_script: --master_password (the dead master's);
//   - master_ip_online_change_script: --orig_master_password and
//     --new_master_password.
//
// mhago also gives master_ip_failover_script's --command=status call the
// --new_master_password that --command=start will get (MHA passes none
// there), so that `mhago check` runs the script with the arguments of the
// failover.
func PasswordArgs(key string, args []string, s Secrets) []string {
	cmd, _ := ArgValue(args, "command")
	switch {
	case key == IPFailoverScript && (cmd == "start" || cmd == "status"):
		return []string{"--new_master_password=" + s.NewMaster}
	case key == SecondaryCheckScript:
		return []string{"--master_password=" + s.OrigMaster}
	case key == OnlineChangeScript:
		return []string{"--orig_master_password=" + s.OrigMaster, "--new_master_password=" + s.NewMaster}
	}
	return nil
}

// CommandLine is the call as a shell command line an operator can run by
// hand: the password variables it was given, the command and its
// arguments, shell-quoted. Passwords show as xxx (r holds no password).
func CommandLine(r Result) string {
	var parts []string
	for _, name := range r.SecretEnv {
		parts = append(parts, name+"="+redact.Mask)
	}
	parts = append(parts, r.Path)
	for _, a := range r.Args {
		parts = append(parts, shellQuote(a))
	}
	return strings.Join(parts, " ")
}

// shellQuote leaves plain words alone and single-quotes the rest.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=.,:/@+%") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// passwordOption finds a script's own parsing of MHA's password options:
// Getopt::Long specs ('new_master_password=s'), shell case patterns
// (--new_master_password=*) and Perl or shell variables named after them.
// It is case-sensitive, so mhago's MHAGO_NEW_MASTER_PASSWORD does not count.
var passwordOption = regexp.MustCompile(`\b(new|orig)_master_password\b`)

// readsEnvPassword finds a script reading mhago's variables.
var readsEnvPassword = regexp.MustCompile(`MHAGO_(NEW|ORIG)_MASTER_PASSWORD`)

// maxScriptRead bounds how much of a hook script is inspected.
const maxScriptRead = 1 << 20

// ScriptPasswordOption looks into a hook script, statically: when it is a
// text file that parses MHA's new_master_password or orig_master_password
// option and does not read mhago's MHAGO_*_PASSWORD variables, it returns
// the option's name (such a script gets no password unless passwords go
// in its arguments). It returns "" for a binary, for a script that reads
// the variables, and for one that mentions neither; err only when the file
// cannot be read.
func ScriptPasswordOption(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxScriptRead))
	if err != nil {
		return "", fmt.Errorf("read hook script %s: %w", path, err)
	}
	if bytes.IndexByte(data[:min(len(data), 8192)], 0) >= 0 {
		return "", nil // a binary: nothing to read in it
	}
	m := passwordOption.Find(data)
	if m == nil || readsEnvPassword.Match(data) {
		return "", nil
	}
	return string(m), nil
}
