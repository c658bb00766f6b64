package hooks

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
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
