package main

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

// operation is one of the phases package's runs (failover, switchover,
// rejoin) with its options bound.
type operation func(context.Context, phases.Deps) (*report.Report, error)

// runOperation runs an operation and prints its report, which exists
// whatever the outcome.
func runOperation(c *cli.Context, cfg *config.Config, op operation) error {
	rep, runErr, err := execOperation(c, cfg, op)
	if err != nil {
		return err
	}
	if werr := printRunReport(c.App.Writer, rep, runErr, c.Bool("json")); werr != nil {
		return werr
	}
	if runErr != nil {
		return &reportedError{runErr}
	}
	return nil
}

// execOperation gives an operation what every run needs (the log, the
// agent binary, warnings on stderr, progress) and runs it. err
// is set when the run could not start; runErr is the run's own outcome.
func execOperation(c *cli.Context, cfg *config.Config, op operation) (rep *report.Report, runErr, err error) {
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		return nil, nil, err
	}
	defer closeLog()
	bin, err := agentctl.Locate(c.Context, cfg.AgentPath)
	if err != nil {
		return nil, nil, err
	}
	deps := phases.Deps{Config: cfg, Log: log, Agent: bin, Warn: func(msg string) { fmt.Fprintf(c.App.ErrWriter, "mhago: warning: %s\n", msg) }}
	pp := newProgressPrinter(c.App.Writer, c.App.ErrWriter, c.Bool("json"))
	deps.Progress = pp.show
	rep, runErr = op(c.Context, deps)
	pp.end()
	return rep, runErr, nil
}

// printRunReport prints the report's sanitized copy (the live report may
// hold a secret a caller put in a note or an error text); with --json it
// is the invocation's one document, with the exit code runErr maps to.
func printRunReport(w io.Writer, rep *report.Report, runErr error, asJSON bool) error {
	if rep == nil {
		return nil
	}
	safe, err := rep.Sanitized()
	if err != nil {
		return err
	}
	if asJSON {
		return writeJSON(w, newRunDocument(safe, runErr))
	}
	_, err = fmt.Fprint(w, report.Text(safe))
	return err
}

// exclusiveResume refuses --resume with --abandon.
func exclusiveResume(c *cli.Context) error {
	if c.Bool("resume") && c.Bool("abandon") {
		return fmt.Errorf("%w: --resume and --abandon exclude each other", errUsage)
	}
	return nil
}
