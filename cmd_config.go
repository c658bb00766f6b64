package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/configsync"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
)

// errConfigRedis: config push, pull or watch could not reach Redis.
var errConfigRedis = errors.New("config sync needs redis")

// errNoRedisAddress: config push, pull or watch without redis_address.
var errNoRedisAddress = errors.New("no redis configured")

func configSyncFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "conf", Usage: "this manager host's MHA app.cnf (`FILE`)"},
		globalConfFlag(), mhagoConfFlag(),
		&cli.BoolFlag{Name: "json", Usage: "machine-readable output on stdout"},
	}
}

// globalConfFlag is MHA's --global_conf, also spelt --global-conf.
func globalConfFlag() cli.Flag {
	return &cli.StringFlag{Name: "global-conf", Aliases: []string{"global_conf"},
		Usage: "global defaults (`FILE`) read before --conf; default " + config.DefaultGlobalFile + " when it exists, as MHA"}
}

// mhagoConfFlag names the overlay holding mhago's own keys.
func mhagoConfFlag() cli.Flag {
	return &cli.StringFlag{Name: "mhago-conf", Aliases: []string{"mhago_conf"},
		Usage: "mhago's own keys and [proxyN] blocks (`FILE`), apart from the MHA app.cnf; default <app>.mhago.cnf beside --conf when it exists"}
}

func configCommand() *cli.Command {
	return &cli.Command{
		Name:  "config",
		Usage: "check a config file without touching any host; keep several manager hosts' files in agreement through Redis",
		Description: `validate loads the files as every command does and reports every problem.

push, pull and watch: the cluster part of a config file is its [serverN], [binlogN] and [proxyN]
blocks and the cluster keys of [server default] (cluster_id, vip,
vip_interface, port, user, repl_user, master_binlog_dir, remote_workdir,
client_bindir, client_libdir, master_pid_file, disable_log_bin,
handle_raw_binlog, skip_reset_slave, check_repl_delay, check_repl_filter,
latest_priority, multi_tier_slave, use_gtid_auto_pos). Everything else
(passwords, SSH keys, Redis, hooks, manager_workdir, manager_log, log_level,
timeouts, comments, layout) is this host's and is never pushed or changed.
The version a file holds is its config_version. A successful failover or
switchover pushes by itself; failover and switchover refuse (exit 17) to act
on a file older than Redis's version with another cluster part.

` + exitStatusHelp,
		Subcommands: withUsageErrors(configValidateCommand(), configPushCommand(), configPullCommand(), configWatchCommand()),
		Action:      unknownSubcommand, // runs only when no subcommand matched
	}
}

func configPushCommand() *cli.Command {
	return &cli.Command{
		Name:  "push",
		Usage: "store this file's cluster part in Redis as a new version and announce it",
		Description: `Refused (exit 17) when Redis holds a newer version with another cluster part:
pull first. Blocks may not carry a literal password (use password_file= or
${VARIABLE}, or keep it in [server default]). Records the new version in the file.

Example:
   mhago config push --conf /etc/mha/app1.cnf`,
		Flags:  configSyncFlags(),
		Action: runConfigPush,
	}
}

func configPullCommand() *cli.Command {
	return &cli.Command{
		Name:  "pull",
		Usage: "rewrite this file's cluster part to the newest version in Redis",
		Description: `Keeps every other line byte for byte, saves the old file as FILE.vN.bak,
checks the result loads, and replaces the file atomically. Never goes back to
an older version (exit 18).

Example:
   mhago config pull --conf /etc/mha/app1.cnf`,
		Flags:  configSyncFlags(),
		Action: runConfigPull,
	}
}

func configWatchCommand() *cli.Command {
	return &cli.Command{
		Name:  "watch",
		Usage: "pull now, then on every new version, until stopped; optionally run a command after each rewrite",
		Description: `Survives Redis restarts: it reconnects with backoff and reads the stored
version again, so a version announced while it was disconnected is pulled
too. --exec runs through /bin/sh after each rewrite, bounded by
--exec-timeout, with MHAGO_CONFIG, MHAGO_CONFIG_VERSION and MHAGO_CLUSTER in
its environment; its output is shown (secrets masked); a failure is a
warning. Stops on SIGINT or SIGTERM with exit 0.

Example:
   mhago config watch --conf /etc/mha/app1.cnf --exec 'systemctl restart mha-manager'`,
		Flags: append(configSyncFlags(),
			&cli.StringFlag{Name: "exec", Usage: "shell `COMMAND` to run after each rewrite"},
			&cli.DurationFlag{Name: "exec-timeout", Value: time.Minute, Usage: "how long --exec may run before it is killed"}),
		Action: runConfigWatch,
	}
}

