package bench

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strconv"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/testenv/cluster"
)

// ApplyResult compares mhago's two ways of applying the same relay-log
// backlog: the replica's own SQL thread (with the parallel workers mhago
// gives it) and the diff replayed through `mariadb-binlog | mariadb` by
// the agent.
type ApplyResult struct {
	Bytes                    int64
	Transactions             int
	OwnSQLThread, DiffReplay time.Duration
	DiffExtract              time.Duration
	ChecksumsDiffer          string
}

// CompareApply builds a backlog of about mb MB on two replicas at once
// (their SQL threads stopped together, the master loaded, the IO threads
// then stopped), then applies it on host 2 by its SQL thread and on host 3
// by the agent's diff replay, and compares the two servers after.
func CompareApply(ctx context.Context, env Env, mb int, bin agentctl.Binary) (ApplyResult, error) {
	var res ApplyResult
	c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(env.Dir, "apply"), Base: env.Base, Hosts: 3})
	if err != nil {
		return res, err
	}
	defer c.Down()
	for _, i := range []int{2, 3} {
		if err := c.StopSQLThread(ctx, i); err != nil {
			return res, err
		}
	}
	if err := loadBytes(ctx, c, int64(mb)<<20); err != nil {
		return res, err
	}
	for _, i := range []int{2, 3} {
		if err := c.WaitRead(ctx, 1, i, 5*time.Minute); err != nil {
			return res, err
		}
		if err := c.StopIOThread(ctx, i); err != nil {
			return res, err
		}
	}
	if res.OwnSQLThread, err = ownSQLThread(ctx, c, 2); err != nil {
		return res, err
	}
	if err := diffReplay(ctx, c, 3, bin, &res); err != nil {
		return res, err
	}
	if err := c.CompareChecksums(ctx, 2, 3); err != nil {
		res.ChecksumsDiffer = err.Error()
	}
	return res, nil
}

// loadBytes writes with 8 clients until the master's binlog grew by n bytes.
func loadBytes(ctx context.Context, c *cluster.Cluster, n int64) error {
	start, err := binlogPos(ctx, c, 1)
	if err != nil {
		return err
	}
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Rows: 100_000_000, Workers: 8, Duration: 30 * time.Minute})
	if err != nil {
		return err
	}
	defer l.Stop()
	for {
		pos, err := binlogPos(ctx, c, 1)
		if err != nil {
			return err
		}
		if pos-start >= n {
			return nil
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// binlogPos is host i's binlog position (one binlog file: testenv's
// max_binlog_size is 1 GB).
func binlogPos(ctx context.Context, c *cluster.Cluster, i int) (int64, error) {
	ms, err := c.MasterStatus(ctx, i)
	if err != nil {
		return 0, err
	}
	return strconv.ParseInt(ms["Position"], 10, 64)
}

// mariadb is the syntax the statements below are built for.
var mariadb = repl.Version{MariaDB: true, Major: 10, Minor: 11}

// ownSQLThread runs host i's SQL thread as mhago does (its parallel
// workers, conservative mode) until it executed everything it read.
func ownSQLThread(ctx context.Context, c *cluster.Cluster, i int) (time.Duration, error) {
	set, err := replsql.SetParallelApplier(mariadb, replsql.ParallelApplier{Threads: phases.OwnApplierThreads, Mode: "conservative"})
	if err != nil {
		return 0, err
	}
	if err := c.Exec(ctx, i, set.SQL()); err != nil {
		return 0, err
	}
	t0 := time.Now()
	if err := c.Exec(ctx, i, replsql.Start(mariadb, replsql.SQLThread).SQL()); err != nil {
		return 0, err
	}
	for deadline := time.Now().Add(30 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, err := c.SlaveStatus(ctx, i)
		if err != nil {
			return 0, err
		}
		if st["Exec_Master_Log_Pos"] == st["Read_Master_Log_Pos"] && st["Relay_Master_Log_File"] == st["Master_Log_File"] {
			took := time.Since(t0)
			return took, c.StopSQLThread(ctx, i)
		}
	}
	return 0, fmt.Errorf("host %d's SQL thread did not catch up", i)
}

// diffReplay extracts host i's unexecuted relay log with the agent and
// applies it through the client, as a failover does for a diff.
func diffReplay(ctx context.Context, c *cluster.Cluster, i int, bin agentctl.Binary, res *ApplyResult) error {
	pool := remote.NewPool(remote.Options{KeyFiles: []string{c.ClientKeyFile()}, KnownHostsFile: c.KnownHostsFile()})
	defer pool.Close()
	cl, err := pool.Client(ctx, remote.Target{Name: "host" + strconv.Itoa(i), Host: c.IP(i), Port: c.Options().SSHPort, User: "root"})
	if err != nil {
		return err
	}
	a, err := agentctl.Deploy(ctx, cl, c.WorkDir(i), "bench", bin)
	if err != nil {
		return err
	}
	defer a.Remove()
	st, err := c.SlaveStatus(ctx, i)
	if err != nil {
		return err
	}
	pos, _ := strconv.ParseInt(st["Relay_Log_Pos"], 10, 64)
	out := path.Join(a.Dir(), "exec.binlog")
	t0 := time.Now()
	d, err := a.Diff(ctx, proto.FindRequest{RelayDir: c.RelayDir(i), RelayPrefix: "relay-bin", ServerID: uint32(i),
		FromFile: st["Relay_Log_File"], FromPos: pos, Output: out})
	if err != nil {
		return err
	}
	res.DiffExtract = time.Since(t0)
	if d.Extract != nil {
		res.Bytes, res.Transactions = d.Extract.Bytes, d.Extract.Transactions
	}
	t0 = time.Now()
	_, err = a.Apply(ctx, proto.ApplyRequest{Files: []string{out}, Host: c.IP(i), Port: c.Options().MySQLPort,
		User: "mhago", Password: c.Password(), Workdir: a.Dir(), LockDir: c.WorkDir(i)}, nil)
	res.DiffReplay = time.Since(t0)
	return err
}
