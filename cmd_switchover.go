package main

import (
	"context"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

func switchoverFlags() []cli.Flag {
	lim := decide.DefaultSwitchLimits()
	return []cli.Flag{
		&cli.BoolFlag{Name: "dry-run", Usage: "run every read-only step and print the plan; change nothing anywhere (Redis included)"},
		&cli.StringFlag{Name: "new-master", Usage: "promote this replica (`BLOCK`, hostname or ip:port); default: MHA's rules, every replica counting as latest"},
		&cli.BoolFlag{Name: "orig-master-is-new-slave", Aliases: []string{"orig_master_is_new_slave"}, Usage: "make the old master a replica of the new one (it stays read-only either way)"},
		&cli.DurationFlag{Name: "running-updates-limit", Aliases: []string{"running_updates_limit"}, Value: lim.RunningUpdates, Usage: "refuse while a write, or a transaction that changed rows, has run longer than this on the master"},
		&cli.DurationFlag{Name: "max-lag", Aliases: []string{"seconds_behind_master"}, Value: lim.ReplicaLag, Usage: "refuse while a replica is further behind (Seconds_Behind_Master)"},
		&cli.DurationFlag{Name: "running-seconds-limit", Aliases: []string{"running_seconds_limit"}, Value: lim.NewMasterQueries, Usage: "refuse while a query has run longer than this on the new master"},
		&cli.DurationFlag{Name: "block-wait", Value: 500 * time.Millisecond, Usage: "after read_only, how long writes still running on the old master may take before they are killed"},
		&cli.DurationFlag{Name: "catchup-timeout", Value: 30 * time.Second, Usage: "how long every replica may take to apply the marker row before the switchover is rolled back"},
		&cli.BoolFlag{Name: "no-lock", Usage: "run without the Redis lock (only when Redis is down and no other manager can run)"},
		&cli.BoolFlag{Name: "hook-password-args", Usage: "MHA compatibility: also pass passwords to hooks as --*_password= arguments (visible in ps)"},
		&cli.BoolFlag{Name: "resume", Usage: "finish an earlier switchover that failed after its point of no return"},
		&cli.BoolFlag{Name: "abandon", Usage: "close an earlier run that did not finish: before its point of no return, the old master takes writes again"},
	}
}

func switchoverCommand() *cli.Command {
	return &cli.Command{
		Name:  "switchover",
		Usage: "move the master to a replica while both are alive (MHA's masterha_master_switch --master_state=alive)",
		Description: `Refuses while a replica lags or a long write runs on the master; then, under
the Redis lock and journaled: master_ip_online_change_script --command=stop,
every [proxyN] stops traffic to the old master, read_only on the old master
(sessions still holding uncommitted writes are killed; writes still running
get --block-wait, then are killed), a marker row in mhago.active_master on
the old master, a wait until every replica holds that row, the new master
takes writes (the point of no return), proxies and --command=start open
traffic to it, and the other replicas are repointed. Any failure before the
new master takes writes rolls back: the old master takes writes again and
the proxies send traffic to it. The report gives the write-blocked window.

Example:
   mhago switchover --conf /etc/mha/app1.cnf --new-master server2 --dry-run
   mhago switchover --conf /etc/mha/app1.cnf --new-master server2 --orig-master-is-new-slave

` + exitStatusHelp,
		Flags:  append(confFlags(), switchoverFlags()...),
		Action: runSwitchover,
	}
}

func runSwitchover(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return reportConfigError(c, err)
	}
	if err := exclusiveResume(c); err != nil {
		return err
	}
	opts := phases.Options{DryRun: c.Bool("dry-run"), NewMaster: c.String("new-master"), NoLock: c.Bool("no-lock"),
		HookPasswordArgs: c.Bool("hook-password-args") || cfg.Scripts.PasswordArgs, AcceptNewHostKeys: c.Bool("accept-new-host-keys"),
		Resume: c.Bool("resume"), Abandon: c.Bool("abandon"), Command: strings.Join(os.Args, " "),
		Switch: phases.SwitchOptions{OrigMasterIsNewSlave: c.Bool("orig-master-is-new-slave"),
			Limits: decide.SwitchLimits{RunningUpdates: c.Duration("running-updates-limit"), ReplicaLag: c.Duration("max-lag"),
				NewMasterQueries: c.Duration("running-seconds-limit")},
			BlockWait: c.Duration("block-wait"), CatchUp: c.Duration("catchup-timeout")}}
	return runOperation(c, cfg, func(ctx context.Context, deps phases.Deps) (*report.Report, error) {
		return phases.Switchover(ctx, deps, opts)
	})
}
