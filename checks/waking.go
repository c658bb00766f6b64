package checks

import (
	"fmt"
	"strings"

	"github.com/mhago/mhago/replsql"
)

// checkWaking is the check name of a waking old master.
const checkWaking = "waking old master"

// wakingMasters finds servers that still act as master beside the
// current one: a second writable server that replicates from nobody (a
// restarted old master that clients may write to), or a server whose
// active-master record names another master than the one the cluster
// follows. Either is the most urgent problem a cluster can have, so the
// findings come first. The cluster's master is the one the Redis topology
// names, else the one the other servers' records agree on, else the one
// the replicas replicate from.
func wakingMasters(in Input, master *HostObs) []Finding {
	ref := referenceMaster(in, master)
	var writable []string
	for _, h := range in.Hosts {
		if writableRoot(h) {
			writable = append(writable, h.Name)
		}
	}
	if ref == "" {
		return unknownMaster(writable)
	}
	var out []Finding
	for _, h := range in.Hosts {
		if h.Status == nil || h.Name == ref {
			continue
		}
		var why []string
		if writableRoot(h) && len(writable) > 1 {
			why = append(why, fmt.Sprintf("it is writable and replicates from nobody, as %s does: two servers accept writes (%s)", ref, strings.Join(writable, ", ")))
		}
		if h.ActiveMaster != "" && h.ActiveMaster != ref {
			why = append(why, fmt.Sprintf("its active-master record names %s, the cluster's names %s", h.ActiveMaster, ref))
		}
		if len(why) == 0 {
			continue
		}
		out = append(out, Finding{Severity: SevFail, Category: CatReplication, Host: h.Name, Check: checkWaking,
			Message: fmt.Sprintf("%s still acts as a master: %s", hostinfo(&h), strings.Join(why, "; ")), Fix: wakingFix(h.Name, ref)})
	}
	return out
}

// unknownMaster is the finding for several writable servers when nothing
// tells which one the cluster follows.
func unknownMaster(writable []string) []Finding {
	if len(writable) < 2 {
		return nil
	}
	return []Finding{{Severity: SevFail, Category: CatReplication, Check: checkWaking,
		Message: fmt.Sprintf("%d servers accept writes and replicate from nobody (%s), and nothing tells which is the cluster's master", len(writable), strings.Join(writable, ", ")),
		Fix: "investigate now: find the one clients must write to, stop writes to the others (" + replsql.SetReadOnly(true).String() +
			"), then run `mhago rejoin --conf <app.cnf> --host <other>` for each"}}
}

func wakingFix(host, ref string) string {
	return fmt.Sprintf("stop writes to %s now (%s, or keep clients away), then run `mhago rejoin --conf <app.cnf> --host %s`: it joins it to %s, or refuses and lists the transactions %s holds that the cluster never received",
		host, replsql.SetReadOnly(true), host, ref, host)
}

// referenceMaster is the master the cluster follows, "" when unknown.
func referenceMaster(in Input, master *HostObs) string {
	if in.TopologyMaster != "" {
		return in.TopologyMaster
	}
	if r := replicaRecords(in); r != "" {
		return r
	}
	if master != nil {
		return master.Name
	}
	return ""
}

// replicaRecords is the master the replicas' active-master records all
// name, "" when they hold none or disagree.
func replicaRecords(in Input) string {
	named := ""
	for _, h := range in.Hosts {
		if !h.Status.IsReplica() || h.ActiveMaster == "" {
			continue
		}
		if named != "" && h.ActiveMaster != named {
			return ""
		}
		named = h.ActiveMaster
	}
	return named
}

func writableRoot(h HostObs) bool {
	return h.Status != nil && !h.Status.IsReplica() && !h.Status.ReadOnly
}
