package decide

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mhago/mhago/repl"
)

// RejoinServer is one configured server as a rejoin sees it.
type RejoinServer struct {
	Name     string
	Alive    bool   // answers over MySQL
	Writable bool   // read_only is off
	Master   string // config block it replicates from; "" when none (or not a configured server)
	Record   string // master named by its active-master record; "" when it holds none
}

// CurrentMaster decides which server host rejoins: the one the other alive
// servers replicate from, which replicates from nobody. With no replica to
// vote (a two-server cluster) it is the only other writable server that
// replicates from nobody. topology is the master the Redis topology names
// ("" when unknown); it and the other servers' active-master records must
// agree with the choice, else there is no safe answer and the operator
// investigates.
func CurrentMaster(servers []RejoinServer, host, topology string) (string, error) {
	votes := map[string]int{}
	byName := map[string]RejoinServer{}
	for _, s := range servers {
		byName[s.Name] = s
		if s.Name != host && s.Alive && s.Master != "" && s.Master != host {
			votes[s.Master]++
		}
	}
	master, err := mostVoted(votes)
	if err != nil {
		return "", err
	}
	if master == "" {
		master, err = onlyWritableRoot(servers, host)
		if err != nil {
			return "", err
		}
	}
	m := byName[master]
	switch {
	case !m.Alive:
		return "", fmt.Errorf("the replicas replicate from %s, which does not answer over MySQL: fail over first", master)
	case m.Master != "":
		return "", fmt.Errorf("the replicas replicate from %s, which itself replicates from %s: repair the topology first", master, m.Master)
	case topology != "" && topology != master:
		return "", fmt.Errorf("the replicas replicate from %s, but the Redis topology names %s as master: investigate before rejoining", master, topology)
	}
	if rec := recordConsensus(servers, host); rec != "" && rec != master {
		return "", fmt.Errorf("the replicas replicate from %s, but their active-master records name %s: investigate before rejoining", master, rec)
	}
	return master, nil
}

// mostVoted is the server most replicas replicate from; "" when none, an
// error on a tie.
func mostVoted(votes map[string]int) (string, error) {
	var best []string
	most := 0
	for name, n := range votes {
		switch {
		case n > most:
			best, most = []string{name}, n
		case n == most:
			best = append(best, name)
		}
	}
	if len(best) > 1 {
		slices.Sort(best)
		return "", fmt.Errorf("the replicas are split between %s: repair the topology before rejoining", strings.Join(best, " and "))
	}
	if len(best) == 0 {
		return "", nil
	}
	return best[0], nil
}

func onlyWritableRoot(servers []RejoinServer, host string) (string, error) {
	var roots []string
	for _, s := range servers {
		if s.Name != host && s.Alive && s.Master == "" && s.Writable {
			roots = append(roots, s.Name)
		}
	}
	if len(roots) != 1 {
		return "", fmt.Errorf("no server is replicated from, and %d other writable servers replicate from nobody (%s): cannot tell the current master",
			len(roots), strings.Join(roots, ", "))
	}
	return roots[0], nil
}

// recordConsensus is the master that the active-master records of the
// alive servers other than host name, when they all name the same one.
func recordConsensus(servers []RejoinServer, host string) string {
	named := ""
	for _, s := range servers {
		if s.Name == host || !s.Alive || s.Record == "" {
			continue
		}
		if named != "" && s.Record != named {
			return ""
		}
		named = s.Record
	}
	return named
}

// ErrantRange is what a MariaDB server wrote in one replication domain
// that another never received: the transactions of Server in Domain from
// sequence number From to To. The other server holds Server's transactions
// of the domain up to From-1 only; every transaction of the domain in
// between was written by Server on the host (it wrote them itself while
// cut off), so the range is exact for a waking old master.
type ErrantRange struct {
	Domain, Server uint32
	From, To       uint64
}

// String is "0-1-106" for one transaction, "0-1-106..0-1-108" for more.
func (r ErrantRange) String() string {
	first := repl.MariaGTID{Domain: r.Domain, Server: r.Server, Seq: r.From}.String()
	if r.From == r.To {
		return first
	}
	return first + ".." + repl.MariaGTID{Domain: r.Domain, Server: r.Server, Seq: r.To}.String()
}

