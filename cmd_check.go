package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
)

func confFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "conf", Usage: "the cluster's MHA app.cnf (`FILE`)", Required: false},
		globalConfFlag(), mhagoConfFlag(),
		&cli.BoolFlag{Name: "json", Usage: "machine-readable output on stdout"},
		&cli.BoolFlag{Name: "accept-new-host-keys", Usage: "record SSH host keys of hosts not yet in known_hosts (a changed key is always refused)"},
	}
}

func checkCommand() *cli.Command {
	return &cli.Command{
		Name:  "check",
		Usage: "check SSH, MySQL, replication, binlog dirs, Redis and hooks on every host",
		Description: `Runs MHA's check_ssh and check_repl in one, on all hosts in parallel.
Safe to run from cron: it only reads.

Example:
   mhago check --conf /etc/mha/app1.cnf
   mhago check --conf /etc/mha/app1.cnf --json | jq .status
   * * * * * mhago check --conf /etc/mha/app1.cnf --failover-if-dead   (crontab)

` + exitStatusHelp,
		Flags: append(append(confFlags(),
			&cli.DurationFlag{Name: "max-lag", Value: 30 * time.Second, Usage: "largest Seconds_Behind_Master that counts as healthy (0 disables)"},
			&cli.BoolFlag{Name: "failover-if-dead", Usage: "when the master is unreachable, run the failover (cron mode; the Redis lock lets only one manager act; without redis_address it refuses, exit 9, unless --no-lock)"},
		), failoverFlags()...),
		Action: runCheck,
	}
}

func runCheck(c *cli.Context) error {
	start := time.Now()
	cfg, err := loadConfig(c)
	if err != nil {
		return reportConfigError(c, err)
	}
	printConfigNotes(c, cfg)
	in, res, err := observe(c, cfg)
	if err != nil {
		return err
	}
	rep := checks.BuildReport(in, res)
	rep.App, rep.Config, rep.DurationMS = cfg.App, cfg.Path, time.Since(start).Milliseconds()
	rep.Cluster, rep.ClusterSet = cfg.ClusterID(), cfg.ClusterIDSet()
	rep.ExitCode = exitCode(res.Err())
	failoverIfDead := c.Bool("failover-if-dead") && res.Worst() == checks.CatMasterUnreachable
	var refused error
	if failoverIfDead {
		refused = failoverRefusal(cfg, res, c.Bool("no-lock"))
		if refused != nil {
			rep.ExitCode = exitCode(refused)
		}
	}
	if err := writeCheck(c, rep); err != nil {
		return err
	}
	switch {
	case refused != nil:
		return refused // main prints it on stderr
	case failoverIfDead:
		fmt.Fprintf(c.App.Writer, "\nmaster unreachable: starting the failover (--failover-if-dead)\n\n")
		return failover(c, cfg)
	case res.Err() != nil:
		return &reportedError{res.Err()}
	}
	return nil
}

// observe runs the check: the manager host first (before the logger opens,
// and so creates, manager_log, so the check sees the log as the failover
// will), then every host.
func observe(c *cli.Context, cfg *config.Config) (checks.Input, checks.Result, error) {
	manager := checks.ObserveManager(cfg)
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		if manager.LogErr == "" {
			return checks.Input{}, checks.Result{}, err
		}
		// The finding names the log and the fix; logs go to stderr meanwhile.
		log, closeLog = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn})), func() {}
	}
	defer closeLog()
	ctx, cancel := context.WithTimeout(c.Context, cfg.Timeouts.Check)
	defer cancel()
	opts := checks.Options{MaxLag: c.Duration("max-lag"), AcceptNewHostKeys: c.Bool("accept-new-host-keys"), Logger: log, Manager: manager,
		HookPasswordArgs: c.Bool("hook-password-args")}
	// Once per run: every host gets the same binary a failover would push.
	if bin, err := agentctl.Locate(ctx, cfg.AgentPath); err != nil {
		opts.AgentErr = err
	} else {
		opts.Agent = &bin
	}
	in, res := checks.Run(ctx, cfg, opts)
	return in, res, c.Context.Err()
}

func writeCheck(c *cli.Context, rep checks.Report) error {
	if c.Bool("json") {
		return writeJSON(c.App.Writer, rep)
	}
	return writeCheckTable(c.App.Writer, rep)
}

// failoverRefusal is why --failover-if-dead must not start the failover
// it would start now, or nil. Cron runs it on several manager hosts at
// once: without the Redis lock two of them would fail over together, and
// a failover that cannot write its journal, report or guard files must
// not start at all.
func failoverRefusal(cfg *config.Config, res checks.Result, noLock bool) error {
	for _, f := range res.Findings {
		if f.Severity == checks.SevFail && (f.Check == "manager_workdir" || f.Check == "manager_log") {
			return fmt.Errorf("%w: master unreachable, but refusing to fail over: %s (fix: %s)", checks.ErrEnvironment, f.Message, f.Fix)
		}
	}
	if !cfg.Redis.Enabled() && !noLock {
		return fmt.Errorf("%w: the master is unreachable, but there is no lock to take: without redis_address nothing stops "+
			"another manager host's cron from failing over at the same time (fix: set redis_address in [server default], "+
			"or add --no-lock if this is the only host that runs --failover-if-dead)", errNoLock)
	}
	return nil
}

