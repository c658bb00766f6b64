package hooks

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/internal/redact"
)

func TestStatusArgs(t *testing.T) {
	plain := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3306, SSHUser: "root"}
	moved := Host{Hostname: "db1", IP: "10.0.0.1", Port: 3307, SSHUser: "mha", SSHHost: "db1-mgmt", SSHIP: "10.1.0.1", SSHPort: 2222}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"failover status, default ssh", FailoverStatusArgs(plain), []string{"--command=status", "--ssh_user=root",
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3306"}},
		{"failover status, own ssh endpoint", FailoverStatusArgs(moved), []string{"--command=status", "--ssh_user=mha",
			"--orig_master_host=db1", "--orig_master_ip=10.0.0.1", "--orig_master_port=3307",
			"--orig_master_ssh_host=db1-mgmt", "--orig_master_ssh_ip=10.1.0.1", "--orig_master_ssh_port=2222"}},
		{"shutdown status", ShutdownStatusArgs(plain), []string{"--command=status", "--ssh_user=root", "--host=db1", "--ip=10.0.0.1"}},
		{"shutdown status, ssh port only", ShutdownStatusArgs(Host{Hostname: "h", IP: "i", SSHUser: "u", SSHPort: 2200}),
			[]string{"--command=status", "--ssh_user=u", "--host=h", "--ip=i", "--ssh_port=2200"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Fatalf("got  %q\nwant %q", tc.got, tc.want)
			}
		})
	}
}

func writeScript(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hook.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRunExitCodesAndEnv(t *testing.T) {
	p := writeScript(t, `echo "args=$*"; echo "pw=$MHAGO_TEST_SECRET" >&2; exit 10`)
	r := Run(context.Background(), Call{Name: "x", Path: p, Args: []string{"--command=status"}, Env: []string{"MHAGO_TEST_SECRET=s3"}})
	if r.ExitCode != 10 {
		t.Fatalf("exit code %d, want 10 (%+v)", r.ExitCode, r)
	}
	if !strings.Contains(r.Output, "args=--command=status") || !strings.Contains(r.Output, "pw=s3") {
		t.Fatalf("output %q lacks args or env", r.Output)
	}
	if err := r.Error(); !errors.Is(err, ErrHookFailed) || !strings.Contains(err.Error(), "exit code 10") {
		t.Fatalf("Error() = %v", err)
	}
}

// A password mhago got from its own environment (${NAME} in the config)
// does not reach hooks under that name; the hook's own variable has it.
func TestRunDropsInheritedSecrets(t *testing.T) {
	const pw = "Env-0nly-s3cret"
	t.Setenv("MHAGO_TEST_DB_PASSWORD", pw)
	t.Setenv("MHAGO_TEST_PLAIN", "kept")
	p := writeScript(t, `echo "inherited=$MHAGO_TEST_DB_PASSWORD plain=$MHAGO_TEST_PLAIN"; [ "$MHAGO_NEW_MASTER_PASSWORD" = '`+pw+`' ] && echo own=ok`)
	r := Run(context.Background(), Call{Name: IPFailoverScript, Path: p, Secrets: Secrets{NewMaster: pw}, Scrub: redact.New(pw).String})
	if r.ExitCode != 0 || !strings.Contains(r.Output, "inherited= plain=kept") || !strings.Contains(r.Output, "own=ok") {
		t.Fatalf("exit %d, output %q", r.ExitCode, r.Output)
	}
}

func TestRunTimeout(t *testing.T) {
	p := writeScript(t, `sleep 20`)
	start := time.Now()
	r := Run(context.Background(), Call{Name: "slow", Path: p, Timeout: 300 * time.Millisecond})
	if r.ExitCode != -1 || !strings.Contains(r.Err, "timed out") {
		t.Fatalf("got %+v, want a timeout", r)
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("timeout not honoured: %s", time.Since(start))
	}
}

func TestCheckExecutable(t *testing.T) {
	p := writeScript(t, "exit 0")
	if err := CheckExecutable(p); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, 0o644)
	if err := CheckExecutable(p); err == nil || !strings.Contains(err.Error(), "chmod +x") {
		t.Fatalf("non-executable: %v", err)
	}
	if err := CheckExecutable(p + ".missing"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing: %v", err)
	}
}

// A bare hook name is found in $PATH, as the shell that runs it finds it.
func TestProgramPath(t *testing.T) {
	p := writeScript(t, "exit 0")
	t.Setenv("PATH", filepath.Dir(p)+string(os.PathListSeparator)+os.Getenv("PATH"))
	got, err := ProgramPath(filepath.Base(p) + " -s host2")
	if err != nil || got != p {
		t.Fatalf("bare name: %q %v, want %q", got, err, p)
	}
	if err := CheckExecutable(got); err != nil {
		t.Fatal(err)
	}
	if got, err := ProgramPath(p + " --x"); err != nil || got != p {
		t.Fatalf("full path: %q %v", got, err)
	}
	if _, err := ProgramPath("mhago-no-such-hook --x"); err == nil || !strings.Contains(err.Error(), "not found in $PATH") {
		t.Fatalf("missing bare name: %v", err)
	}
	r := Run(context.Background(), Call{Name: "x", Path: filepath.Base(p)})
	if r.ExitCode != 0 || r.Err != "" {
		t.Fatalf("the shell does not run the bare name: %+v", r)
	}
}

