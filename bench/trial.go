package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// Scenario is how the cluster stands when its master is SIGKILLed.
type Scenario string

const (
	InSync           Scenario = "replicas in sync"
	OneIOStopped     Scenario = "one replica's IO thread stopped early"
	AllIOStopped     Scenario = "every IO thread stopped 2 s before the kill"
	LatestSQLStopped Scenario = "the latest replica's SQL thread stopped"
)

// Scenarios in the order of the table.
var Scenarios = []Scenario{InSync, OneIOStopped, AllIOStopped, LatestSQLStopped}

// Run is one failover command.
type Run struct {
	Exit  int
	Wall  time.Duration
	Log   string
	Spans []Span
	// ToolBlocked is the write-blocked time the tool reports of itself
	// (mhago switchover's write_blocked_ms); 0: it reports none.
	ToolBlocked time.Duration
}

// Tool fails over a cluster whose host 1 is dead. Prepare runs before the
// kill, on the healthy cluster (nil: nothing).
type Tool struct {
	Name    string
	Prepare func(ctx context.Context, c *cluster.Cluster) error
	Run     func(ctx context.Context, c *cluster.Cluster) (Run, error)
}

// Result is one trial.
type Result struct {
	Tool, Scenario  string
	Exit            int
	Writable, Wall  time.Duration
	WritableHost    int
	Acked, Lost     int
	ChecksumsDiffer string
	Hung            bool // killed after RunLimit
	Spans           []Span
	Log             string `json:"-"`
}

const probePassword = "bench-probe-pw"

// RunLimit bounds one failover command: MHA 0.58 waits without end for a
// replica's SQL thread whose relay log ends inside a transaction.
const RunLimit = 3 * time.Minute

// ParallelWorkers is slave_parallel_threads on the trial clusters'
// replicas: with it they keep up with the 4 writers (about 2,300
// commits/s), so "in sync" is in sync at the kill, as on a cluster tuned
// for that load; applying alone, they fall seconds behind.
const ParallelWorkers = 4

// Env is where trials run.
type Env struct {
	Dir, ShimDir string
	Base         int
	Hosts        int
}

// Trial plays scenario on a fresh cluster with tool and measures it.
func Trial(ctx context.Context, env Env, tool Tool, sc Scenario) (Result, error) {
	res := Result{Tool: tool.Name, Scenario: string(sc)}
	c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(env.Dir, "cluster"), Base: env.Base, Hosts: env.Hosts, SSHDEnv: ShimEnv(env.ShimDir),
		ParallelReplication: ParallelWorkers})
	if err != nil {
		return res, err
	}
	defer c.Down()
	if err := SetupProbe(ctx, c, probePassword); err != nil {
		return res, err
	}
	if tool.Prepare != nil {
		if err := tool.Prepare(ctx, c); err != nil {
			return res, fmt.Errorf("%s: prepare: %w", tool.Name, err)
		}
	}
	acked, err := loadAndKill(ctx, c, sc)
	if err != nil {
		return res, err
	}
	res.Acked = len(acked)
	p, err := StartProbe(ctx, c, probePassword)
	if err != nil {
		return res, err
	}
	runCtx, cancel := context.WithTimeout(ctx, RunLimit)
	run, err := tool.Run(runCtx, c)
	cancel()
	if err != nil {
		return res, err
	}
	if runCtx.Err() != nil {
		res.Hung = true
	}
	res.Exit, res.Wall, res.Spans, res.Log = run.Exit, run.Wall, run.Spans, run.Log
	res.Writable, res.WritableHost = p.Wait()
	res.Lost, res.ChecksumsDiffer = verify(ctx, c, res.WritableHost, acked)
	return res, nil
}

