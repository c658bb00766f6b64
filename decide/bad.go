package decide

import (
	"fmt"

	"github.com/mhago/mhago/repl"
)

// badCandidates returns, for every alive replica that must not be promoted,
// the reasons (MHA's get_bad_candidate_masters plus lack of relay logs).
// cs must be in config order.
func badCandidates(cs []Candidate, latest []string, r Rules) map[string][]string {
	oldest := oldestMajor(cs)
	var latestRead *repl.Coordinates
	for i := range cs {
		if len(latest) > 0 && cs[i].Name == latest[0] {
			latestRead = &cs[i].Read
		}
	}
	bad := make(map[string][]string)
	for _, c := range cs {
		if !c.Alive {
			continue
		}
		if why := badReasons(c, oldest, latestRead, r); len(why) > 0 {
			bad[c.Name] = why
		}
	}
	return bad
}

// badReasons lists why c must not be promoted: no_master, log_bin off, a
// major version newer than the oldest replica's (its binlog could not be
// replicated by the older ones), missing relay logs, and with
// check_repl_delay an SQL thread far behind latestRead.
func badReasons(c Candidate, oldest *Candidate, latestRead *repl.Coordinates, r Rules) []string {
	var why []string
	if c.NoMaster {
		why = append(why, "no_master=1")
	}
	if !c.LogBin {
		why = append(why, "log_bin is OFF")
	}
	if oldest != nil && majorMinor(c.Version).Compare(majorMinor(oldest.Version)) > 0 {
		why = append(why, fmt.Sprintf("version %s is newer than the oldest replica's %s (%s)",
			c.Version.MajorMinor(), oldest.Version.MajorMinor(), oldest.Name))
	}
	if c.LackRelayLogs {
		why = append(why, "lacks relay logs: no latest replica holds the events it is missing")
	}
	if r.CheckReplDelay && !c.IgnoreReplDelay && latestRead != nil {
		if lag := replDelay(c, *latestRead, r.MaxDelayBytes); lag != "" {
			why = append(why, lag)
		}
	}
	return why
}

// replDelay is check_repl_delay: the replica is not promoted when applying
// what it lacks would take long. With a measured Backlog the limit is
// maxBytes of relay log. Without one it falls back to MHA's
// check_slave_delay on coordinates alone: rejected when the latest replica
// read a later binlog file than the one c executes from, or more than
// maxBytes further in the same file. That file rule rejects even a few
// bytes across a rotation (MHA issue #143), hence the measurement.
func replDelay(c Candidate, latest repl.Coordinates, maxBytes uint64) string {
	if c.BacklogKnown {
		if c.Backlog > maxBytes {
			return fmt.Sprintf("must apply %s of relay log to catch up with the latest replica, more than the %s limit (check_repl_delay)",
				formatBytes(c.Backlog), formatBytes(maxBytes))
		}
		return ""
	}
	if fileOf(latest).Compare(fileOf(c.Exec)) > 0 {
		return fmt.Sprintf("SQL thread still executes %s while the latest replica read %s (check_repl_delay rejects any older file when the backlog could not be measured; MHA #143)",
			c.Exec, latest)
	}
	if latest.Pos > c.Exec.Pos && latest.Pos-c.Exec.Pos > maxBytes {
		return fmt.Sprintf("SQL thread %s behind the latest (check_repl_delay)", formatBytes(latest.Pos-c.Exec.Pos))
	}
	return ""
}

// fileOf keeps only the file of a position, to compare files alone.
func fileOf(c repl.Coordinates) repl.Coordinates { return repl.Coordinates{File: c.File} }

// oldestMajor returns the alive replica with the oldest major.minor
// version, first in config order; nil when none is alive.
func oldestMajor(cs []Candidate) *Candidate {
	var oldest *Candidate
	for i, c := range cs {
		if c.Alive && (oldest == nil || majorMinor(c.Version).Compare(majorMinor(oldest.Version)) < 0) {
			oldest = &cs[i]
		}
	}
	return oldest
}

// majorMinor drops the patch level, which MHA ignored.
func majorMinor(v repl.Version) repl.Version {
	return repl.Version{Major: v.Major, Minor: v.Minor}
}

// formatBytes renders a lag in decimal megabytes, or bytes below 1 MB.
func formatBytes(n uint64) string {
	if n >= 1_000_000 {
		return fmt.Sprintf("%d MB", n/1_000_000)
	}
	return fmt.Sprintf("%d bytes", n)
}
