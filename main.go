// Command mhago recovers a MySQL/MariaDB replication cluster when its master
// dies, without losing committed data. It reads MHA's app.cnf unchanged.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/buildinfo"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/internal/redact"
)

func main() {
	if startedAsAgent(os.Args[0]) {
		os.Exit(serveAgent(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	agentctl.SelfServes = true
	os.Exit(run(os.Args, os.Stdout, os.Stderr))
}

// run is main without the exit, so tests can drive the whole CLI. Every
// byte it writes passes one scrubber, which learns the config's secrets
// when the config is loaded: stdout (tables, reports, --json), stderr
// (errors, warnings) and, through newLogger, manager_log.
func run(args []string, stdout, stderr io.Writer) int {
	if code, ok := runMasterha(args, stdout, stderr); ok {
		return code // MHA's commands, translated to the ones below
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// go-redis prints dial retries straight to stderr, past the scrubber,
	// unless told otherwise; until a command opens its logger (check
	// reaches Redis before), they are dropped: the errors are returned.
	coord.RedisLogsTo(nil)
	instance.DriverLogsTo(nil)
	sc := redact.New()
	out, errOut := redact.NewWriter(stdout, sc), redact.NewWriter(stderr, sc)
	defer errOut.Flush()
	defer out.Flush()
	app := newApp(out, errOut)
	app.Metadata = map[string]any{scrubberKey: sc}
	err := app.RunContext(ctx, args)
	code := exitCode(err)
	if err != nil && !errors.Is(err, errReported) {
		fmt.Fprintf(errOut, "mhago: %v\n", err)
		if wantsJSON(args) {
			// No document was printed yet: this one is the invocation's.
			writeErrorDocument(out, err)
		}
	}
	if errors.Is(err, errReported) {
		code = exitCode(errors.Unwrap(err))
	}
	return code
}

// scrubberKey holds, in the app's Metadata, the scrubber every output of
// the command goes through.
const scrubberKey = "scrubber"

// scrubber is the command's scrubber (an empty one in tests that build
// the app without run).
func scrubber(c *cli.Context) *redact.Scrubber {
	if sc, ok := c.App.Metadata[scrubberKey].(*redact.Scrubber); ok {
		return sc
	}
	sc := redact.New()
	if c.App.Metadata == nil {
		c.App.Metadata = map[string]any{}
	}
	c.App.Metadata[scrubberKey] = sc
	return sc
}

// errReported wraps an error whose details the command already printed in
// its own output (a check table, a JSON document), so main only exits.
var errReported = errors.New("reported")

type reportedError struct{ err error }

func (e *reportedError) Error() string        { return e.err.Error() }
func (e *reportedError) Is(target error) bool { return target == errReported }
func (e *reportedError) Unwrap() error        { return e.err }

func newApp(stdout, stderr io.Writer) *cli.App {
	app := &cli.App{
		Name:           "mhago",
		Usage:          "recover a MySQL/MariaDB replication cluster when its master dies",
		Version:        buildinfo.Version,
		Writer:         stdout,
		ErrWriter:      stderr,
		ExitErrHandler: func(*cli.Context, error) {}, // main maps errors to exit codes
		OnUsageError:   usageError,
		Action:         unknownCommand,
		// `mhago --generate-bash-completion` lists commands and flags for
		// the shell completion scripts in packaging/completion.
		EnableBashCompletion: true,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "log-level", Value: "", Usage: "debug, info, warn or error (default: log_level from the config, else warn on stderr)"},
		},
		Commands: append(withUsageErrors(checkCommand(), failoverCommand(), switchoverCommand(), rejoinCommand(), monitorCommand(), configCommand(), versionCommand(), manCommand()),
			statusCommand(), stopCommand(), secondaryCheckCommand(), masterhaCommand()),
		CustomAppHelpTemplate: cli.AppHelpTemplate + "\n" + exitStatusHelp + "\n",
	}
	secondsFlags(app.Commands) // every duration flag of every command takes bare seconds
	return app
}

// withUsageErrors makes every command's flag mistakes exit with exitConfig.
func withUsageErrors(cmds ...*cli.Command) []*cli.Command {
	for _, c := range cmds {
		c.OnUsageError = usageError
	}
	return cmds
}

func usageError(_ *cli.Context, err error, _ bool) error {
	return fmt.Errorf("%w: %w", errUsage, err)
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:        "version",
		Usage:       "print the version, commit, Go version and where the node agent comes from",
		Description: "Example:\n   mhago version --json",
		Flags:       []cli.Flag{&cli.BoolFlag{Name: "json", Usage: "machine-readable output"}},
		Action: func(c *cli.Context) error {
			v := describeVersion()
			if c.Bool("json") {
				return writeJSON(c.App.Writer, v)
			}
			_, err := io.WriteString(c.App.Writer, v.text())
			return err
		},
	}
}

// errManagerLog marks a manager_log that cannot be opened: a failover
// that cannot keep its log does not start.
var errManagerLog = errors.New("manager_log not writable")

// errConfigRead marks a config file that could not be read at all.
var errConfigRead = errors.New("cannot read config")

// loadConfig reads --conf (and --global-conf).
func loadConfig(c *cli.Context) (*config.Config, error) {
	path := c.String("conf")
	if path == "" {
		return nil, fmt.Errorf("%w: --conf is required (the MHA app.cnf of the cluster)", errUsage)
	}
	cfg, err := config.Load(path, loadOptions(c))
	if err != nil && !errors.Is(err, config.ErrInvalid) {
		return nil, fmt.Errorf("%w: %w", errConfigRead, err)
	}
	if cfg != nil {
		// From now on every output masks the config's secrets.
		scrubber(c).Add(cfg.Secrets()...)
		// On stderr, so that --json output on stdout stays one document.
		for _, w := range cfg.Warnings {
			fmt.Fprintf(c.App.ErrWriter, "mhago: config warning: %s\n", w)
		}
	}
	return cfg, err
}

// defaultGlobalConf is read when --global-conf is not given; the tests
// empty it, so that they never read this machine's /etc.
var defaultGlobalConf = config.DefaultGlobalFile

// loadOptions are the config files the flags name: --global-conf, else
// MHA's default global file when it exists, and --mhago-conf.
func loadOptions(c *cli.Context) config.LoadOptions {
	return config.LoadOptions{GlobalPath: c.String("global-conf"), DefaultGlobalPath: defaultGlobalConf,
		OverlayPath: c.String("mhago-conf")}
}

// newLogger writes structured logs to manager_log (appended) or stderr. The
// operator's output (tables, JSON, plans, reports) never goes through it.
func newLogger(c *cli.Context, cfg *config.Config) (*slog.Logger, func(), error) {
	level := slog.LevelWarn
	var w io.Writer = c.App.ErrWriter
	closeFn := func() {}
	toFile := cfg != nil && cfg.ManagerLog != ""
	if toFile {
		f, err := os.OpenFile(cfg.ManagerLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: open manager_log %s: %w (fix: create its directory writable for this user, or set manager_log)",
				errManagerLog, cfg.ManagerLog, err)
		}
		// Secrets are masked in the log as on stdout and stderr; the
		// handler writes whole lines, so nothing is held back for long.
		rw := redact.NewWriter(f, scrubber(c))
		w, closeFn, level = rw, func() { rw.Flush(); f.Close() }, cfg.SlogLevel()
	}
	var flagLevel *slog.Level
	if s := c.String("log-level"); s != "" {
		if err := level.UnmarshalText([]byte(s)); err != nil {
			return nil, nil, fmt.Errorf("%w: --log-level %q: %w", errUsage, s, err)
		}
		flagLevel = &level
	}
	var h slog.Handler = slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})
	if toFile {
		h = teeHandler(w, level, c.App.ErrWriter, flagLevel) // run by hand: the terminal sees it too
	}
	log := slog.New(h)
	coord.RedisLogsTo(log) // go-redis would otherwise print dial retries to stderr
	instance.DriverLogsTo(log)
	return log, closeFn, nil
}