// reportConfigError prints config problems as JSON when --json asks for it.
func reportConfigError(c *cli.Context, err error) error {
	if !c.Bool("json") {
		return err
	}
	out := map[string]any{"healthy": false, "status": "config_error", "exit_code": exitCode(err), "error": err.Error()}
	var pe *config.ProblemsError
	if errors.As(err, &pe) {
		out["problems"] = pe.Problems
	}
	if werr := writeJSON(c.App.Writer, out); werr != nil {
		return werr
	}
	return &reportedError{err}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeCheckTable(w io.Writer, rep checks.Report) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "HOST\tADDRESS\tROLE\tMYSQL\tSSH\tWORKDIR\tIO\tSQL\tLAG\tPOSITION")
	for _, h := range rep.Hosts {
		io, sql, lag, pos := "-", "-", "-", h.Binlog
		if r := h.Replica; r != nil {
			io, sql, pos = r.IORunning, r.SQLRunning, "exec "+r.Exec
			if r.SecondsBehindMaster != nil {
				lag = fmt.Sprintf("%ds", *r.SecondsBehindMaster)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Address, h.Role, shortState(h.MySQL), shortState(h.SSH),
			workdirState(h.RemoteWorkdir), io, sql, lag, pos)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if d := rep.DualMaster; d != nil {
		fmt.Fprintf(w, "dual master: %s active (takes the writes), %s passive (replicates from it; candidate for a failover)\n", d.Active, d.Passive)
	}
	if r := rep.Redis; r != nil {
		fmt.Fprintf(w, "redis %s: %s\n", r.Address, map[bool]string{true: "ok", false: "UNREACHABLE"}[r.OK])
	} else {
		fmt.Fprintln(w, "redis: not configured (no failover lock)")
	}
	if m := rep.Manager; m != nil {
		fmt.Fprintf(w, "manager_workdir %s: %s\n", m.Workdir, shortManagerState(m.WorkdirState))
		if m.Log != "" {
			fmt.Fprintf(w, "manager_log %s: %s\n", m.Log, shortManagerState(m.LogState))
		}
	}
	if len(rep.ReplLogins) > 0 {
		fmt.Fprintf(w, "repl logins to candidate masters: %s\n", loginSummary(rep.ReplLogins))
	}
	for _, hk := range rep.Hooks {
		fmt.Fprintf(w, "hook %s: %s (passwords: %s)\n", hk.Key, map[bool]string{true: "ok", false: "FAILED"}[hk.OK], passwordStyleText(hk.PasswordStyle))
	}
	fmt.Fprintln(w)
	for _, f := range rep.Findings {
		writeFinding(w, f)
	}
	verdict := "healthy"
	if !rep.Healthy {
		verdict = "NOT healthy: " + rep.Status
	}
	how := "derived from the servers; set cluster_id to pin it"
	if rep.ClusterSet {
		how = "cluster_id"
	}
	fmt.Fprintf(w, "cluster id %s (%s): the lock, journal and guard files of every manager of this cluster use it\n", rep.Cluster, how)
	_, err := fmt.Fprintf(w, "%s: %s (exit %d, %d ms)\n", rep.App, verdict, rep.ExitCode, rep.DurationMS)
	return err
}

func writeFinding(w io.Writer, f checks.Finding) {
	where := f.Check
	if f.Host != "" {
		where = f.Host + " " + f.Check
	}
	cat := ""
	if f.Category != "" {
		cat = "[" + string(f.Category) + "] "
	}
	fmt.Fprintf(w, "%-4s  %s%s: %s\n", f.Severity, cat, where, f.Message)
	if f.Fix != "" {
		fmt.Fprintf(w, "      fix: %s\n", f.Fix)
	}
}

// shortState condenses an error message to a word for the table; the
// findings below it carry the whole message.
func shortState(s string) string {
	switch {
	case s == "ok" || s == "skipped":
		return s
	case strings.Contains(s, instance.ErrAccessDenied.Error()), strings.Contains(s, remote.ErrAuth.Error()):
		return "REFUSED"
	case strings.Contains(s, remote.ErrHostKey.Error()):
		return "HOSTKEY"
	}
	return "DOWN"
}

// workdirState condenses remote_workdir and its agent to a word; the
// findings carry the details, the JSON the free space and tools.
func workdirState(wr *checks.WorkdirReport) string {
	switch {
	case wr == nil:
		return "-"
	case !wr.Exists:
		return "MISSING"
	case !wr.Writable:
		return "UNWRITABLE"
	case wr.NoExec:
		return "NOEXEC"
	case wr.Agent == "skipped":
		return "ok"
	case wr.Agent != "ok":
		return "AGENT"
	case wr.ToolsError != "":
		return "NOTOOLS"
	}
	return "ok"
}

func shortManagerState(s string) string {
	switch s {
	case "ok":
		return "ok"
	case "missing":
		return "missing (the failover creates it)"
	}
	return "FAILED"
}

// loginSummary counts the replication user's logins by result.
func loginSummary(logins []checks.ReplLoginReport) string {
	counts := map[string]int{}
	var order []string
	for _, l := range logins {
		if counts[l.Result] == 0 {
			order = append(order, l.Result)
		}
		counts[l.Result]++
	}
	parts := make([]string, len(order))
	for i, r := range order {
		parts[i] = fmt.Sprintf("%d %s", counts[r], r)
	}
	return strings.Join(parts, ", ")
}

func passwordStyleText(style string) string {
	if style == string(hooks.PasswordsInArgs) {
		return "as MHA's arguments and in the environment, hook_password_args=1"
	}
	return "in the environment only"
}
