package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

// operation is one of the phases package's runs (failover, switchover,
// rejoin) with its options bound.
type operation func(context.Context, phases.Deps) (*report.Report, error)

// runOperation gives an operation what every run needs (the log, the
// agent binary, warnings on stderr, progress when asked), runs it and
// prints its report, which exists whatever the outcome.
func runOperation(c *cli.Context, cfg *config.Config, progress bool, op operation) error {
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	bin, err := agentctl.Locate(c.Context, cfg.AgentPath)
	if err != nil {
		return err
	}
	deps := phases.Deps{Config: cfg, Log: log, Agent: bin, Warn: func(msg string) { fmt.Fprintf(c.App.ErrWriter, "mhago: warning: %s\n", msg) }}
	var pp *progressPrinter
	if progress {
		pp = newProgressPrinter(c.App.Writer, c.App.ErrWriter, c.Bool("json"))
		deps.Progress = pp.show
	}
	rep, runErr := op(c.Context, deps)
	if pp != nil {
		pp.end()
	}
	if werr := printReport(c.App.Writer, rep, c.Bool("json")); werr != nil {
		return werr
	}
	if runErr != nil {
		return &reportedError{runErr}
	}
	return nil
}

// exclusiveResume refuses --resume with --abandon.
func exclusiveResume(c *cli.Context) error {
	if c.Bool("resume") && c.Bool("abandon") {
		return fmt.Errorf("%w: --resume and --abandon exclude each other", errUsage)
	}
	return nil
}