// configClient loads --conf and opens its Redis.
func configClient(c *cli.Context) (*config.Config, *coord.Client, error) {
	cfg, err := loadConfig(c)
	if err != nil {
		return nil, nil, reportConfigError(c, err)
	}
	ro, ok := endpoints.Redis(cfg)
	if !ok {
		return nil, nil, fmt.Errorf("%w: redis_address is not set in %s (fix: set it in [server default])", errNoRedisAddress, cfg.Path)
	}
	return cfg, coord.NewClient(ro), nil
}

// redisFailure marks an unreachable Redis for the exit code.
func redisFailure(err error) error {
	if errors.Is(err, coord.ErrUnreachable) {
		return fmt.Errorf("%w: %w", errConfigRedis, err)
	}
	return err
}

func runConfigPush(c *cli.Context) error {
	cfg, rc, err := configClient(c)
	if err != nil {
		return err
	}
	defer rc.Close()
	pub, err := configsync.Push(c.Context, rc, cfg, 0, "")
	if err != nil {
		return redisFailure(err)
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, pushResult{ExitCode: exitOK, Status: statusOK, Published: pub})
	}
	_, err = fmt.Fprintf(c.App.Writer, "%s: pushed version %d of cluster %s's config to redis %s (fence %d)\n",
		cfg.Path, pub.Version, cfg.ClusterID(), rc.Where(), pub.Fence)
	return err
}

// pushResult is what push prints with --json: the version it published.
type pushResult struct {
	ExitCode int    `json:"exit_code"`
	Status   string `json:"status"`
	*configsync.Published
}

// pullResult is what pull prints with --json.
type pullResult struct {
	ExitCode int    `json:"exit_code"`
	Status   string `json:"status"`
	Config   string `json:"config"`
	Changed  bool   `json:"changed"`
	Version  int64  `json:"version"`
	Backup   string `json:"backup,omitempty"`
}

func runConfigPull(c *cli.Context) error {
	cfg, rc, err := configClient(c)
	if err != nil {
		return err
	}
	defer rc.Close()
	changed, v, err := configsync.Pull(c.Context, rc, cfg)
	if err != nil {
		return redisFailure(err)
	}
	res := pullResult{ExitCode: exitOK, Status: statusOK, Config: cfg.Path, Changed: changed, Version: v}
	if changed {
		res.Backup = configsync.BackupPath(cfg.Path, cfg.ConfigVersion)
	}
	if c.Bool("json") {
		return writeJSON(c.App.Writer, res)
	}
	return printPull(c, res)
}

func printPull(c *cli.Context, r pullResult) error {
	var err error
	switch {
	case r.Changed:
		_, err = fmt.Fprintf(c.App.Writer, "%s: pulled version %d (the old file is %s)\n", r.Config, r.Version, r.Backup)
	case r.Version == 0:
		_, err = fmt.Fprintf(c.App.Writer, "%s: nothing published in redis yet\n", r.Config)
	default:
		_, err = fmt.Fprintf(c.App.Writer, "%s: up to date at version %d\n", r.Config, r.Version)
	}
	return err
}

// watchEvent is one line of watch --json.
type watchEvent struct {
	Event   string        `json:"event"` // pulled or exec
	Version int64         `json:"version"`
	Exec    *hooks.Result `json:"exec,omitempty"`
}

func runConfigWatch(c *cli.Context) error {
	cfg, rc, err := configClient(c)
	if err != nil {
		return err
	}
	defer rc.Close()
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	enc := json.NewEncoder(c.App.Writer)
	onChange := func(v int64) error {
		if c.Bool("json") {
			_ = enc.Encode(watchEvent{Event: "pulled", Version: v})
		} else {
			fmt.Fprintf(c.App.Writer, "%s: pulled version %d\n", cfg.Path, v)
		}
		if cmd := c.String("exec"); cmd != "" {
			runWatchExec(c, cfg, cmd, v, enc)
		}
		return nil
	}
	err = configsync.WatchWith(c.Context, rc, cfg, configsync.WatchOptions{OnChange: onChange, Log: log})
	if errors.Is(err, context.Canceled) {
		return nil // stopped by a signal: the watch's normal end
	}
	return redisFailure(err)
}

