// Command testenv starts, inspects, breaks and stops the real test cluster
// of package cluster from the shell:
//
//	go run ./testenv up|down|status|kill-mysql N|start-mysql N|stop-sshd N|start-sshd N|
//	    stop-io N|stop-sql N|start-slave N|rotate-hostkey N|flush-logs N|load|checksum
//	    [--dir DIR] [--hosts 4] [--gtid] [--netns] [--base 10] [--max-binlog-size N]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"time"

	"github.com/mhago/mhago/testenv/cluster"
)

type cliArgs struct {
	opts    cluster.Options
	verb    string
	host    int
	rows    int
	workers int
	dur     time.Duration
	follow  bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	a, err := parseArgs(os.Args[1:])
	if err == nil {
		err = run(ctx, a)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// parseArgs accepts flags before and after the verb and its host number.
func parseArgs(args []string) (cliArgs, error) {
	var a cliArgs
	fs := flag.NewFlagSet("testenv", flag.ContinueOnError)
	fs.StringVar(&a.opts.Dir, "dir", cluster.DefaultDir, "environment directory")
	fs.IntVar(&a.opts.Hosts, "hosts", cluster.DefaultHosts, "number of MariaDB hosts (up)")
	fs.IntVar(&a.opts.Base, "base", cluster.DefaultBase, "host i listens on 127.0.$MHAGO_TESTENV_NET.(base+i) (up)")
	fs.BoolVar(&a.opts.GTID, "gtid", false, "replicate with MASTER_USE_GTID=slave_pos (up)")
	fs.BoolVar(&a.opts.DualMaster, "dual-master", false, "hosts 1 and 2 replicate from each other, host 2 read_only (up)")
	fs.BoolVar(&a.opts.Netns, "netns", false, "every host in its own network namespace on a bridge, at 10.$MHAGO_TESTENV_NET.(base).(10+i), with a VIP on host 1 (up; needs root)")
	fs.Int64Var(&a.opts.MaxBinlogSize, "max-binlog-size", cluster.DefaultMaxBinlogSize, "max_binlog_size (up)")
	fs.IntVar(&a.rows, "rows", 1000, "rows to insert (load)")
	fs.IntVar(&a.workers, "workers", 4, "concurrent writers (load)")
	fs.DurationVar(&a.dur, "duration", 30*time.Second, "time bound (load)")
	fs.BoolVar(&a.follow, "follow", false, "as the application user, follow the master when writes are refused (load)")
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return a, err
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) == 0 {
		return a, errors.New("missing verb (up, down, status, kill-mysql N, ...)")
	}
	a.verb = pos[0]
	if len(pos) > 1 {
		n, err := strconv.Atoi(pos[1])
		if err != nil {
			return a, fmt.Errorf("host number %q: %w", pos[1], err)
		}
		a.host = n
	}
	return a, nil
}

func run(ctx context.Context, a cliArgs) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if a.verb == "up" {
		a.opts.Logger = logger
		t0 := time.Now()
		c, err := cluster.Up(ctx, a.opts)
		if err != nil {
			return err
		}
		fmt.Printf("cluster up in %s\nconfig: %s\n", time.Since(t0).Round(time.Millisecond), c.ConfigPath())
		return nil
	}
	if _, ok := hostVerbs[a.verb]; !ok && !clusterVerbs[a.verb] {
		return fmt.Errorf("unknown verb %q", a.verb)
	}
	c, err := cluster.Open(a.opts.Dir, logger)
	if err != nil {
		return err
	}
	if f, ok := hostVerbs[a.verb]; ok {
		if a.host < 1 || a.host > c.N() {
			return fmt.Errorf("%s needs a host number 1..%d", a.verb, c.N())
		}
		return f(ctx, c, a.host)
	}
	switch a.verb {
	case "down":
		return c.Down()
	case "status":
		return status(ctx, c)
	case "load":
		return load(ctx, c, a)
	case "checksum":
		return checksum(ctx, c)
	}
	return fmt.Errorf("unknown verb %q", a.verb)
}

var clusterVerbs = map[string]bool{"down": true, "status": true, "load": true, "checksum": true}

