package checks

import (
	"errors"
	"fmt"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/replsql"
)

// DualMaster names the two masters of an active/passive pair (MHA's
// master-master layout): each replicates from the other, the replicas
// follow the active one, and only the active one is writable.
type DualMaster struct {
	Active  string `json:"active"`
	Passive string `json:"passive"`
}

// Role words of the check report.
const (
	RoleMaster        = "master"
	RolePassiveMaster = "passive_master"
	RoleReplica       = "replica"
	RoleUnknown       = "unknown"
)

// dualMaster recognises the dual-master layout around m, the host the
// replicas point at: m replicates from a configured server that
// replicates from m. It records the pair, checks it, and returns the
// active master; nil when m is no dual master.
func (e *evaluation) dualMaster(m *HostObs) *HostObs {
	peer := e.dualPeer(m)
	if peer == nil {
		return nil
	}
	active, passive := e.pickActive(m, peer)
	e.res.Dual = &DualMaster{Active: active.Name, Passive: passive.Name}
	e.checkDualWritable(active, passive)
	if passive.Status != nil {
		e.checkAutoIncrement(active, passive)
		e.checkGTIDDomains(active, passive)
	}
	return active
}

// dualPeer is the other master of m's pair, or nil. A peer that does not
// answer cannot show whom it replicates from; MHA's rule decides then: the
// master is the writable server (or the dead one), so a writable m
// replicating from a silent peer is the active master and the peer the
// passive one, while a read-only m is just a replica.
func (e *evaluation) dualPeer(m *HostObs) *HostObs {
	if m.Status == nil || !m.Status.IsReplica() {
		return nil
	}
	p := e.hostByAddr(m.Status.Replica.MasterHost, m.Status.Replica.MasterPort)
	switch {
	case p == nil || p == m:
		return nil
	case p.Status == nil:
		if m.Status.ReadOnly {
			return nil
		}
		return p
	case replicatesFrom(p, m):
		return p
	}
	return nil
}

func replicatesFrom(h, master *HostObs) bool {
	rs := h.Status.Replica
	return h.Status.IsReplica() && rs.MasterPort == master.Port && (rs.MasterHost == master.Hostname || rs.MasterHost == master.IP)
}

// pickActive decides which of the pair takes the writes: the only
// writable one (MHA's rule). When both or neither are writable, the one
// more replicas follow, then the one first in the config.
func (e *evaluation) pickActive(a, b *HostObs) (active, passive *HostObs) {
	if b.Status == nil {
		return a, b
	}
	aw, bw := !a.Status.ReadOnly, !b.Status.ReadOnly
	if aw != bw {
		if aw {
			return a, b
		}
		return b, a
	}
	fa, fb := e.followers(a, b), e.followers(b, a)
	if fb > fa || (fb == fa && e.configIndex(b) < e.configIndex(a)) {
		return b, a
	}
	return a, b
}

// followers counts the alive servers other than peer that replicate from m.
func (e *evaluation) followers(m, peer *HostObs) int {
	n := 0
	for i := range e.in.Hosts {
		h := &e.in.Hosts[i]
		if h != m && h != peer && h.Status != nil && replicatesFrom(h, m) {
			n++
		}
	}
	return n
}

func (e *evaluation) configIndex(h *HostObs) int {
	for i := range e.in.Hosts {
		if &e.in.Hosts[i] == h {
			return i
		}
	}
	return len(e.in.Hosts)
}

// checkDualWritable requires exactly one writable master. Two writable
// masters are the most urgent finding: writes to both make them diverge.
func (e *evaluation) checkDualWritable(active, passive *HostObs) {
	ro := replsql.SetReadOnly(true).String()
	switch {
	case passive.Status == nil:
		// reported by checkLogin and checkDualPeerDown
	case !active.Status.ReadOnly && !passive.Status.ReadOnly:
		e.fail(CatReplication, passive.Name, "dual_master_writable",
			fmt.Sprintf("both masters of the dual-master pair are writable (read_only is OFF on %s and %s): writes to both make them diverge, and a failover could not tell which one is the master",
				active.Name, passive.Name),
			fmt.Sprintf("%s on %s, the passive master (%s), and add read_only to the [mysqld] section of its my.cnf so that a restart keeps it", ro, passive.Name, whyActive(active)))
	case active.Status.ReadOnly:
		e.fail(CatReplication, active.Name, "dual_master_writable",
			fmt.Sprintf("neither master of the dual-master pair is writable (read_only is ON on %s and %s): the application cannot write", active.Name, passive.Name),
			fmt.Sprintf("%s on %s, the active master (%s); it holds the writers' address", replsql.SetReadOnly(false), active.Name, whyActive(active)))
	}
}

func whyActive(active *HostObs) string {
	return active.Name + " is taken as active: the replicas follow it, or it comes first in the config"
}

