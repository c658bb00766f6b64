package bench

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

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

// Tool fails over a cluster whose host 1 is dead.
type Tool struct {
	Name string
	Run  func(ctx context.Context, c *cluster.Cluster) (exit int, log string)
}

// Result is one trial.
type Result struct {
	Tool, Scenario  string
	Exit            int
	Writable, Wall  time.Duration
	WritableHost    int
	Acked, Lost     int
	ChecksumsDiffer string
}

const probePassword = "bench-probe-pw"

// Trial plays scenario on a fresh cluster with tool and measures it.
func Trial(ctx context.Context, env Env, tool Tool, sc Scenario) (Result, error) {
	res := Result{Tool: tool.Name, Scenario: string(sc)}
	c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(env.Dir, "cluster"), Base: env.Base, Hosts: 4, SSHDEnv: ShimEnv(env.ShimDir)})
	if err != nil {
		return res, err
	}
	defer c.Down()
	if err := SetupProbe(ctx, c, probePassword); err != nil {
		return res, err
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
	t0 := time.Now()
	res.Exit, _ = tool.Run(ctx, c)
	res.Wall = time.Since(t0)
	res.Writable, res.WritableHost = p.Wait()
	res.Lost, res.ChecksumsDiffer = verify(ctx, c, res.WritableHost, acked)
	return res, nil
}

// loadAndKill runs ~2,300 commits/s on the master, sets the scenario up
// and SIGKILLs the master; it returns the acknowledged ids.
func loadAndKill(ctx context.Context, c *cluster.Cluster, sc Scenario) ([]int64, error) {
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Rows: 10_000_000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		return nil, err
	}
	step := func(d time.Duration, f func() error) error {
		time.Sleep(d)
		if f == nil {
			return nil
		}
		return f()
	}
	var steps []error
	switch sc {
	case InSync:
		steps = append(steps, step(2*time.Second, nil))
	case OneIOStopped:
		steps = append(steps, step(500*time.Millisecond, func() error { return c.StopIOThread(ctx, 3) }), step(3*time.Second, nil))
	case AllIOStopped:
		steps = append(steps, step(time.Second, func() error {
			for i := 2; i <= c.N(); i++ {
				if err := c.StopIOThread(ctx, i); err != nil {
					return err
				}
			}
			return nil
		}), step(2*time.Second, nil))
	case LatestSQLStopped:
		steps = append(steps, step(500*time.Millisecond, func() error { return c.StopSQLThread(ctx, 2) }), step(3*time.Second, nil))
	}
	for _, err := range steps {
		if err != nil {
			l.Stop()
			return nil, err
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
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := c.SyncReplicas(ctx, 2, 3, 4); err != nil {
		return lost, err.Error()
	}
	if err := c.CompareChecksums(ctx, 2, 3, 4); err != nil {
		return lost, err.Error()
	}
	return lost, ""
}

// Env is where trials run.
type Env struct {
	Dir, ShimDir string
	Base         int
	Mhago        string
}

// Mhago is mhago failover as a Tool.
func Mhago(bin string) Tool {
	return Tool{Name: "mhago", Run: func(ctx context.Context, c *cluster.Cluster) (int, string) {
		cmd := exec.CommandContext(ctx, bin, "failover", "--conf", c.ConfigPath())
		out, _ := cmd.CombinedOutput()
		return cmd.ProcessState.ExitCode(), string(out)
	}}
}

// MHA is masterha_master_switch --master_state=dead as a Tool.
func MHA(shimDir string) Tool {
	return Tool{Name: "MHA 0.58", Run: func(ctx context.Context, c *cluster.Cluster) (int, string) {
		r, err := RunMHA(ctx, c, shimDir)
		if err != nil {
			return -1, err.Error()
		}
		return r.Exit, r.Log
	}}
}

func (r Result) String() string {
	return fmt.Sprintf("%-8s %-45s exit %d writable %6.2fs wall %6.2fs acked %d lost %d %s",
		r.Tool, r.Scenario, r.Exit, r.Writable.Seconds(), r.Wall.Seconds(), r.Acked, r.Lost, r.ChecksumsDiffer)
}
