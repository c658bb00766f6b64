package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// manCommand prints mhago's man page (roff), generated from the commands
// and flags themselves so it cannot fall behind them; the release build
// (scripts/dist.sh) installs it as mhago(1). Hidden: not an operator's
// command.
func manCommand() *cli.Command {
	return &cli.Command{
		Name:   "man",
		Usage:  "print the man page (roff)",
		Hidden: true,
		Action: func(c *cli.Context) error {
			page, err := c.App.ToManWithSection(1)
			if err != nil {
				return fmt.Errorf("render the man page: %w", err)
			}
			_, err = fmt.Fprint(c.App.Writer, page, manExtra())
			return err
		},
	}
}

// manExtra is what the generated page lacks: exit codes, files, and the
// agent's origins.
func manExtra() string {
	status := strings.TrimPrefix(exitStatusHelp, "EXIT STATUS:\n")
	return "\n.SH EXIT STATUS\n.EX\n" + status + "\n.EE\n" + manFiles
}

const manFiles = `
.SH FILES
.TP
.I /etc/masterha_default.cnf
MHA's global defaults, read before the cluster's app.cnf.
.TP
.I /lib/systemd/system/mhago-monitor@.service, /etc/cron.d/mhago
the monitor as a systemd unit (one instance per cluster), and a commented cron line for
.B check --failover-if-dead.
.SH NODE AGENT
A run pushes a node agent to every database host (into remote_workdir, cached
by its SHA-256). It is the configured agent_path, else the agent built into
the binary (make build, the release packages), else mhago-agent beside the
mhago executable, else the mhago executable itself. The agent must run on the
database hosts: their architecture, and a static build (CGO_ENABLED=0) unless
they have the same C library.
.B mhago version
names the agent in use;
.B mhago check
pushes and runs it on every host.
.SH SEE ALSO
masterha_manager(1), masterha_check_repl(1)
`