// ParseMariaGTIDState parses @@gtid_binlog_state: the last GTID of every
// (domain, server) pair, comma-separated. Unlike a position it may hold
// several GTIDs per domain.
func ParseMariaGTIDState(s string) ([]repl.MariaGTID, error) {
	var out []repl.MariaGTID
	for part := range strings.SplitSeq(s, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		g, err := repl.ParseMariaGTID(part)
		if err != nil {
			return nil, fmt.Errorf("gtid_binlog_state %q: %w", s, err)
		}
		out = append(out, g)
	}
	return out, nil
}

// ErrantMariaDB compares two MariaDB gtid_binlog_state values: the ranges
// host wrote that master never received. A position (one GTID per domain)
// cannot tell: after a failover the new master's sequence numbers pass the
// old master's, whatever the old master wrote meanwhile; the state keeps
// the last GTID of each server, so each server's history is compared with
// its own.
func ErrantMariaDB(host, master []repl.MariaGTID) []ErrantRange {
	type key struct{ d, s uint32 }
	has := map[key]uint64{}
	for _, g := range master {
		has[key{g.Domain, g.Server}] = max(has[key{g.Domain, g.Server}], g.Seq)
	}
	var out []ErrantRange
	for _, g := range host {
		if got := has[key{g.Domain, g.Server}]; g.Seq > got {
			out = append(out, ErrantRange{Domain: g.Domain, Server: g.Server, From: got + 1, To: g.Seq})
		}
	}
	slices.SortFunc(out, func(a, b ErrantRange) int {
		if a.Domain != b.Domain {
			return int(int64(a.Domain) - int64(b.Domain))
		}
		return int(int64(a.Server) - int64(b.Server))
	})
	return out
}

// ErrantMySQL is the part of host's gtid_executed that master's lacks.
func ErrantMySQL(host, master repl.MySQLGTIDSet) repl.MySQLGTIDSet {
	return host.Subtract(master)
}

// BinlogExtra is what a host's binlog holds past where the cluster's copy
// of its history ends (file/pos mode).
type BinlogExtra struct {
	From, To             repl.Coordinates
	Events, Transactions int
	FirstGTID, LastGTID  string
}

// String names the range for the operator.
func (x BinlogExtra) String() string {
	s := fmt.Sprintf("%s to %s: %d transactions (%d events)", x.From, x.To, x.Transactions, x.Events)
	if x.FirstGTID != "" {
		s += ", GTIDs " + x.FirstGTID
		if x.LastGTID != x.FirstGTID {
			s += ".." + x.LastGTID
		}
	}
	return s
}

// Divergence is what a rejoining host holds that the cluster never
// received, in the terms of the replication mode: binlog ranges in
// file/pos mode, GTIDs otherwise. Empty means it may join.
type Divergence struct {
	Mode  Mode
	Items []string
	// Transactions counts them where known (0 with MariaDB GTID ranges,
	// whose count is in the ranges).
	Transactions uint64
}

// Diverged reports whether the host holds anything the cluster lacks.
func (d Divergence) Diverged() bool { return len(d.Items) > 0 }

// FilePosDivergence judges the events past the cluster's end in the
// host's binlog: only complete transactions count (a restart writes
// headers, never transactions).
func FilePosDivergence(x BinlogExtra) Divergence {
	d := Divergence{Mode: ModeFilePos}
	if x.Transactions > 0 {
		d.Items = []string{x.String()}
		d.Transactions = uint64(x.Transactions)
	}
	return d
}

// MariaGTIDDivergence judges a MariaDB host by its gtid_binlog_state
// against the current master's.
func MariaGTIDDivergence(host, master []repl.MariaGTID) Divergence {
	d := Divergence{Mode: ModeMariaGTID}
	for _, r := range ErrantMariaDB(host, master) {
		d.Items = append(d.Items, r.String())
		d.Transactions += r.To - r.From + 1
	}
	return d
}

// MySQLGTIDDivergence judges a MySQL host by its gtid_executed against
// the current master's.
func MySQLGTIDDivergence(host, master repl.MySQLGTIDSet) Divergence {
	d := Divergence{Mode: ModeMySQLAutoPos}
	errant := ErrantMySQL(host, master)
	if !errant.IsEmpty() {
		d.Items = []string{errant.String()}
		d.Transactions = errant.Count()
	}
	return d
}

// Describe is one line for the report.
func (d Divergence) Describe() string {
	if !d.Diverged() {
		return "nothing the cluster lacks (" + d.Mode.String() + ")"
	}
	return strconv.FormatUint(d.Transactions, 10) + " transactions the cluster never received: " + strings.Join(d.Items, "; ")
}
