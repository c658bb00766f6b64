package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/internal/redact"
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

func runCheck(c *cli.Context) (err error) {
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
	action := ""
	defer func() { logCheckHistory(c, cfg, rep, exitCode(err), action) }()
	var refused error
	if failoverIfDead {
		refused = failoverRefusal(cfg, res, c.Bool("no-lock"))
		if refused == nil {
			action = "started"
			return checkThenFailover(c, cfg, rep)
		}
		action = "refused"
		rep.ExitCode = exitCode(refused)
	}
	if err := writeCheck(c, rep, refused); err != nil {
		return err
	}
	switch {
	case refused != nil:
		fmt.Fprintf(c.App.ErrWriter, "mhago: %v\n", refused)
		return &reportedError{refused}
	case res.Err() != nil:
		return &reportedError{res.Err()}
	}
	return nil
}

// checkThenFailover is cron mode once the master is found unreachable:
// the check, then the failover. With --json both go in one document.
func checkThenFailover(c *cli.Context, cfg *config.Config, rep checks.Report) error {
	if !c.Bool("json") {
		if err := writeCheckTable(c.App.Writer, rep); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "\nmaster unreachable: starting the failover (--failover-if-dead)\n\n")
		return failover(c, cfg)
	}
	doc := cronDocument{Report: rep}
	fail := func(err error) error {
		fmt.Fprintf(c.App.ErrWriter, "mhago: %v\n", err)
		doc.ExitCode, doc.Error = exitCode(err), err.Error()
		if werr := writeJSON(c.App.Writer, doc); werr != nil {
			return werr
		}
		return &reportedError{err}
	}
	op, err := failoverOperation(c, cfg)
	if err != nil {
		return fail(err)
	}
	frep, runErr, err := execOperation(c, cfg, op)
	if err != nil {
		return fail(err)
	}
	safe, err := frep.Sanitized()
	if err != nil {
		return err
	}
	run := newRunDocument(safe, runErr)
	doc.Failover, doc.ExitCode = &run, run.ExitCode
	if err := writeJSON(c.App.Writer, doc); err != nil {
		return err
	}
	if runErr != nil {
		return &reportedError{runErr}
	}
	return nil
}

// logCheckHistory appends one line per check to manager_log, whatever
// log_level says: from cron, the log is then the cluster's history (when,
// what was found, the exit code, the master, and whether a failover was
// started or refused). Without manager_log there is no history: stderr
// would mail it from cron every minute.
func logCheckHistory(c *cli.Context, cfg *config.Config, rep checks.Report, code int, failover string) {
	if cfg.ManagerLog == "" {
		return
	}
	f, err := os.OpenFile(cfg.ManagerLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return // the check's manager_log finding says why
	}
	defer f.Close()
	w := redact.NewWriter(f, scrubber(c))
	defer w.Flush()
	attrs := []any{"app", rep.App, "status", rep.Status, "exit_code", code, "master", orDash(rep.Master), "duration_ms", rep.DurationMS}
	if failover != "" {
		attrs = append(attrs, "failover", failover)
	}
	slog.New(slog.NewTextHandler(w, nil)).Info("check", attrs...)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
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

// writeCheck prints the check, and why --failover-if-dead did not fail
// over (refused, or nil).
func writeCheck(c *cli.Context, rep checks.Report, refused error) error {
	if c.Bool("json") {
		doc := cronDocument{Report: rep}
		if refused != nil {
			doc.Error = refused.Error()
		}
		return writeJSON(c.App.Writer, doc)
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

// reportConfigError prints config problems as the one JSON document when
// --json asks for it.
func reportConfigError(c *cli.Context, err error) error {
	if !c.Bool("json") {
		return err
	}
	if werr := writeErrorDocument(c.App.Writer, err); werr != nil {
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