func TestRunCommandWithOwnArgs(t *testing.T) {
	p := writeScript(t, `for a in "$@"; do echo "[$a]"; done`)
	r := Run(context.Background(), Call{Name: "x", Path: p + " --fixed=1", Args: []string{"--body=a b 'c' $(x)"}})
	if r.ExitCode != 0 || r.Output != "[--fixed=1]\n[--body=a b 'c' $(x)]\n" {
		t.Fatalf("got %d %q", r.ExitCode, r.Output)
	}
	if Program(p+" --fixed=1") != p {
		t.Fatalf("Program = %q", Program(p+" --fixed=1"))
	}
}

// A hook that prints the password, placed so that the 4 KiB cut would split
// it, leaves no piece of it in the result: the output is scrubbed first.
func TestRunScrubsBeforeTheCut(t *testing.T) {
	const pw = "Sup3r-s3cret-PW"
	p := writeScript(t, `printf '%s' "$MHAGO_NEW_MASTER_PASSWORD"; head -c 4091 /dev/zero | tr '\0' A`)
	scrub := redact.New(pw).String
	r := Run(context.Background(), Call{Name: IPFailoverScript, Path: p, Args: []string{"--command=start"},
		Secrets: Secrets{NewMaster: pw}, Scrub: scrub})
	if r.ExitCode != 0 {
		t.Fatalf("exit %d: %s", r.ExitCode, r.Err)
	}
	if !strings.HasPrefix(r.Output, "xxxAAA") || strings.Contains(r.Output, pw[len(pw)-5:]) {
		t.Fatalf("output keeps a piece of the password: %q...", r.Output[:20])
	}
	// Without scrubbing first, the cut would have kept the tail.
	if cut := tail(pw+strings.Repeat("A", 4091), outputLimit); !strings.HasPrefix(cut, pw[len(pw)-5:]) {
		t.Fatalf("the test does not place the password across the cut: %q", cut[:10])
	}
}

// The argument style adds MHA's password argument; the environment always
// carries each password in its own variable; the result holds neither.
func TestRunPasswordStyles(t *testing.T) {
	p := writeScript(t, `for a in "$@"; do echo "[$a]"; done; echo "new=$MHAGO_NEW_MASTER_PASSWORD orig=$MHAGO_ORIG_MASTER_PASSWORD"`)
	sec := Secrets{NewMaster: "new-pw-1", OrigMaster: "orig-pw-2"}
	scrub := redact.New("new-pw-1", "orig-pw-2").String
	for _, tc := range []struct {
		style   PasswordStyle
		argSeen bool
	}{{PasswordsInEnv, false}, {PasswordsInArgs, true}} {
		t.Run(string(tc.style), func(t *testing.T) {
			r := Run(context.Background(), Call{Name: IPFailoverScript, Path: p, Args: []string{"--command=start"},
				Secrets: sec, Style: tc.style, Scrub: func(s string) string {
					if !strings.Contains(s, "new=") {
						return scrub(s) // an argument, not the output
					}
					// The raw output, before scrubbing: what the script saw.
					if strings.Contains(s, "[--new_master_password=new-pw-1]") != tc.argSeen {
						t.Errorf("argument seen = %v, want %v:\n%s", !tc.argSeen, tc.argSeen, s)
					}
					if !strings.Contains(s, "new=new-pw-1 orig=orig-pw-2") {
						t.Errorf("environment: %s", s)
					}
					return scrub(s)
				}})
			if strings.Contains(r.Output+strings.Join(r.Args, " "), "pw-") {
				t.Fatalf("result holds a password: %+v", r)
			}
			wantArgs := []string{"--command=start"}
			if tc.argSeen {
				wantArgs = append(wantArgs, "--new_master_password=xxx")
			}
			if !reflect.DeepEqual(r.Args, wantArgs) || !reflect.DeepEqual(r.SecretEnv, []string{EnvNewMasterPassword, EnvOrigMasterPassword}) {
				t.Fatalf("args %q, secret env %q", r.Args, r.SecretEnv)
			}
		})
	}
}

func TestScriptPasswordOption(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name, body string
		want       string
	}{
		{"perl GetOptions", "#!/usr/bin/perl\nGetOptions('command=s' => \\$command, 'new_master_password=s' => \\$new_master_password);\n", "new_master_password"},
		{"shell case", "#!/bin/sh\nfor a; do case $a in --orig_master_password=*) pw=${a#*=};; esac; done\n", "orig_master_password"},
		{"reads mhago's variable too", "#!/bin/sh\ncase $1 in --new_master_password=*) ;; esac\npw=$MHAGO_NEW_MASTER_PASSWORD\n", ""},
		{"mhago's variable only", "#!/bin/sh\nmysql -p\"$MHAGO_NEW_MASTER_PASSWORD\"\n", ""},
		{"no password at all", "#!/bin/sh\nip addr add $VIP dev eth0\n", ""},
		{"binary", "\x7fELF\x00\x00new_master_password", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("hook%d", i))
			if err := os.WriteFile(p, []byte(tc.body), 0o755); err != nil {
				t.Fatal(err)
			}
			got, err := ScriptPasswordOption(p)
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := ScriptPasswordOption(filepath.Join(dir, "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing script: %v", err)
	}
}