var hostVerbs = map[string]func(context.Context, *cluster.Cluster, int) error{
	"kill-mysql":     func(_ context.Context, c *cluster.Cluster, i int) error { return c.KillMySQL(i) },
	"start-mysql":    func(_ context.Context, c *cluster.Cluster, i int) error { return c.StartMySQL(i) },
	"stop-mysql":     func(_ context.Context, c *cluster.Cluster, i int) error { return c.StopMySQL(i) },
	"stop-sshd":      func(_ context.Context, c *cluster.Cluster, i int) error { return c.StopSSHD(i) },
	"start-sshd":     func(_ context.Context, c *cluster.Cluster, i int) error { return c.StartSSHD(i) },
	"stop-io":        func(ctx context.Context, c *cluster.Cluster, i int) error { return c.StopIOThread(ctx, i) },
	"stop-sql":       func(ctx context.Context, c *cluster.Cluster, i int) error { return c.StopSQLThread(ctx, i) },
	"start-slave":    func(ctx context.Context, c *cluster.Cluster, i int) error { return c.StartSlave(ctx, i) },
	"flush-logs":     func(ctx context.Context, c *cluster.Cluster, i int) error { return c.FlushBinaryLogs(ctx, i) },
	"rotate-hostkey": func(ctx context.Context, c *cluster.Cluster, i int) error { return c.RotateHostKey(ctx, i) },
}

func status(ctx context.Context, c *cluster.Cluster) error {
	fmt.Printf("dir %s  config %s  redis %s pid %d alive=%v\n",
		c.Dir(), c.ConfigPath(), c.RedisAddr(), c.Procs()[0].Pid, c.Procs()[0].Alive())
	for i := 1; i <= c.N(); i++ {
		h := c.Host(i)
		line := fmt.Sprintf("host%d %s mysqld pid %d alive=%v sshd pid %d alive=%v",
			i, c.IP(i), h.MySQL.Pid, h.MySQL.Alive(), h.SSHD.Pid, h.SSHD.Alive())
		if h.MySQL.Alive() {
			line += replStatus(ctx, c, i)
		}
		fmt.Println(line)
	}
	return nil
}

func replStatus(ctx context.Context, c *cluster.Cluster, i int) string {
	ms, err := c.MasterStatus(ctx, i)
	if err != nil {
		return " (" + err.Error() + ")"
	}
	s := fmt.Sprintf(" binlog %s:%s", ms["File"], ms["Position"])
	ss, err := c.SlaveStatus(ctx, i)
	if err != nil || len(ss) == 0 {
		return s
	}
	return s + fmt.Sprintf(" master %s io=%s sql=%s exec %s:%s", ss["Master_Host"],
		ss["Slave_IO_Running"], ss["Slave_SQL_Running"], ss["Relay_Master_Log_File"], ss["Exec_Master_Log_Pos"])
}

func load(ctx context.Context, c *cluster.Cluster, a cliArgs) error {
	host := a.host
	if host == 0 {
		host = 1
	}
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Host: host, Rows: a.rows, Duration: a.dur, Workers: a.workers, Follow: a.follow})
	if err != nil {
		return err
	}
	r := l.Wait()
	fmt.Printf("acked %d rows (max id %d) in %s, errors %d, last error %v\n",
		len(r.Acked), r.MaxAcked, r.Elapsed.Round(time.Millisecond), r.Errors, r.LastErr)
	if a.follow {
		for addr, ids := range r.AckedBy {
			fmt.Printf("acked on %s: %d\n", addr, len(ids))
		}
		fmt.Printf("refused %d, %d write-blocked windows, longest %s (one worker: %s)\n",
			r.Refused, len(r.Windows), r.Blocked.Round(time.Millisecond), r.BlockedWorkerMax.Round(time.Millisecond))
	}
	return nil
}

func checksum(ctx context.Context, c *cluster.Cluster) error {
	if err := c.SyncReplicas(ctx); err != nil {
		return err
	}
	for i := 1; i <= c.N(); i++ {
		sums, err := c.Checksums(ctx, i)
		if err != nil {
			fmt.Printf("host%d: %v\n", i, err)
			continue
		}
		names := make([]string, 0, len(sums))
		for n := range sums {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Printf("host%d %s %s\n", i, n, sums[n])
		}
	}
	if err := c.CompareChecksums(ctx); err != nil {
		return err
	}
	fmt.Println("checksums equal")
	return nil
}
