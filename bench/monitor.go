package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mhago/mhago/testenv/cluster"
)

// Fault is what happens to the master's mysqld under a running monitor.
type Fault string

const (
	// Crash is a SIGKILL: the sockets close at once, and the replicas'
	// IO threads see the master go.
	Crash Fault = "mysqld SIGKILLed"
	// Vanish is a SIGSTOP: the kernel still accepts connections on the
	// port, but nothing answers and nothing is reset, as when a host falls
	// off the network.
	Vanish Fault = "mysqld SIGSTOPped (vanishes silently)"
)

// MonitorCase is one monitor scenario: a fault under a ping interval.
type MonitorCase struct {
	Fault        Fault
	PingInterval int // seconds, the same for both tools
}

// MonitorCases in the order of the table: MHA's default interval, then 1 s.
var MonitorCases = []MonitorCase{{Crash, 3}, {Crash, 1}, {Vanish, 3}, {Vanish, 1}}

func (mc MonitorCase) String() string {
	return fmt.Sprintf("%s, ping_interval=%d", mc.Fault, mc.PingInterval)
}

// The targets for the monitor, both from the fault to the first
// accepted INSERT: a crashed mysqld is replaced within 2 s (replicas in
// sync); a master that vanishes silently within 3 × ping_interval plus
// the failover, for which the crash's budget of 2 s stands.
const TargetCrash = 2 * time.Second

// Target is mc's bound on mhago's median time to writable.
func (mc MonitorCase) Target() time.Duration {
	if mc.Fault == Crash {
		return TargetCrash
	}
	return 3*time.Duration(mc.PingInterval)*time.Second + TargetCrash
}

// Monitor startup and shutdown bounds.
const (
	monitorReadyLimit = 90 * time.Second // MHA checks every host over SSH first
	monitorStopGrace  = 10 * time.Second // SIGTERM to SIGKILL
	monitorLoad       = 2 * time.Second  // writes before the fault, at least
	// monitorDoneGrace is how long a monitor that keeps running (mhago)
	// may take, once writes are accepted, to log the failover's end.
	monitorDoneGrace = 30 * time.Second
)

// MonitorResult is one monitor trial. Writable and Wall run from the
// fault: to the probe's first accepted INSERT, and to the end of the
// failover as the monitor logs it (MHA: its exit).
type MonitorResult struct {
	Tool, Case      string
	Fault           Fault
	PingInterval    int
	Phase           float64 // where in the ping cycle the fault came
	Writable, Wall  time.Duration
	WritableHost    int
	Acked, Lost     int
	ChecksumsDiffer string
	// Hung: no write was accepted within RunLimit of the fault.
	Hung bool
	// Problem says why the run does not count ("" if it does).
	Problem string
	// Spans are the monitor's phases from the fault (detection first).
	Spans []Span
	Log   string `json:"-"`
}

// MonitorTrial starts tool's monitor on a fresh cluster under a write
// load, applies mc's fault to the master's mysqld and measures the time
// to the first accepted unprivileged INSERT.
//
// The fault comes monitorLoad + phase × ping_interval after the monitor
// said it is monitoring (phase in [0, 1)): both tools ping on a cycle that
// starts there, so a fixed delay would always hit the same point of it and
// always wait the same time for the next ping. Runs spread phase over the
// interval, so that their median waits about half an interval, as a fault
// at a random time does.
func MonitorTrial(ctx context.Context, env Env, tool MonitorTool, mc MonitorCase, phase float64) (MonitorResult, error) {
	res := MonitorResult{Tool: tool.Name, Case: mc.String(), Fault: mc.Fault, PingInterval: mc.PingInterval, Phase: phase}
	c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(env.Dir, "cluster"), Base: env.Base, Hosts: env.Hosts,
		SSHDEnv: ShimEnv(env.ShimDir), ParallelReplication: ParallelWorkers})
	if err != nil {
		return res, err
	}
	defer c.Down()
	if err := SetupProbe(ctx, c, probePassword); err != nil {
		return res, err
	}
	settings := MonitorSettings{PingInterval: mc.PingInterval}
	if mc.Fault == Vanish {
		if settings.ShutdownScript, err = writeFenceScript(c); err != nil {
			return res, err
		}
	}
	m, err := tool.Start(ctx, c, settings)
	if err != nil {
		return res, fmt.Errorf("%s: start the monitor: %w", tool.Name, err)
	}
	defer m.Stop(monitorStopGrace)
	ready, err := m.WaitLine(tool.Ready, monitorReadyLimit)
	if err != nil {
		return res, fmt.Errorf("%s: monitor not monitoring: %w\n%s", tool.Name, err, m.Text())
	}
	offset := monitorLoad + time.Duration(phase*float64(mc.PingInterval)*float64(time.Second))
	fault, acked, p, err := loadAndFault(ctx, c, mc.Fault, m.t0.Add(ready.At+offset))
	if err != nil {
		return res, err
	}
	res.Acked = len(acked)
	res.Writable, res.WritableHost = p.Since(fault)
	res.Hung = res.WritableHost == 0
	res.Wall = waitDone(m, tool, fault)
	if mc.Fault == Vanish {
		// Nothing may wake the old master while the survivors are read.
		_ = c.KillMySQL(1)
	}
	m.Stop(monitorStopGrace)
	res.Log = m.Text()
	res.Spans = tool.Spans(m, fault, res.Wall)
	if !res.Hung {
		res.Lost, res.ChecksumsDiffer = verify(ctx, c, res.WritableHost, acked)
	}
	res.Problem = monitorProblem(res)
	return res, nil
}

