package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"
)

// unknownCommand is the app's action: reached only when no command matched,
// so a mistyped command (mhago fialover) is a usage error (exit 2), not a
// help page that exits 1 (or 0, which cron would take for success).
func unknownCommand(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowAppHelp(c)
	}
	var names []string
	for _, cmd := range c.App.VisibleCommands() {
		names = append(names, cmd.Name)
	}
	return fmt.Errorf("%w: unknown command %q (fix: use one of %s; %s help lists them)",
		errUsage, c.Args().First(), strings.Join(names, ", "), c.App.Name)
}

// unknownSubcommand is unknownCommand for a command with subcommands
// (mhago config bogus).
func unknownSubcommand(c *cli.Context) error {
	if !c.Args().Present() {
		return cli.ShowSubcommandHelp(c)
	}
	var names []string
	for _, sub := range c.Command.VisibleCommands() {
		names = append(names, sub.Name)
	}
	return fmt.Errorf("%w: unknown command %q (fix: use one of %s; mhago %s --help lists them)",
		errUsage, strings.Join(c.Args().Slice(), " "), strings.Join(names, ", "), c.Command.Name)
}

// secondsDuration is a duration flag's value that also takes a bare number
// as seconds, as the config does (--max-lag 5 is 5 s, like max_lag=5).
type secondsDuration struct{ d time.Duration }

func (s *secondsDuration) Set(v string) error {
	d, err := parseSeconds(v)
	if err != nil {
		return err
	}
	s.d = d
	return nil
}

// String is a Go duration, which cli.Context.Duration parses back.
func (s *secondsDuration) String() string { return s.d.String() }

// parseSeconds reads "5" (seconds), "1.5" or a Go duration ("500ms", "2m").
func parseSeconds(v string) (time.Duration, error) {
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if f < 0 {
			return 0, fmt.Errorf("%q is negative", v)
		}
		return time.Duration(f * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%q is neither seconds (5) nor a duration (500ms, 2m)", v)
	}
	return d, nil
}

// secondsFlags replaces, in every command and subcommand, each duration
// flag with one whose value also takes bare seconds: one place for the
// whole CLI, so a flag added later gets it too.
func secondsFlags(cmds []*cli.Command) {
	for _, cmd := range cmds {
		for i, f := range cmd.Flags {
			if df, ok := f.(*cli.DurationFlag); ok {
				cmd.Flags[i] = &cli.GenericFlag{Name: df.Name, Aliases: df.Aliases, Usage: df.Usage + " (seconds, or a duration: 500ms, 2m)",
					EnvVars: df.EnvVars, Required: df.Required, Hidden: df.Hidden, Category: df.Category,
					Value: &secondsDuration{d: df.Value}}
			}
		}
		secondsFlags(cmd.Subcommands)
	}
}
