package chaos

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// keepArtifacts copies what a diagnosis needs out of the cluster before it
// is torn down: the reports and journals in manager_workdir, mhago's
// output of every run, the servers' error logs, and the scenario itself.
// It returns the directory, or "" when nothing could be kept.
func (s *scenarioRun) keepArtifacts() string {
	dir := filepath.Join(s.env.Dir, fmt.Sprintf("seed-%d", s.sc.Seed))
	os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return ""
	}
	copyDir(s.c.ManagerDir(), filepath.Join(dir, "manager"))
	for i, r := range s.res.Runs {
		if r.ReportFile != "" {
			s.res.Runs[i].ReportFile = filepath.Join(dir, "manager", filepath.Base(r.ReportFile))
		}
	}
	for i := 1; i <= s.c.N(); i++ {
		copyFile(s.c.MySQLLog(i), filepath.Join(dir, fmt.Sprintf("host%d-mysqld.err", i)))
	}
	copyFile(filepath.Join(s.c.Dir(), "hook.calls"), filepath.Join(dir, "hook.calls"))
	var b strings.Builder
	fmt.Fprintf(&b, "scenario: seed %d\n%s\n\nproblems:\n", s.sc.Seed, s.sc)
	for _, p := range s.res.Problems {
		fmt.Fprintf(&b, "- %s\n", p)
	}
	b.WriteString("\nnotes:\n")
	for _, n := range s.notes {
		fmt.Fprintf(&b, "- %s\n", n)
	}
	if s.load != nil {
		b.WriteString("\nclients:\n")
		for _, c := range s.load.Clients {
			fmt.Fprintf(&b, "- client %d: %d ops, %d acknowledged, in flight %v, %d retries, last error %q\n", c.ID, len(c.Ops), c.Acked, c.InFlight, c.Retries, c.LastErr)
		}
	}
	b.WriteString("\n" + strings.Join(s.outputs, "\n"))
	os.WriteFile(filepath.Join(dir, "scenario.txt"), []byte(b.String()), 0o600)
	return dir
}

func copyDir(from, to string) {
	entries, err := os.ReadDir(from)
	if err != nil {
		return
	}
	os.MkdirAll(to, 0o700)
	for _, e := range entries {
		if e.Type().IsRegular() {
			copyFile(filepath.Join(from, e.Name()), filepath.Join(to, e.Name()))
		}
	}
}

func copyFile(from, to string) {
	b, err := os.ReadFile(from)
	if err == nil {
		os.WriteFile(to, b, 0o600)
	}
}
