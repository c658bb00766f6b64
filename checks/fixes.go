package checks

import (
	"fmt"
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

// threadCause says, by a replication thread's last error number, what to
// fix before restarting it; it ends with ", " (or is "fix the cause, ").
func threadCause(h, master *HostObs, errno int) string {
	to := "the master"
	if master != nil {
		to = fmt.Sprintf("%s (%s:%d)", master.Name, master.IP, master.Port)
	}
	switch errno {
	case 1045:
		return fmt.Sprintf("the replication user's password stored on %s is refused by %s: set the right one (%s), ", h.Name, to, passwordChange(h))
	case 2003, 2005, 2013:
		return fmt.Sprintf("%s cannot reach %s: check the network and firewall from %s to that port, ", h.Name, to, h.Hostname)
	case 1236:
		return fmt.Sprintf("%s no longer has the binlog %s needs (purged, or the replica's position is wrong): rebuild %s from a fresh copy of %s, ",
			to, h.Name, h.Name, to)
	case 1062, 1032:
		return fmt.Sprintf("the data of %s differs from %s's (error %d: duplicate key or missing row): compare the tables (pt-table-checksum) and repair or rebuild %s (skipping the event would hide the difference), ",
			h.Name, to, errno, h.Name)
	}
	return "fix the cause, "
}

// passwordChange is the statement that sets the replication password on
// h, with the password left for the operator to type.
func passwordChange(h *HostObs) string {
	v := serverVersion(h)
	stop, start := replsql.Stop(v, replsql.IOThread).String(), replsql.Start(v, replsql.IOThread).String()
	set := replsql.SetPasswordPlaceholder(v, "<repl password>").String()
	return stop + "; " + set + "; " + start + "; and keep repl_password in the config the same"
}