// runWatchExec runs --exec like a hook: through the shell, bounded, its
// output captured and masked; a failure is a warning.
func runWatchExec(c *cli.Context, cfg *config.Config, cmd string, v int64, enc *json.Encoder) {
	res := hooks.Run(c.Context, hooks.Call{Name: "config watch --exec", Path: cmd, Timeout: c.Duration("exec-timeout"),
		Env:   []string{"MHAGO_CONFIG=" + cfg.Path, "MHAGO_CONFIG_VERSION=" + strconv.FormatInt(v, 10), "MHAGO_CLUSTER=" + cfg.ClusterID()},
		Scrub: scrubber(c).Secrets})
	if c.Bool("json") {
		_ = enc.Encode(watchEvent{Event: "exec", Version: v, Exec: &res})
	} else if res.Output != "" {
		fmt.Fprint(c.App.Writer, res.Output)
	}
	if err := res.Error(); err != nil {
		fmt.Fprintf(c.App.ErrWriter, "mhago: warning: after version %d: %v\n", v, err)
	}
}

// printConfigNotes shows, on stderr, the config's notes (ssh_options values
// that only tune OpenSSH, ...): check and config validate show them, runs
// do not repeat them.
func printConfigNotes(c *cli.Context, cfg *config.Config) {
	for _, n := range cfg.Notes {
		fmt.Fprintf(c.App.ErrWriter, "mhago: config note: %s\n", n)
	}
}

func configValidateCommand() *cli.Command {
	return &cli.Command{
		Name:  "validate",
		Usage: "load and check the config files without touching any host (no SSH, MySQL or Redis)",
		Description: `Prints every problem with its file:line and fix, the warnings and the notes
(ssh_options values that only tune OpenSSH, shown here and by check only), and
a summary: the servers and the order in which the config prefers them as new
master. Exit 0 when the files load, 2 when they do not.

Example:
   mhago config validate --conf /etc/masterha/app1.cnf
   mhago config validate --conf /etc/masterha/app1.cnf --global_conf /etc/masterha_default.cnf --json`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "conf", Usage: "the MHA app.cnf to check (`FILE`)"},
			globalConfFlag(), mhagoConfFlag(),
			&cli.BoolFlag{Name: "json", Usage: "one JSON document on stdout"},
		},
		Action: runConfigValidate,
	}
}

// validateStatus is config validate's outcome category.
type validateStatus string

const (
	validateOK      validateStatus = "ok"
	validateInvalid validateStatus = "invalid"
)

// validateResult is what config validate prints.
type validateResult struct {
	Status         validateStatus   `json:"status"`
	ExitCode       int              `json:"exit_code"`
	Config         string           `json:"config"`
	GlobalConf     string           `json:"global_conf,omitempty"`
	MhagoConf      string           `json:"mhago_conf,omitempty"`
	Error          string           `json:"error,omitempty"` // a file that cannot be read at all
	Problems       []problemJSON    `json:"problems"`
	Warnings       []problemJSON    `json:"warnings"`
	Notes          []problemJSON    `json:"notes"`
	Servers        []validateServer `json:"servers,omitempty"`
	BinlogServers  []string         `json:"binlog_servers,omitempty"`
	Proxies        []string         `json:"proxies,omitempty"`
	CandidateOrder []string         `json:"candidate_order,omitempty"`
	LatestPriority bool             `json:"latest_priority"`
}

