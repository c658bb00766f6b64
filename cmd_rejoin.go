package main

import (
	"context"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

func rejoinCommand() *cli.Command {
	return &cli.Command{
		Name:  "rejoin",
		Usage: "bring a repaired old master back as a replica of the current master",
		Description: `Finds the current master (the server the replicas replicate from, checked
against the active-master records and the Redis topology), then whether the
host holds transactions the cluster never received: in file/pos mode the
events in its binlog past the position where the cluster's copy of its
history ends (from the active-master record the failover wrote on the new
master, else the failover's journal in manager_workdir); in GTID mode its
GTIDs the current master lacks. If it holds any, the rejoin is refused
(exit 16) and nothing is changed: the report lists them (file:pos range or
GTIDs) and where the failover's saved copy of its binlog is, if one is kept.
Otherwise it sets read_only on the host, points it at the current master at
the exact coordinates (MASTER_USE_GTID=slave_pos in MariaDB GTID mode),
starts replication and waits until it has caught up (bounded). It takes the
cluster lock and keeps a journal and a report like a failover.

Example:
   mhago rejoin --conf /etc/mha/app1.cnf --host server1 --dry-run
   mhago rejoin --conf /etc/mha/app1.cnf --host server1

` + exitStatusHelp,
		Flags: append(confFlags(),
			&cli.StringFlag{Name: "host", Required: true, Usage: "the server to rejoin (`BLOCK`, hostname or ip:port)"},
			&cli.BoolFlag{Name: "dry-run", Usage: "run every read-only check and print the plan; change nothing"},
			&cli.BoolFlag{Name: "no-lock", Usage: "run without the Redis lock (only when Redis is down and no other manager can run)"},
		),
		Action: runRejoin,
	}
}

func runRejoin(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return reportConfigError(c, err)
	}
	opts := phases.Options{DryRun: c.Bool("dry-run"), Host: c.String("host"), NoLock: c.Bool("no-lock"),
		AcceptNewHostKeys: c.Bool("accept-new-host-keys"), Command: strings.Join(os.Args, " ")}
	return runOperation(c, cfg, func(ctx context.Context, deps phases.Deps) (*report.Report, error) {
		return phases.Rejoin(ctx, deps, opts)
	})
}
