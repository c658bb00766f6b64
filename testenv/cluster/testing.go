package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// requiredBinaries are the programs a cluster runs.
var requiredBinaries = []string{
	"mariadbd", "mariadb-install-db", "mariadb", "sshd", "ssh-keygen", "ssh", "redis-server",
}

// MissingBinaries lists the required programs not installed.
func MissingBinaries() []string {
	var missing []string
	for _, b := range requiredBinaries {
		if _, err := findBinary(b); err != nil {
			missing = append(missing, b)
		}
	}
	return missing
}

// EnsurePackages installs the Debian packages that provide the servers,
// only when a binary is missing. It needs root and apt.
func EnsurePackages(ctx context.Context) error {
	missing := MissingBinaries()
	if len(missing) == 0 {
		return nil
	}
	env := append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	steps := [][]string{
		{"apt-get", "update"},
		{"apt-get", "install", "-y", "--no-install-recommends",
			"mariadb-server", "mariadb-client", "openssh-server", "openssh-client", "redis-server"},
	}
	for _, argv := range steps {
		if err := runAptRetrying(ctx, env, argv); err != nil {
			return fmt.Errorf("install packages for %s: %w", strings.Join(missing, ", "), err)
		}
	}
	if m := MissingBinaries(); len(m) > 0 {
		return fmt.Errorf("still missing after apt-get install: %s", strings.Join(m, ", "))
	}
	return nil
}

// runAptRetrying retries while another apt/dpkg holds the lock.
func runAptRetrying(ctx context.Context, env, argv []string) error {
	for attempt := 1; ; attempt++ {
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err == nil {
			return nil
		}
		locked := strings.Contains(string(out), "Could not get lock") || strings.Contains(string(out), "dpkg was interrupted")
		if !locked || attempt >= 30 {
			return fmt.Errorf("%s: %w: %s", strings.Join(argv, " "), err, lastLines(string(out), 10))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
		}
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Start brings a cluster up for a test in /tmp/mhago-<base>-<random> and
// registers Down as cleanup. Missing binaries skip the test, except under
// CI=true, where it installs them or fails.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	RequireBinaries(t)
	if opts.Netns {
		RequireNetns(t)
	}
	ownDir := opts.Dir == ""
	if ownDir {
		base := opts.Base
		if base == 0 {
			base = DefaultBase
		}
		opts.Dir = fmt.Sprintf("/tmp/mhago-%d-%s", base, randomHex(4))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	t0 := time.Now()
	c, err := Up(ctx, opts)
	if err != nil {
		if ownDir {
			_ = os.RemoveAll(opts.Dir) // the error already carries the log tails
		}
		t.Fatalf("start test cluster: %v", err)
	}
	t.Logf("test cluster %s up in %s (%d hosts, base %d, gtid %v)",
		c.Dir(), time.Since(t0).Round(time.Millisecond), c.N(), c.opts.Base, c.opts.GTID)
	t.Cleanup(func() {
		if err := c.Down(); err != nil {
			t.Errorf("stop test cluster: %v", err)
		}
	})
	return c
}

// RequireBinaries skips (or, under CI=true, fails) a test that starts
// servers when it runs with -short or without the servers installed.
func RequireBinaries(t testing.TB) {
	t.Helper()
	requireNotShort(t)
	missing := MissingBinaries()
	if len(missing) == 0 {
		return
	}
	if os.Getenv("CI") != "true" {
		t.Skipf("test cluster needs %s (apt-get install mariadb-server mariadb-client openssh-server redis-server)",
			strings.Join(missing, ", "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := EnsurePackages(ctx); err != nil {
		t.Fatalf("CI=true and server binaries missing: %v", err)
	}
}

// requireNotShort skips an integration test under -short, and fails it
// under CI=true: CI must run every integration test.
func requireNotShort(t testing.TB) {
	t.Helper()
	if !testing.Short() {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("integration test run with -short under CI=true")
	}
	t.Skip("integration test (skipped by -short)")
}

// RequireNetns skips (or, under CI=true, fails) a test that needs network
// namespaces where it cannot make them.
func RequireNetns(t testing.TB) {
	t.Helper()
	why := NetnsSupported()
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true: %s", why)
	}
	t.Skip(why)
}