// problemJSON is a config.Problem in snake_case.
type problemJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Section string `json:"section,omitempty"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
	Fix     string `json:"fix,omitempty"`
	Text    string `json:"text"` // the one-line form the text output prints
}

type validateServer struct {
	Block           string `json:"block"`
	Hostname        string `json:"hostname"`
	Address         string `json:"address"`
	SSH             string `json:"ssh"`
	CandidateMaster bool   `json:"candidate_master,omitempty"`
	NoMaster        bool   `json:"no_master,omitempty"`
	IgnoreFail      bool   `json:"ignore_fail,omitempty"`
}

func problemsJSON(ps []config.Problem) []problemJSON {
	out := []problemJSON{}
	for _, p := range ps {
		out = append(out, problemJSON{File: p.File, Line: p.Line, Section: p.Section, Key: p.Key, Message: p.Msg, Fix: p.Fix, Text: p.String()})
	}
	return out
}

// validateOutcome turns a load's result into what validate prints.
func validateOutcome(path string, cfg *config.Config, err error) validateResult {
	r := validateResult{Status: validateOK, Config: path, Problems: []problemJSON{}, Warnings: []problemJSON{}, Notes: []problemJSON{}}
	var pe *config.ProblemsError
	switch {
	case errors.As(err, &pe):
		r.Problems = problemsJSON(pe.Problems)
	case err != nil:
		r.Error = err.Error()
	}
	if err != nil {
		r.Status, r.ExitCode = validateInvalid, exitCode(err)
		return r
	}
	r.GlobalConf, r.MhagoConf = cfg.GlobalPath, cfg.OverlayPath
	r.Warnings, r.Notes = problemsJSON(cfg.Warnings), problemsJSON(cfg.Notes)
	for _, s := range cfg.Servers {
		r.Servers = append(r.Servers, validateServer{Block: s.Block, Hostname: s.Hostname, Address: s.Addr(),
			SSH: s.SSHUser + "@" + s.SSHAddr(), CandidateMaster: s.CandidateMaster, NoMaster: s.NoMaster, IgnoreFail: s.IgnoreFail})
	}
	for _, s := range cfg.BinlogServers {
		r.BinlogServers = append(r.BinlogServers, s.Block)
	}
	for _, p := range cfg.Proxies {
		r.Proxies = append(r.Proxies, p.Block+" ("+string(p.Type)+")")
	}
	r.CandidateOrder, r.LatestPriority = cfg.CandidateOrder(), cfg.LatestPriority
	return r
}

func runConfigValidate(c *cli.Context) error {
	path := c.String("conf")
	if path == "" {
		return fmt.Errorf("%w: --conf is required (the MHA app.cnf to check)", errUsage)
	}
	cfg, err := config.Load(path, loadOptions(c))
	if cfg != nil {
		scrubber(c).Add(cfg.Secrets()...)
	}
	if err != nil && !errors.Is(err, config.ErrInvalid) {
		err = fmt.Errorf("%w: %w", errConfigRead, err)
	}
	r := validateOutcome(path, cfg, err)
	var werr error
	if c.Bool("json") {
		werr = writeJSON(c.App.Writer, r)
	} else {
		werr = printValidate(c.App.Writer, r)
	}
	if werr != nil {
		return werr
	}
	if err != nil {
		return &reportedError{err}
	}
	return nil
}

func printValidate(w io.Writer, r validateResult) error {
	var b strings.Builder
	if r.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", r.Error)
	}
	for _, list := range []struct {
		label string
		ps    []problemJSON
	}{{"problem", r.Problems}, {"warning", r.Warnings}, {"note", r.Notes}} {
		for _, p := range list.ps {
			fmt.Fprintf(&b, "%s: %s\n", list.label, p.Text)
		}
	}
	if r.Status == validateInvalid {
		what := fmt.Sprintf("%d problem(s)", len(r.Problems))
		if r.Error != "" && len(r.Problems) == 0 {
			what = "cannot be read"
		}
		fmt.Fprintf(&b, "%s: INVALID: %s; nothing was contacted\n", r.Config, what)
		_, err := io.WriteString(w, b.String())
		return err
	}
	files := r.Config
	for _, f := range []string{r.GlobalConf, r.MhagoConf} {
		if f != "" {
			files += " + " + f
		}
	}
	fmt.Fprintf(&b, "%s: OK: %d server(s), %d warning(s), %d note(s); nothing was contacted\n", files, len(r.Servers), len(r.Warnings), len(r.Notes))
	for _, s := range r.Servers {
		var flags []string
		for name, on := range map[string]bool{"candidate_master": s.CandidateMaster, "no_master": s.NoMaster, "ignore_fail": s.IgnoreFail} {
			if on {
				flags = append(flags, name)
			}
		}
		sort.Strings(flags)
		fmt.Fprintln(&b, strings.TrimRight(fmt.Sprintf("  [%s] %s %s ssh %s %s", s.Block, s.Hostname, s.Address, s.SSH, strings.Join(flags, " ")), " "))
	}
	if len(r.BinlogServers) > 0 {
		fmt.Fprintf(&b, "  binlog servers: %s\n", strings.Join(r.BinlogServers, ", "))
	}
	if len(r.Proxies) > 0 {
		fmt.Fprintf(&b, "  proxies: %s\n", strings.Join(r.Proxies, ", "))
	}
	order := "candidate order: " + strings.Join(r.CandidateOrder, ", ")
	if r.LatestPriority {
		order += " (latest_priority=1: at failover, a candidate that read the most of the binlog goes first)"
	}
	fmt.Fprintln(&b, order)
	_, err := io.WriteString(w, b.String())
	return err
}
