package decide

import (
	"testing"

	"github.com/mhago/mhago/repl"
)

// fix edits one fixture candidate.
type fix func(*Candidate)

// edit applies fixes to the candidate with the given name.
type edit struct {
	name  string
	fixes []fix
}

// on targets a replica of the fixture topology.
func on(name string, fixes ...fix) edit { return edit{name, fixes} }

// generateTestCandidates returns five healthy MariaDB 10.11 replicas of a
// dead server1, server2..server6 in config order, all having read and
// executed up to mysql-bin.000010:5000, none with candidate_master.
func generateTestCandidates() []Candidate {
	names := []string{"server2", "server3", "server4", "server5", "server6"}
	cs := make([]Candidate, len(names))
	for i, n := range names {
		pos := coords("mysql-bin.000010:5000")
		cs[i] = Candidate{Name: n, Order: i + 1, Alive: true, LogBin: true,
			Version: version("10.11.6-MariaDB-log"), Read: pos, Exec: pos}
	}
	return cs
}

// topology returns the fixture candidates with the edits applied.
func topology(t *testing.T, edits ...edit) []Candidate {
	t.Helper()
	cs := generateTestCandidates()
	for _, e := range edits {
		i := indexOf(cs, e.name)
		if i < 0 {
			t.Fatalf("fixture has no replica %q", e.name)
		}
		for _, f := range e.fixes {
			f(&cs[i])
		}
	}
	return cs
}

func indexOf(cs []Candidate, name string) int {
	for i, c := range cs {
		if c.Name == name {
			return i
		}
	}
	return -1
}

func coords(s string) repl.Coordinates {
	c, err := repl.ParseCoordinates(s)
	if err != nil {
		panic(err)
	}
	return c
}

func version(s string) repl.Version {
	v, err := repl.ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// at sets both the read and the executed position: the replica applied
// everything it received.
func at(pos string) fix {
	return func(c *Candidate) { c.Read, c.Exec = coords(pos), coords(pos) }
}

// execAt sets only the executed position (SQL thread behind).
func execAt(pos string) fix { return func(c *Candidate) { c.Exec = coords(pos) } }

func withVersion(s string) fix { return func(c *Candidate) { c.Version = version(s) } }

func order(n int) fix { return func(c *Candidate) { c.Order = n } }

func candidateMaster(c *Candidate) { c.CandidateMaster = true }

// ignoreReplDelay is check_repl_delay=0 in the replica's own block.
func ignoreReplDelay(c *Candidate) { c.IgnoreReplDelay = true }
func noMaster(c *Candidate)        { c.NoMaster = true }
func down(c *Candidate)            { c.Alive = false }
func noLogBin(c *Candidate)        { c.LogBin = false }
func lacksRelayLogs(c *Candidate)  { c.LackRelayLogs = true }
func ignoreFail(c *Candidate)      { c.IgnoreFail = true }

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

// backlog records a measured backlog of n bytes.
func backlog(n uint64) fix {
	return func(c *Candidate) { c.Backlog, c.BacklogKnown = n, true }
}
