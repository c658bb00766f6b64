package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
)

func confFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "conf", Usage: "the cluster's MHA app.cnf (`FILE`)", Required: false},
		&cli.StringFlag{Name: "global-conf", Usage: "optional global defaults (`FILE`), like MHA's /etc/masterha_default.cnf"},
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
			&cli.BoolFlag{Name: "failover-if-dead", Usage: "when the master is unreachable, run the failover (cron mode; the Redis lock lets only one manager act)"},
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
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	ctx, cancel := context.WithTimeout(c.Context, cfg.Timeouts.Check)
	defer cancel()
	in, res := checks.Run(ctx, cfg, checks.Options{MaxLag: c.Duration("max-lag"), AcceptNewHostKeys: c.Bool("accept-new-host-keys"), Logger: log})
	if c.Context.Err() != nil {
		return c.Context.Err()
	}
	rep := checks.BuildReport(in, res)
	rep.App, rep.Config, rep.DurationMS = cfg.App, cfg.Path, time.Since(start).Milliseconds()
	rep.ExitCode = exitCode(res.Err())
	if c.Bool("json") {
		err = writeJSON(c.App.Writer, rep)
	} else {
		err = writeCheckTable(c.App.Writer, rep)
	}
	if err != nil {
		return err
	}
	if c.Bool("failover-if-dead") && res.Worst() == checks.CatMasterUnreachable {
		fmt.Fprintf(c.App.Writer, "\nmaster unreachable: starting the failover (--failover-if-dead)\n\n")
		return failover(c, cfg)
	}
	if res.Err() != nil {
		return &reportedError{res.Err()}
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
	fmt.Fprintln(tw, "HOST\tADDRESS\tROLE\tMYSQL\tSSH\tIO\tSQL\tLAG\tPOSITION")
	for _, h := range rep.Hosts {
		io, sql, lag, pos := "-", "-", "-", h.Binlog
		if r := h.Replica; r != nil {
			io, sql, pos = r.IORunning, r.SQLRunning, "exec "+r.Exec
			if r.SecondsBehindMaster != nil {
				lag = fmt.Sprintf("%ds", *r.SecondsBehindMaster)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Name, h.Address, h.Role, shortState(h.MySQL), shortState(h.SSH), io, sql, lag, pos)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if r := rep.Redis; r != nil {
		fmt.Fprintf(w, "\nredis %s: %s\n", r.Address, map[bool]string{true: "ok", false: "UNREACHABLE"}[r.OK])
	}
	for _, hk := range rep.Hooks {
		fmt.Fprintf(w, "hook %s: %s\n", hk.Key, map[bool]string{true: "ok", false: "FAILED"}[hk.OK])
	}
	fmt.Fprintln(w)
	for _, f := range rep.Findings {
		writeFinding(w, f)
	}
	verdict := "healthy"
	if !rep.Healthy {
		verdict = "NOT healthy: " + rep.Status
	}
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
