package decide

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SwitchLimits are the refusals of a planned switchover (MHA's
// masterha_master_switch --master_state=alive options).
type SwitchLimits struct {
	// RunningUpdates (running_updates_limit): a write on the master that has
	// run longer, or a transaction that has changed rows and stayed open
	// longer, refuses the switch: blocking writes would cut it off, or wait
	// for it with every other writer blocked.
	RunningUpdates time.Duration
	// ReplicaLag (seconds_behind_master): a replica further behind would
	// keep writes blocked while it catches up.
	ReplicaLag time.Duration
	// NewMasterQueries (running_seconds_limit): a query this old on the new
	// master (other than replication) refuses, as in MHA.
	NewMasterQueries time.Duration
}

// DefaultSwitchLimits are MHA's defaults.
func DefaultSwitchLimits() SwitchLimits {
	return SwitchLimits{RunningUpdates: time.Second, ReplicaLag: 30 * time.Second, NewMasterQueries: 10 * time.Second}
}

// SessionView is one client thread of a server.
type SessionView struct {
	ID      uint64
	User    string
	Command string
	Time    time.Duration
	Info    string
	TrxAge  time.Duration // < 0: no open transaction
	TrxRows int64
}

// ReplicaLagView is a replica of the master as a switchover sees it.
type ReplicaLagView struct {
	Name       string
	IORunning  bool
	SQLRunning bool
	Lag        time.Duration
	LagKnown   bool // Seconds_Behind_Master was not NULL
	LastError  string
	// Filters are the replica's Replicate_* settings that may drop the
	// marker row in schema mhago (see MarkerFiltered).
	DoDB, IgnoreDB, DoTable, IgnoreTable, WildDoTable, WildIgnoreTable string
}

// systemThread tells the server's own threads (replication, the event
// scheduler), which are never a client's work.
func systemThread(s SessionView) bool {
	switch s.Command {
	case "Connect", "Binlog Dump", "Binlog Dump GTID", "Daemon", "Slave_IO", "Slave_SQL", "Slave_worker":
		return true
	}
	return s.User == "system user" || s.User == "event_scheduler"
}

// readOnlyStatement tells statements that never write (MHA skips SELECT
// and SHOW).
func readOnlyStatement(info string) bool {
	q := strings.ToUpper(strings.TrimSpace(info))
	return strings.HasPrefix(q, "SELECT") || strings.HasPrefix(q, "SHOW")
}

// BlockingWrites lists the master's sessions that refuse a switchover: a
// statement other than SELECT/SHOW running longer than the limit, or a
// transaction that changed rows and has been open longer than it (even
// idle: blocking writes would roll it back or wait for it).
func BlockingWrites(sessions []SessionView, limit time.Duration) []string {
	var out []string
	for _, s := range sessions {
		switch {
		case s.TrxAge > limit && s.TrxRows > 0 && !systemThread(s):
			out = append(out, fmt.Sprintf("connection %d (%s) has a transaction open for %s that changed %d rows", s.ID, s.User, s.TrxAge.Round(time.Millisecond), s.TrxRows))
		case !systemThread(s) && s.Command == "Query" && s.Time > limit && !readOnlyStatement(s.Info):
			out = append(out, fmt.Sprintf("connection %d (%s) runs a write for %s: %q", s.ID, s.User, s.Time, s.Info))
		}
	}
	return out
}

// LongQueries lists the new master's client queries running longer than
// the limit (MHA's running_seconds_limit check).
func LongQueries(sessions []SessionView, limit time.Duration) []string {
	var out []string
	for _, s := range sessions {
		if !systemThread(s) && s.Command != "Sleep" && s.Time > limit {
			out = append(out, fmt.Sprintf("connection %d (%s) has run for %s: %q", s.ID, s.User, s.Time, s.Info))
		}
	}
	return out
}

// ReplicaProblems lists the replicas that would keep writes blocked or
// never receive the marker: replication not running, lag beyond the
// limit or unknown, filters that drop schema mhago.
func ReplicaProblems(rs []ReplicaLagView, limit time.Duration) []string {
	var out []string
	for _, r := range rs {
		switch {
		case !r.IORunning || !r.SQLRunning:
			out = append(out, fmt.Sprintf("%s: replication is not running (IO %t, SQL %t) %s", r.Name, r.IORunning, r.SQLRunning, r.LastError))
		case !r.LagKnown:
			out = append(out, fmt.Sprintf("%s: Seconds_Behind_Master is NULL", r.Name))
		case r.Lag > limit:
			out = append(out, fmt.Sprintf("%s: %s behind its master (limit %s)", r.Name, r.Lag, limit))
		}
		if why := MarkerFiltered(r); why != "" {
			out = append(out, fmt.Sprintf("%s: %s, so the switchover's marker row (schema mhago) would never arrive (fix: let mhago.* replicate)", r.Name, why))
		}
	}
	return out
}

// MarkerFiltered says why a replica's filters drop rows of mhago.*, or "".
func MarkerFiltered(r ReplicaLagView) string {
	list := func(s string) []string {
		var out []string
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, strings.ToLower(f))
			}
		}
		return out
	}
	switch {
	case slices.Contains(list(r.IgnoreDB), "mhago"):
		return "Replicate_Ignore_DB names mhago"
	case slices.Contains(list(r.IgnoreTable), "mhago.active_master"):
		return "Replicate_Ignore_Table names mhago.active_master"
	case len(list(r.DoDB)) > 0 && !slices.Contains(list(r.DoDB), "mhago"):
		return "Replicate_Do_DB does not name mhago"
	case len(list(r.DoTable)) > 0 && !slices.Contains(list(r.DoTable), "mhago.active_master") && len(list(r.WildDoTable)) == 0:
		return "Replicate_Do_Table does not name mhago.active_master"
	case len(list(r.WildIgnoreTable)) > 0 && slices.ContainsFunc(list(r.WildIgnoreTable), func(p string) bool { return strings.HasPrefix(p, "mhago.") || p == "%.%" }):
		return "Replicate_Wild_Ignore_Table matches mhago.active_master"
	}
	return ""
}

// WritersToEnd picks the old master's sessions to kill once read_only is
// set: those holding written, uncommitted rows (read_only refuses their
// commit, so waiting for them gains nothing), and, once the wait is over,
// those still running a write. running counts the writes still waited for.
func WritersToEnd(ss []SessionView, waitOver bool) (kill []SessionView, running int) {
	for _, s := range ss {
		switch {
		case systemThread(s):
		case s.TrxAge >= 0 && s.TrxRows > 0 && s.Command == "Sleep":
			kill = append(kill, s)
		case s.Command == "Query" && !readOnlyStatement(s.Info):
			if waitOver {
				kill = append(kill, s)
			} else {
				running++
			}
		}
	}
	return kill, running
}
