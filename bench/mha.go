// Package bench measures failovers by mhago and by MHA 0.58 side by side
// on testenv clusters: `make bench` (cmd/mhago-bench).
package bench

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/mhago/mhago/testenv/cluster"
)

// ShimEnv is what every node command and the manager need so that MHA
// 0.58 starts against MariaDB 10.11 (see mha/MhagoBenchShim.pm).
func ShimEnv(shimDir string) []string {
	return []string{"PERL5LIB=" + shimDir, "PERL5OPT=-MMhagoBenchShim"}
}

// MHAConfig renders an MHA app.cnf for c, with server2 as candidate. It
// sets no manager_log, so that MHA logs to its stderr, where the bench
// timestamps each line as it comes.
func MHAConfig(c *cluster.Cluster, workdir string) (string, error) {
	pw, err := os.ReadFile(c.PasswordFile())
	if err != nil {
		return "", err
	}
	rpw, err := os.ReadFile(c.ReplPasswordFile())
	if err != nil {
		return "", err
	}
	var b strings.Builder
	kv := func(k string, v any) { fmt.Fprintf(&b, "%s=%v\n", k, v) }
	b.WriteString("[server default]\n")
	kv("user", "mhago")
	kv("password", strings.TrimSpace(string(pw)))
	kv("repl_user", "repl")
	kv("repl_password", strings.TrimSpace(string(rpw)))
	kv("ssh_user", "root")
	kv("ssh_port", c.Options().SSHPort)
	kv("ssh_options", fmt.Sprintf("\"-i %s -o UserKnownHostsFile=%s -o StrictHostKeyChecking=yes\"", c.ClientKeyFile(), c.KnownHostsFile()))
	kv("manager_workdir", workdir)
	kv("master_binlog_dir", c.BinlogDir(1))
	for i := 1; i <= c.N(); i++ {
		fmt.Fprintf(&b, "\n[server%d]\n", i)
		kv("hostname", c.IP(i))
		kv("port", c.Options().MySQLPort)
		kv("remote_workdir", c.WorkDir(i))
		if i == 2 {
			kv("candidate_master", 1)
		}
	}
	return b.String(), nil
}

// RunMHA fails over c's dead host 1 with MHA's own command line; its
// output lines are timestamped as they arrive, for the phase timeline.
func RunMHA(ctx context.Context, c *cluster.Cluster, shimDir string) (Run, error) {
	r, lines, err := runMHASwitch(ctx, c, shimDir, "--master_state=dead",
		"--dead_master_host="+c.IP(1), "--dead_master_ip="+c.IP(1), fmt.Sprintf("--dead_master_port=%d", c.Options().MySQLPort),
		"--interactive=0", "--ignore_last_failover")
	r.Spans = MHASpans(lines, r.Wall)
	return r, err
}

// runMHASwitch writes MHA's app.cnf for c and runs masterha_master_switch
// with it and args; Run.Log is its output.
func runMHASwitch(ctx context.Context, c *cluster.Cluster, shimDir string, args ...string) (Run, []Line, error) {
	workdir := filepath.Join(c.Dir(), "mha")
	if err := os.MkdirAll(workdir, 0o700); err != nil {
		return Run{}, nil, err
	}
	conf, err := MHAConfig(c, workdir)
	if err != nil {
		return Run{}, nil, err
	}
	confPath := filepath.Join(c.Dir(), "mha.cnf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		return Run{}, nil, err
	}
	cmd := exec.CommandContext(ctx, "masterha_master_switch", append([]string{"--conf=" + confPath}, args...)...)
	cmd.Env = append(os.Environ(), ShimEnv(shimDir)...)
	// MHA forks for the replicas' recovery: a run that hangs is stopped
	// with all it started (its own process group), and nothing else.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return Run{}, nil, fmt.Errorf("run masterha_master_switch: %w", err)
	}
	linesc := make(chan []Line, 1)
	go func() { linesc <- ReadLines(pr, t0) }()
	err = cmd.Wait()
	wall := time.Since(t0)
	pw.Close()
	lines := <-linesc
	r := Run{Exit: cmd.ProcessState.ExitCode(), Wall: wall}
	for _, l := range lines {
		r.Log += l.Text + "\n"
	}
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		return r, lines, fmt.Errorf("run masterha_master_switch: %w", err)
	}
	return r, lines, nil
}