// checkActiveReplication checks the active master's replication from the
// passive one: it must run, or the pair is no longer a pair.
func (e *evaluation) checkActiveReplication(active *HostObs) {
	passive := e.hostByName(e.res.Dual.Passive)
	if passive.Status == nil && !errors.Is(passive.SQLErr, instance.ErrAccessDenied) {
		return // the passive master is down: checkDualPeerDown says so
	}
	rs := active.Status.Replica
	v := serverVersion(active)
	if !rs.IORunningYes() {
		e.fail(CatReplication, active.Name, "dual_master_io_thread",
			fmt.Sprintf("the active master does not read from the passive master %s: Slave_IO_Running=%s%s", passive.Name, rs.IORunning, lastErr(rs.LastIOErrno, rs.LastIOError)),
			"fix the cause, then "+replsql.Start(v, replsql.IOThread).String()+" on "+active.Name)
	}
	if !rs.SQLRunningYes() {
		e.fail(CatReplication, active.Name, "dual_master_sql_thread",
			fmt.Sprintf("the active master does not apply what it reads from the passive master %s: Slave_SQL_Running=%s%s", passive.Name, rs.SQLRunning, lastErr(rs.LastSQLErrno, rs.LastSQLError)),
			"fix the cause, then "+replsql.Start(v, replsql.SQLThread).String()+" on "+active.Name)
	}
}

// checkDualPeerDown reports an unreachable passive master: the active one
// keeps serving, and a failover refuses, since the master is alive.
func (e *evaluation) checkDualPeerDown(h *HostObs) {
	e.fail(CatReplication, h.Name, "passive_master",
		fmt.Sprintf("the passive master %s is unreachable over MySQL: %v; the active master %s keeps serving, and a failover refuses to run (the master is alive)",
			hostinfo(h), h.SQLErr, e.res.Dual.Active),
		fmt.Sprintf("start it; it resumes replicating from %s. If it cannot be repaired, rebuild it from a backup of %s and point it at %s again (and %s at it), or remove its [%s] block",
			e.res.Dual.Active, e.res.Dual.Active, e.res.Dual.Active, e.res.Dual.Active, h.Name))
}

// checkAutoIncrement: if both masters ever take writes (a switch with
// writes in flight, a writer that missed the switch), only distinct
// auto_increment offsets with an increment of at least 2 keep their
// AUTO_INCREMENT values apart. A warning: while only the active master
// writes, nothing collides.
func (e *evaluation) checkAutoIncrement(active, passive *HostObs) {
	a, p := active.Status, passive.Status
	var msg string
	switch {
	case a.AutoIncrementIncrement < 2 || p.AutoIncrementIncrement < 2:
		msg = fmt.Sprintf("auto_increment_increment is %d on %s and %d on %s: if both masters take writes, they hand out the same AUTO_INCREMENT values",
			a.AutoIncrementIncrement, active.Name, p.AutoIncrementIncrement, passive.Name)
	case a.AutoIncrementOffset == p.AutoIncrementOffset:
		msg = fmt.Sprintf("auto_increment_offset is %d on both masters (%s, %s): if both take writes, they hand out the same AUTO_INCREMENT values",
			a.AutoIncrementOffset, active.Name, passive.Name)
	default:
		return
	}
	e.warn(passive.Name, "auto_increment", msg, fmt.Sprintf("%s on %s and %s on %s, and the same in their my.cnf",
		autoIncrementSQL(1), active.Name, autoIncrementSQL(2), passive.Name))
}

func autoIncrementSQL(offset int) string {
	return fmt.Sprintf("SET GLOBAL auto_increment_increment = 2, auto_increment_offset = %d", offset)
}

// checkGTIDDomains: with gtid_strict_mode, two MariaDB masters writing one
// GTID domain stop each other's replication as soon as both write.
func (e *evaluation) checkGTIDDomains(active, passive *HostObs) {
	a, p := active.Status, passive.Status
	if !a.MariaDB || !p.MariaDB || a.GTIDDomainID != p.GTIDDomainID {
		return
	}
	e.warn(passive.Name, "gtid_domain_id", fmt.Sprintf("both masters write GTID domain %d: if both take writes, their transactions interleave in one domain, which gtid_strict_mode refuses", a.GTIDDomainID),
		fmt.Sprintf("give each master its own domain: SET GLOBAL gtid_domain_id = %d on %s (no other server may use it), and the same in its my.cnf",
			e.freeDomain(), passive.Name))
}

// freeDomain is a GTID domain no observed server writes.
func (e *evaluation) freeDomain() uint32 {
	used := map[uint32]bool{}
	for _, h := range e.in.Hosts {
		if h.Status != nil {
			used[h.Status.GTIDDomainID] = true
		}
	}
	d := uint32(1)
	for used[d] {
		d++
	}
	return d
}

func (e *evaluation) hostByName(name string) *HostObs {
	for i := range e.in.Hosts {
		if e.in.Hosts[i].Name == name {
			return &e.in.Hosts[i]
		}
	}
	return nil
}