// fenceScript is the shutdown_script of the vanish case, for both tools:
// it kills host 1's mysqld (its pid, known when the cluster started) as a
// power manager would fence the host, and answers 10, "SSH reachable,
// mysqld killed", so that both still save its binlog. A status call
// answers 0.
const fenceScript = `#!/bin/sh
case " $* " in
*" --command=status "*) exit 0 ;;
esac
kill -KILL %d 2>/dev/null
exit 10
`

func fenceScriptFor(pid int) string { return fmt.Sprintf(fenceScript, pid) }

// writeFenceScript writes fenceScript for c's host 1 and returns its path.
// mhago refuses to promote a replica while a master that accepts TCP
// connections but sends no greeting could wake up, unless shutdown_script
// can fence it; MHA fails over without, and calls it in its phase 2.
func writeFenceScript(c *cluster.Cluster) (string, error) {
	path := filepath.Join(c.Dir(), "fence.sh")
	if err := os.WriteFile(path, []byte(fenceScriptFor(c.MySQLPid(1))), 0o700); err != nil {
		return "", fmt.Errorf("write the fence script: %w", err)
	}
	return path, nil
}

// loadAndFault runs 4 writers on the master until at, starts the probe,
// applies fault to host 1's mysqld and returns when it happened, the
// acknowledged ids and the probe (bounded by RunLimit).
func loadAndFault(ctx context.Context, c *cluster.Cluster, f Fault, at time.Time) (time.Time, []int64, *Probe, error) {
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Rows: 10_000_000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		return time.Time{}, nil, nil, err
	}
	time.Sleep(time.Until(at))
	pctx, cancel := context.WithTimeout(ctx, RunLimit)
	p, err := StartProbe(pctx, c, probePassword)
	if err != nil {
		cancel()
		l.Stop()
		return time.Time{}, nil, nil, err
	}
	go func() { p.Wait(); cancel() }()
	at = time.Now()
	if f == Vanish {
		err = c.HangMySQL(1)
	} else {
		err = c.KillMySQL(1)
	}
	if err != nil {
		l.Stop()
		return at, nil, nil, err
	}
	// On a stopped master the writers end at their 5 s read timeout.
	return at, l.Wait().Acked, p, nil
}

// waitDone waits for tool's end-of-failover line (or for the monitor to
// exit), within RunLimit of the fault and monitorDoneGrace of now, and
// returns its time from the fault; 0: it never came.
func waitDone(m *MonitorProc, tool MonitorTool, fault time.Time) time.Duration {
	limit := min(time.Until(fault.Add(RunLimit)), monitorDoneGrace)
	if tool.ExitsAfterFailover {
		limit = time.Until(fault.Add(RunLimit))
	}
	l, err := m.WaitLine(tool.Done, max(limit, 0))
	if err != nil {
		return 0
	}
	return l.At - fault.Sub(m.t0)
}

// monitorProblem judges a trial: a write must have been accepted, the
// failover must have ended, nothing acknowledged lost, equal checksums.
func monitorProblem(r MonitorResult) string {
	switch {
	case r.Hung:
		return fmt.Sprintf("no write accepted within %s of the fault", RunLimit)
	case r.Wall == 0:
		return "the monitor never logged the failover's end"
	case r.Lost > 0:
		return fmt.Sprintf("%d acknowledged commits lost", r.Lost)
	case r.ChecksumsDiffer != "":
		return "checksums differ: " + r.ChecksumsDiffer
	}
	return ""
}

func (r MonitorResult) String() string {
	s := fmt.Sprintf("%-8s %-58s phase %.2f writable %s wall %s acked %d lost %d", r.Tool, r.Case, r.Phase,
		secs(r.Writable, r.Hung), secs(r.Wall, r.Wall == 0), r.Acked, r.Lost)
	if r.Problem != "" {
		s += " PROBLEM: " + r.Problem
	}
	return s
}

func secs(d time.Duration, never bool) string {
	if never {
		return "  never"
	}
	return fmt.Sprintf("%6.2fs", d.Seconds())
}
