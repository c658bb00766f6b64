// Package chaos draws failover scenarios from a seed, plays them on a real
// testenv cluster (mixed write load, replica faults, a SIGKILLed master,
// faults during the failover itself) and checks the promise afterwards:
// every acknowledged transaction survives when the dead master's host is
// reachable, otherwise exactly those after the report's "lost" bound are
// gone; every surviving host is identical; one writable server; the
// reports say what happened.
//
// Drawing is a pure function of the seed (Draw), so `make chaos SEED=x`
// replays the same cluster, load mix and faults; only the exact number of
// commits before the kill depends on timing.
package chaos

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Binlog and relay-log sizes a scenario draws from: 8 KB (a rotation every
// few transactions, large ones spanning files) up to MariaDB's default.
var logSizes = []int64{8 << 10, 64 << 10, 1 << 20, 0}

// Formats are the binlog formats drawn.
var formats = []string{"ROW", "STATEMENT", "MIXED"}

// DisturbKind is something done to the cluster while the load runs.
type DisturbKind string

const (
	StopIO      DisturbKind = "stop-io"      // STOP SLAVE IO_THREAD on a replica
	StopSQL     DisturbKind = "stop-sql"     // STOP SLAVE SQL_THREAD on a replica
	StartSlave  DisturbKind = "start-slave"  // START SLAVE again
	FlushBinlog DisturbKind = "flush-binlog" // FLUSH BINARY LOGS on the master
	FlushRelay  DisturbKind = "flush-relay"  // FLUSH RELAY LOGS on a replica
)

// Disturbance happens At after the load started, on Host (0: the master).
type Disturbance struct {
	At   time.Duration
	Kind DisturbKind
	Host int
}

func (d Disturbance) String() string {
	if d.Host == 0 {
		return fmt.Sprintf("%s@%s", d.Kind, d.At)
	}
	return fmt.Sprintf("%s(h%d)@%s", d.Kind, d.Host, d.At)
}

// KillMode says when the master is SIGKILLed.
type KillMode string

const (
	KillPlain     KillMode = "plain"      // while small transactions run
	KillMidBig    KillMode = "mid-big"    // while a large transaction sends its rows
	KillBigCommit KillMode = "big-commit" // just after a large transaction's COMMIT was sent
)

// FaultKind is something that happens during the failover.
type FaultKind string

const (
	DeadSSHDown  FaultKind = "dead-ssh-down" // the dead master's sshd is stopped before mhago starts (its binlog cannot be saved) or at a phase boundary
	StopReplica  FaultKind = "stop-replica"  // a second replica's mariadbd is stopped at a phase boundary
	RestartRedis FaultKind = "restart-redis" // redis-server is killed and started empty at a phase boundary
	HookFail     FaultKind = "hook-fail"     // master_ip_failover_script exits 1 for one --command
	HookHang     FaultKind = "hook-hang"     // ... or never returns
	KillMhago    FaultKind = "kill-mhago"    // mhago is SIGKILLed at a phase boundary or mid-apply
)

// Fault happens during the first mhago run. Point is a faults point
// ("before:<phase>", "apply:serverN+DELAY"), Host a testenv host and
// Command a hook command ("stop", "start"), as the kind needs.
type Fault struct {
	Kind    FaultKind
	Point   string
	Host    int
	Command string
}

func (f Fault) String() string {
	s := string(f.Kind)
	if f.Host != 0 {
		s += fmt.Sprintf("(h%d)", f.Host)
	}
	if f.Command != "" {
		s += "(" + f.Command + ")"
	}
	if f.Point != "" {
		s += "@" + f.Point
	}
	return s
}

// Scenario is everything drawn from one seed.
type Scenario struct {
	Seed         int64
	Replicas     int // 2..6; hosts are the master (1) and replicas 2..Replicas+1
	GTID         bool
	Format       string
	BinlogSize   int64 // 0: default
	RelayLogSize int64 // 0: default
	Clients      int   // DML clients, besides the DDL client
	LoadFor      time.Duration
	BigTx        int // large transactions before the kill
	BigMB        int // size of each
	Disturb      []Disturbance
	Kill         KillMode
	Faults       []Fault
	StopAllIO    time.Duration // when every replica's IO thread stops (0: never)
}

// Hosts is the number of testenv hosts.
func (s Scenario) Hosts() int { return s.Replicas + 1 }

// Phases where a fault may strike mhago: before the point of no return
// (the run must leave the cluster as it was) and after it (it must finish
// or be finished by --resume).
var (
	phasesBeforePONR = []string{"1 topology re-check", "agents", "3.1 latest replicas", "3.2 save dead master binlog", "3.4 diff generation", "3.4 readiness check"}
	phasesAfterPONR  = []string{"3.5 new master apply", "3.5 new master writable", "4 replica recovery", "5 new master cleanup"}
)

// Draw makes the scenario of seed. It is deterministic: the same seed
// always gives the same scenario.
func Draw(seed int64) Scenario {
	r := rand.New(rand.NewPCG(uint64(seed), 0x6d6861676f))
	s := Scenario{
		Seed:         seed,
		Replicas:     2 + r.IntN(5),
		GTID:         r.IntN(2) == 0,
		Format:       formats[r.IntN(len(formats))],
		BinlogSize:   logSizes[r.IntN(len(logSizes))],
		RelayLogSize: logSizes[r.IntN(len(logSizes))],
		Clients:      2 + r.IntN(3),
		LoadFor:      time.Duration(1500+r.IntN(2500)) * time.Millisecond,
		BigTx:        1 + r.IntN(3),
		BigMB:        2 + r.IntN(5),
	}
	s.Disturb = drawDisturbances(r, s)
	s.Kill = []KillMode{KillPlain, KillPlain, KillMidBig, KillBigCommit}[r.IntN(4)]
	s.Faults = drawFaults(r, s)
	s.StopAllIO = drawStopAllIO(s)
	return s
}

// drawStopAllIO sometimes stops every replica's IO thread shortly before
// the kill, so the last commits exist only in the dead master's binlog:
// saved when its host answers, lost (exactly those after the report's
// bound) when it does not. A stream of its own keeps earlier seeds'
// draws as they were.
func drawStopAllIO(s Scenario) time.Duration {
	r := rand.New(rand.NewPCG(uint64(s.Seed), 0x696f))
	if r.IntN(4) != 0 {
		return 0
	}
	return s.LoadFor - time.Duration(200+r.IntN(600))*time.Millisecond
}

func drawDisturbances(r *rand.Rand, s Scenario) []Disturbance {
	kinds := []DisturbKind{StopIO, StopIO, StopSQL, StopSQL, StartSlave, FlushBinlog, FlushRelay}
	n := r.IntN(5)
	out := make([]Disturbance, 0, n)
	for range n {
		d := Disturbance{
			At:   time.Duration(r.Int64N(int64(s.LoadFor))).Truncate(time.Millisecond),
			Kind: kinds[r.IntN(len(kinds))],
		}
		if d.Kind != FlushBinlog {
			d.Host = 2 + r.IntN(s.Replicas)
		}
		out = append(out, d)
	}
	sortDisturbances(out)
	return out
}

func sortDisturbances(ds []Disturbance) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j].At < ds[j-1].At; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// drawFaults picks none, one or two faults for the failover. A hook fault
// and a kill of mhago are not combined: each already ends the first run.
func drawFaults(r *rand.Rand, s Scenario) []Fault {
	var out []Fault
	if r.IntN(6) == 0 {
		out = append(out, Fault{Kind: DeadSSHDown, Point: sshDownPoint(s.Seed)})
	}
	switch r.IntN(10) {
	case 0, 1:
		out = append(out, Fault{Kind: StopReplica, Host: 2 + r.IntN(s.Replicas), Point: "before:" + anyPhase(r)})
	case 2:
		out = append(out, Fault{Kind: RestartRedis, Point: "before:" + anyPhase(r)})
	case 3:
		out = append(out, Fault{Kind: HookFail, Command: []string{"stop", "start"}[r.IntN(2)]})
	case 4:
		out = append(out, Fault{Kind: HookHang, Command: []string{"stop", "start"}[r.IntN(2)]})
	case 5, 6:
		out = append(out, Fault{Kind: KillMhago, Point: killPoint(r, s)})
	}
	return out
}

