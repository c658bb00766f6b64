package checks

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mhago/mhago/config"
)

// TestObserveManager runs the probes on a real filesystem. Tests run as
// root here, so "not writable" is made of things root cannot write
// through: a file where a directory should be. Read-only mounts are
// covered by the check integration test.
func TestObserveManager(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	existingLog := filepath.Join(dir, "app.log")
	if err := os.WriteFile(existingLog, []byte("old line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, workdir, log string
		missing            bool
		workdirErr, logErr string // substrings; "" = none
	}{
		{name: "existing dir and log", workdir: dir, log: existingLog},
		{name: "missing dir under a writable one", workdir: filepath.Join(dir, "new", "deeper"), missing: true},
		{name: "missing dir under a file", workdir: filepath.Join(file, "sub", "deeper"), missing: true, workdirErr: "cannot be created: " + file + " is not a directory"},
		{name: "a file in place of the dir", workdir: file, workdirErr: "exists and is not a directory"},
		{name: "missing log in a writable dir", workdir: dir, log: filepath.Join(dir, "new.log")},
		{name: "log dir missing", workdir: dir, log: filepath.Join(dir, "nolog", "app.log"), logErr: "does not exist"},
		{name: "log under a file", workdir: dir, log: filepath.Join(file, "app.log"), logErr: "not a directory"},
		{name: "log is a directory", workdir: dir, log: dir, logErr: "cannot be opened for appending: is a directory"},
		{name: "no manager_log", workdir: dir},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := listing(t, dir)
			m := ObserveManager(&config.Config{ManagerWorkdir: tc.workdir, ManagerLog: tc.log})
			if m.WorkdirMissing != tc.missing || !matches(m.WorkdirErr, tc.workdirErr) || !matches(m.LogErr, tc.logErr) {
				t.Fatalf("got %+v; want missing %v, workdir error ~%q, log error ~%q", m, tc.missing, tc.workdirErr, tc.logErr)
			}
			if after := listing(t, dir); after != before {
				t.Fatalf("the probe changed %s:\nbefore %s\nafter  %s", dir, before, after)
			}
		})
	}
	if data, _ := os.ReadFile(existingLog); string(data) != "old line\n" {
		t.Errorf("the log was written to: %q", data)
	}
}

func matches(got, want string) bool {
	if want == "" {
		return got == ""
	}
	return strings.Contains(got, want)
}

// listing is every path under dir, to prove a probe left nothing.
func listing(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		names = append(names, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, " ")
}

// A leftover error file, mhago's (named after the cluster) or MHA's (after
// the app), is seen with its first line.
func TestObserveManagerLeftoverErrorFiles(t *testing.T) {
	dir := t.TempDir()
	cfg := &config.Config{App: "app1", ManagerWorkdir: dir, Servers: []config.Server{{Hostname: "db1", Port: 3306}}}
	if m := ObserveManager(cfg); len(m.ErrorFiles) != 0 {
		t.Fatalf("no file, yet %+v", m.ErrorFiles)
	}
	ours := filepath.Join(dir, cfg.ClusterID()+".failover.error")
	mha := filepath.Join(dir, "app1.failover.error")
	if err := os.WriteFile(ours, []byte("run r1 (failover) failed after the point of no return: boom\nfinish it with ...\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mha, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	m := ObserveManager(cfg)
	if len(m.ErrorFiles) != 2 || m.ErrorFiles[0].Path != ours || m.ErrorFiles[0].First != "run r1 (failover) failed after the point of no return: boom" ||
		m.ErrorFiles[1].Path != mha || m.ErrorFiles[0].Since.IsZero() {
		t.Fatalf("error files %+v", m.ErrorFiles)
	}
}
