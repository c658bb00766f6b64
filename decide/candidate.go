package decide

import (
	"cmp"
	"slices"

	"github.com/mhago/mhago/repl"
)

// Candidate is one replica of the dead master as seen by the election, with
// its IO and SQL threads stopped so that the positions are frozen.
type Candidate struct {
	// Name is the config block name, the key used in every result.
	Name string
	// Order is the position of the block in the config file; config order
	// breaks every tie.
	Order int
	// Alive is false when the server could not be reached.
	Alive bool
	// IgnoreFail mirrors ignore_fail: a failure of this replica does not
	// abort the failover.
	IgnoreFail bool
	// NoMaster mirrors no_master: never promote this replica.
	NoMaster bool
	// CandidateMaster mirrors candidate_master: prefer this replica.
	CandidateMaster bool
	// IgnoreReplDelay is check_repl_delay=0 in the replica's own block:
	// its lag does not bar it (MHA's documentation sets this on a
	// candidate_master that must win even when behind). MHA 0.58 read the
	// flag from the latest base replica for all; the replica's own is what
	// the documentation means and never bars a lagging replica that asked
	// to be checked.
	IgnoreReplDelay bool
	// LogBin is whether the replica writes a binary log; a new master must.
	LogBin bool
	// Version is the replica's server version.
	Version repl.Version
	// Read is Master_Log_File:Read_Master_Log_Pos, how far the IO thread got.
	Read repl.Coordinates
	// Exec is Relay_Master_Log_File:Exec_Master_Log_Pos, how far the SQL
	// thread got.
	Exec repl.Coordinates
	// Backlog is how many relay-log bytes this replica must still apply to
	// reach the latest replica's read position: its own unexecuted relay
	// log plus what the latest replica read beyond it. It is measured on
	// the hosts and used only when BacklogKnown.
	Backlog      uint64
	BacklogKnown bool
	// LackRelayLogs is set once no latest replica holds the relay logs this
	// replica is missing; it cannot be recovered, so it cannot be promoted.
	LackRelayLogs bool
	// GTIDPos is the replica's GTID position (MariaDB gtid_slave_pos or
	// MySQL Executed_Gtid_Set), empty when unknown or unused.
	GTIDPos string
}

// inConfigOrder returns the candidates sorted by Order; equal orders keep
// their input order.
func inConfigOrder(cs []Candidate) []Candidate {
	out := slices.Clone(cs)
	slices.SortStableFunc(out, func(a, b Candidate) int { return cmp.Compare(a.Order, b.Order) })
	return out
}

// alive returns the alive candidates in config order.
func alive(cs []Candidate) []Candidate {
	return slices.DeleteFunc(inConfigOrder(cs), func(c Candidate) bool { return !c.Alive })
}

// LatestAndOldest returns the names of the alive candidates that have read
// the most (latest) and the least (oldest) of the master's binlog, by Read
// coordinates. Candidates at the same position are grouped; each list is in
// config order. Files are compared by their numeric suffix (MHA compared
// them as strings, which breaks after .999999). Coordinates with different
// file prefixes, which replicas of one master never have, are ordered by
// repl.Coordinates.Compare's fallback.
func LatestAndOldest(cs []Candidate) (latest, oldest []string) {
	live := alive(cs)
	return extremes(live, 1), extremes(live, -1)
}

// extremes returns the names of the candidates whose Read position is the
// greatest (dir=1) or the smallest (dir=-1); cs must be in config order.
func extremes(cs []Candidate, dir int) []string {
	var names []string
	var best repl.Coordinates
	for _, c := range cs {
		switch r := c.Read.Compare(best) * dir; {
		case names == nil || r > 0:
			names, best = []string{c.Name}, c.Read
		case r == 0:
			names = append(names, c.Name)
		}
	}
	return names
}