// sshDownPoint says when the dead master's sshd stops: before mhago
// starts (its binlog cannot be saved), or at a phase boundary (the
// connection mhago already has lives on). It comes from a stream of its
// own, so adding it left every other draw of a seed as it was.
func sshDownPoint(seed int64) string {
	r := rand.New(rand.NewPCG(uint64(seed), 0x737368))
	switch r.IntN(4) {
	case 0:
		return "before:agents"
	case 1:
		return "before:3.2 save dead master binlog"
	}
	return ""
}

func anyPhase(r *rand.Rand) string {
	all := append(append([]string{}, phasesBeforePONR...), phasesAfterPONR...)
	return all[r.IntN(len(all))]
}

func killPoint(r *rand.Rand, s Scenario) string {
	if r.IntN(3) == 0 {
		return fmt.Sprintf("apply:server%d+%dms", 2+r.IntN(s.Replicas), r.IntN(400))
	}
	return "before:" + anyPhase(r)
}

// String is the one-line description printed in the summary.
func (s Scenario) String() string {
	size := func(n int64) string {
		switch {
		case n == 0:
			return "default"
		case n >= 1<<20:
			return fmt.Sprintf("%dM", n>>20)
		default:
			return fmt.Sprintf("%dK", n>>10)
		}
	}
	mode := "filepos"
	if s.GTID {
		mode = "gtid"
	}
	parts := []string{
		fmt.Sprintf("replicas=%d", s.Replicas), mode, strings.ToLower(s.Format),
		"binlog=" + size(s.BinlogSize), "relay=" + size(s.RelayLogSize),
		fmt.Sprintf("clients=%d+ddl", s.Clients), fmt.Sprintf("load=%s", s.LoadFor),
		fmt.Sprintf("big=%dx%dMB", s.BigTx, s.BigMB), "kill=" + string(s.Kill),
	}
	if len(s.Disturb) > 0 {
		ds := make([]string, len(s.Disturb))
		for i, d := range s.Disturb {
			ds[i] = d.String()
		}
		parts = append(parts, "disturb="+strings.Join(ds, ","))
	}
	if s.StopAllIO > 0 {
		parts = append(parts, fmt.Sprintf("all-io-stopped@%s", s.StopAllIO))
	}
	if len(s.Faults) > 0 {
		fs := make([]string, len(s.Faults))
		for i, f := range s.Faults {
			fs[i] = f.String()
		}
		parts = append(parts, "faults="+strings.Join(fs, ","))
	}
	return strings.Join(parts, " ")
}
