package checks

import (
	"strings"

	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
)

// The fix texts that name replication statements build them with package
// replsql, in the syntax of the server the operator will type them on.

// serverVersion is h's server version; the zero version (the classic
// SLAVE/MASTER words) when it is unknown.
func serverVersion(h *HostObs) repl.Version {
	if h.Status == nil {
		return repl.Version{}
	}
	v, _ := repl.ParseVersion(h.Status.Version)
	return v
}

// repointFix tells how to make h replicate from master. A replica given a
// new master host forgets its coordinates, so the operator adds them.
func repointFix(h, master *HostObs) string {
	v := serverVersion(h)
	return replsql.Stop(v, replsql.BothThreads).String() + ", then " + replsql.PointAt(v, master.IP, master.Port).String() +
		" plus the master's binlog coordinates (or GTID positioning), then " + replsql.Start(v, replsql.BothThreads).String()
}

// extraRootsFix tells how to attach the servers that replicate from
// nobody, other than master, to master.
func extraRootsFix(roots []*HostObs, master *HostObs) string {
	if master == nil {
		return "point the extra servers at the master, or remove them from the config"
	}
	var each []string
	for _, r := range roots {
		if r != master {
			each = append(each, "on "+r.Name+": "+repointFix(r, master))
		}
	}
	return "point the extra servers at " + master.Name + ", or remove them from the config; " + strings.Join(each, "; ")
}