// loadAndKill runs 4 writers on the master, sets the scenario up and
// SIGKILLs the master; it returns the acknowledged ids.
func loadAndKill(ctx context.Context, c *cluster.Cluster, sc Scenario) ([]int64, error) {
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Rows: 10_000_000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		return nil, err
	}
	stopIO := func(hosts ...int) func() error {
		return func() error {
			for _, i := range hosts {
				if err := c.StopIOThread(ctx, i); err != nil {
					return err
				}
			}
			return nil
		}
	}
	type step struct {
		after time.Duration
		do    func() error
	}
	var steps []step
	switch sc {
	case InSync:
		steps = []step{{2 * time.Second, nil}}
	case OneIOStopped:
		steps = []step{{500 * time.Millisecond, stopIO(3)}, {3 * time.Second, nil}}
	case AllIOStopped:
		var all []int
		for i := 2; i <= c.N(); i++ {
			all = append(all, i)
		}
		steps = []step{{time.Second, stopIO(all...)}, {2 * time.Second, nil}}
	case LatestSQLStopped:
		steps = []step{{500 * time.Millisecond, func() error { return c.StopSQLThread(ctx, 2) }}, {3 * time.Second, nil}}
	}
	for _, s := range steps {
		time.Sleep(s.after)
		if s.do != nil {
			if err := s.do(); err != nil {
				l.Stop()
				return nil, err
			}
		}
	}
	if err := c.KillMySQL(1); err != nil {
		return nil, err
	}
	return l.Wait().Acked, nil
}

// verify counts acknowledged ids missing on the new master and compares
// the survivors' checksums once they caught up.
func verify(ctx context.Context, c *cluster.Cluster, nm int, acked []int64) (lost int, differ string) {
	if nm == 0 {
		return len(acked), "no writable master"
	}
	ids, err := c.RowIDs(ctx, nm, "mhago_test.load")
	if err != nil {
		return len(acked), err.Error()
	}
	for _, id := range acked {
		if _, ok := slices.BinarySearch(ids, id); !ok {
			lost++
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var survivors []int
	for i := 2; i <= c.N(); i++ {
		survivors = append(survivors, i)
	}
	if err := c.SyncReplicas(ctx, survivors...); err != nil {
		return lost, err.Error()
	}
	if err := c.CompareChecksums(ctx, survivors...); err != nil {
		return lost, err.Error()
	}
	return lost, ""
}

// Mhago is `mhago failover` as a Tool. Its Prepare runs `mhago check`, as
// an operator's cron does: it leaves the agent cached on every host (MHA's
// node tools are installed on them beforehand too).
func Mhago(bin string) Tool {
	return Tool{Name: "mhago",
		Prepare: func(ctx context.Context, c *cluster.Cluster) error {
			out, err := exec.CommandContext(ctx, bin, "check", "--conf", c.ConfigPath()).CombinedOutput()
			if err != nil {
				return fmt.Errorf("mhago check: %w\n%s", err, out)
			}
			return nil
		},
		Run: func(ctx context.Context, c *cluster.Cluster) (Run, error) {
			t0 := time.Now()
			cmd := exec.CommandContext(ctx, bin, "failover", "--conf", c.ConfigPath(), "--json")
			out, err := cmd.Output()
			r := Run{Exit: cmd.ProcessState.ExitCode(), Wall: time.Since(t0), Log: string(out)}
			if _, ok := err.(*exec.ExitError); err != nil && !ok {
				return r, err
			}
			var rep report.Report
			if err := json.Unmarshal(out, &rep); err != nil {
				return r, fmt.Errorf("mhago failover printed no report (exit %d): %w", r.Exit, err)
			}
			r.Spans = MhagoSpans(&rep, t0)
			return r, nil
		}}
}

// MHA is masterha_master_switch --master_state=dead as a Tool.
func MHA(shimDir string) Tool {
	return Tool{Name: "MHA 0.58", Run: func(ctx context.Context, c *cluster.Cluster) (Run, error) {
		return RunMHA(ctx, c, shimDir)
	}}
}

func (r Result) String() string {
	hung := ""
	if r.Hung {
		hung = fmt.Sprintf(" HUNG: killed after %s", RunLimit)
	}
	return fmt.Sprintf("%-8s %-45s exit %d writable %6.2fs wall %6.2fs acked %d lost %d %s%s",
		r.Tool, r.Scenario, r.Exit, r.Writable.Seconds(), r.Wall.Seconds(), r.Acked, r.Lost, r.ChecksumsDiffer, hung)
}
