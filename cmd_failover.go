package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

func failoverFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "dry-run", Usage: "run every read-only step and print the plan; change nothing anywhere (Redis included)"},
		&cli.StringFlag{Name: "new-master", Usage: "promote this server (`BLOCK`, hostname or ip:port) if it is eligible"},
		&cli.BoolFlag{Name: "ignore-last-failover", Aliases: []string{"ignore_last_failover"}, Usage: "run even if the last failover completed less than --last-failover ago"},
		&cli.DurationFlag{Name: "last-failover", Value: 8 * time.Hour, Usage: "refuse when the last completed failover is younger than this (MHA's last_failover_minute)"},
		&cli.BoolFlag{Name: "no-lock", Usage: "run without the Redis lock (only when Redis is down and no other manager can run)"},
		&cli.BoolFlag{Name: "skip-save-binlog", Aliases: []string{"skip_save_master_binlog"}, Usage: "do not save the dead master's binlog over SSH"},
		&cli.BoolFlag{Name: "ignore-binlog-server-error", Aliases: []string{"ignore_binlog_server_error"}, Usage: "fail over even when the [binlogN] servers could not provide the dead master's binlog (what no replica received is then lost)"},
		&cli.BoolFlag{Name: "hook-password-args", Usage: "MHA compatibility: also pass passwords to hooks as --*_password= arguments (visible in ps); same as hook_password_args=1 in the config"},
		&cli.BoolFlag{Name: "remove-dead-master-conf", Aliases: []string{"remove_dead_master_conf"}, Usage: "after a fully successful failover, delete the dead master's [serverN] block from the config file"},
		&cli.DurationFlag{Name: "confirm-wait", Value: 15 * time.Second, Usage: "how long replicas may take to notice the master is gone"},
		&cli.BoolFlag{Name: "resume", Usage: "finish the earlier run that did not finish (or failed after its point of no return): same new master; each host's own state decides what is still to do"},
		&cli.BoolFlag{Name: "abandon", Usage: "close the earlier run that did not finish without finishing it: before its point of no return, restart what it stopped; after it, change nothing and keep the error file"},
		&cli.DurationFlag{Name: "apply-wait", Value: 2 * time.Minute, Usage: "how long to wait for an apply an earlier run left running on a host before stopping it"},
	}
}

func failoverCommand() *cli.Command {
	return &cli.Command{
		Name:  "failover",
		Usage: "recover the cluster from a dead master (MHA's masterha_master_switch --master_state=dead)",
		Description: `Confirms the master is dead, takes the Redis lock, stops the replicas' IO
threads, fences the old master with the hooks, saves its binlog over SSH,
elects a new master by MHA's rules, applies relay-log and binlog diffs so
every replica ends identical, repoints the replicas and writes a report
(text and JSON) in manager_workdir, also when it fails.

Example:
   mhago failover --conf /etc/mha/app1.cnf --dry-run
   mhago failover --conf /etc/mha/app1.cnf --new-master server2
   mhago failover --conf /etc/mha/app1.cnf --resume     (after a crash, or exit 13)

Every run keeps a journal in manager_workdir (mirrored to Redis): when an
earlier run did not finish, failover stops with exit 9, says where that run
stopped and prints the --resume and --abandon commands.

` + exitStatusHelp,
		Flags: append(append(confFlags(), failoverFlags()...),
			&cli.StringSliceFlag{Name: "dead-master", Usage: "refuse unless the replicas replicate from this server (`BLOCK`, hostname or IP, with or without :port; repeatable: each must name it)"}),
		Action: runFailover,
	}
}

func runFailover(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return reportConfigError(c, err)
	}
	return failover(c, cfg)
}

// failover runs (or plans) a failover and prints its report.
func failover(c *cli.Context, cfg *config.Config) error {
	op, err := failoverOperation(c, cfg)
	if err != nil {
		return err
	}
	return runOperation(c, cfg, op)
}

// failoverOperation is the failover the command line asks for.
func failoverOperation(c *cli.Context, cfg *config.Config) (operation, error) {
	if err := exclusiveResume(c); err != nil {
		return nil, err
	}
	opts := failoverOptions(c, cfg)
	return func(ctx context.Context, deps phases.Deps) (*report.Report, error) {
		return phases.Failover(ctx, deps, opts)
	}, nil
}

// failoverOptions are the failover flags' values (failover, and the
// monitor's failovers, which take the same flags).
func failoverOptions(c *cli.Context, cfg *config.Config) phases.Options {
	return phases.Options{DryRun: c.Bool("dry-run"), NewMaster: c.String("new-master"), DeadMaster: c.StringSlice("dead-master"), IgnoreLastFailover: c.Bool("ignore-last-failover"),
		LastFailover: c.Duration("last-failover"), NoLock: c.Bool("no-lock"), SkipSaveBinlog: c.Bool("skip-save-binlog"),
		IgnoreBinlogServerError: c.Bool("ignore-binlog-server-error"),
		RemoveDeadMasterConf:    c.Bool("remove-dead-master-conf"),
		HookPasswordArgs:        c.Bool("hook-password-args") || cfg.Scripts.PasswordArgs, AcceptNewHostKeys: c.Bool("accept-new-host-keys"),
		ConfirmWait: c.Duration("confirm-wait"), Resume: c.Bool("resume"), Abandon: c.Bool("abandon"),
		ApplyWait: c.Duration("apply-wait"), Command: strings.Join(os.Args, " ")}
}
