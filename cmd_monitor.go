package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"slices"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/monitor"
	"github.com/mhago/mhago/phases"
)

func monitorCommand() *cli.Command {
	return &cli.Command{
		Name:  "monitor",
		Usage: "watch the master and fail it over when it dies (MHA's masterha_manager), long-running",
		Description: `Pings the master every ping_interval (ping_type SELECT, CONNECT or INSERT).
A crashed mysqld (connection refused, every replica lost its IO thread) is
confirmed at the first failed ping; any other failure after 3 pings in a row.
The failover then runs in this process under the Redis lock, and confirms the
death again itself. Several managers may monitor one cluster: the losers of
the lock wait for the winner's published config; every monitor then reloads
it and goes on with the new master (MHA's manager exits instead).

SIGHUP reloads the config; SIGTERM and SIGINT stop, but never cut a failover
short: it finishes first (give systemd a TimeoutStopSec to match).

The monitor keeps MHA's status file <manager_workdir>/<app>.master_status.health
(pid, status code, master), which mhago status and mhago stop (and MHA's
masterha_check_status and masterha_stop) read; it is removed when the monitor
exits. A second monitor of the same config and manager_workdir is refused.

Example:
   mhago monitor --conf /etc/mha/app1.cnf --metrics-addr 127.0.0.1:9307
   mhago monitor --conf /etc/mha/app1.cnf --once      (one check, cron or tests)

` + exitStatusHelp,
		Flags: append(append(confFlags(),
			&cli.BoolFlag{Name: "once", Usage: "check until the master is healthy or confirmed dead (and failed over), then exit with the usual codes"},
			&cli.StringFlag{Name: "metrics-addr", Usage: "serve /metrics (Prometheus text) and /healthz on this `HOST:PORT` (loopback only unless --metrics-allow-remote)"},
			&cli.BoolFlag{Name: "metrics-allow-remote", Usage: "let --metrics-addr bind a non-loopback or wildcard address (metrics name hosts; protect them)"},
			&cli.DurationFlag{Name: "await-publish", Value: 2 * time.Minute, Usage: "how long a monitor that lost the lock waits for the winner's published config"},
			&cli.BoolFlag{Name: "exit-after-failover", Usage: "exit after the first failover run with its exit code, as MHA's masterha_manager does, instead of monitoring the new master"},
			&cli.DurationFlag{Name: "wait-on-monitor-error", Usage: "on an error exit, keep the status file (CONFIG_ERROR or FAILOVER_ERROR) this long first, so that a supervisor does not restart the monitor at once"},
			&cli.BoolFlag{Name: "skip-check-ssh", Usage: "leave SSH out of the start-up check (as skip_init_ssh_check on every server): faster start, but the agent is pushed only at the failover"},
		), failoverFlags()...),
		Action: runMonitor,
	}
}

func runMonitor(c *cli.Context) error {
	cfg, err := loadConfig(c)
	if err != nil {
		return reportConfigError(c, err)
	}
	log, closeLog, err := newLogger(c, cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	var health *monitor.HealthWriter
	if !c.Bool("once") {
		if health, err = openHealth(cfg, log); err != nil {
			return err
		}
		health.Set(monitor.StageStarting, monitor.StateHealthy, "")
		startupCheck(c, cfg, log)
	}
	metrics := monitor.NewMetrics(cfg.ClusterID())
	if addr := c.String("metrics-addr"); addr != "" {
		stop, err := serveMetrics(c.Context, addr, c.Bool("metrics-allow-remote"), metrics, 3*maxPingInterval(cfg)+10*time.Second, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	sync, closeSync := newMonitorSync(cfg, metrics)
	defer closeSync()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	deps := monitor.Deps{Load: func() (*config.Config, error) { return loadConfig(c) },
		Failover: monitorFailover(c, log), Sync: sync, Log: log, Metrics: metrics, Health: health}
	err = monitor.Run(c.Context, deps, monitor.Options{Once: c.Bool("once"), Reload: reloads(c.Context, hup),
		AwaitPublish: c.Duration("await-publish"), ExitAfterFailover: c.Bool("exit-after-failover")})
	finishHealth(c.Context, health, err, c.Duration("wait-on-monitor-error"), log)
	return err
}

// errMonitorRunning: another monitor of the same config already runs and
// keeps the same status file.
var errMonitorRunning = errors.New("another monitor runs for this config")

// openHealth prepares the status file. A live monitor of the same app
// named in it is refused (two monitors with one status file would hide
// each other from status and stop); a file left by a killed one is
// replaced, as MHA replaces it with a warning.
func openHealth(cfg *config.Config, log *slog.Logger) (*monitor.HealthWriter, error) {
	path := monitor.HealthFilePath(cfg.ManagerWorkdir, cfg.App)
	f, _, err := readHealth(path)
	switch {
	case err != nil:
		log.Warn("replacing an unreadable status file", "phase", "monitor", "file", path, "err", err)
	case f != nil && f.Pid != os.Getpid() && viewProc(f.Pid, cfg.App) == (procView{Alive: true, Monitor: true}):
		return nil, fmt.Errorf("%w: pid %d keeps %s (fix: mhago stop --conf %s, or give this monitor its own manager_workdir)",
			errMonitorRunning, f.Pid, path, cfg.Path)
	case f != nil:
		log.Warn("replacing the status file of a monitor that is gone (killed?)", "phase", "monitor", "file", path, "pid", f.Pid)
	}
	if err := os.MkdirAll(cfg.ManagerWorkdir, 0o755); err != nil {
		log.Error("cannot create manager_workdir", "phase", "monitor", "dir", cfg.ManagerWorkdir, "err", err)
	}
	return monitor.NewHealthWriter(path, os.Getpid(), log), nil
}

// finishHealth removes the status file as the monitor exits. An error
// exit first shows CONFIG_ERROR (or the FAILOVER_ERROR the monitor set)
// for wait, unless SIGTERM comes, as MHA's --wait_on_monitor_error does.
func finishHealth(ctx context.Context, h *monitor.HealthWriter, runErr error, wait time.Duration, log *slog.Logger) {
	if h == nil {
		return
	}
	if runErr != nil && !errors.Is(runErr, context.Canceled) {
		if h.Current() != monitor.HealthFailoverError {
			h.Set(monitor.StageMonitorError, monitor.StateHealthy, "")
		}
		if wait > 0 {
			log.Info("waiting before the error exit (--wait-on-monitor-error)", "phase", "monitor", "wait", wait)
			sleepCtx(ctx, wait)
		}
	}
	h.Remove()
}

// sleepCtx waits d, or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// startupCheck runs the check once at start, as MHA's manager checks the
// whole cluster before its ping loop: its findings go to the log, and it
// leaves the node agent cached on every host, so that a failover does not
// spend a second pushing it. A failing check does not keep the monitor
// from starting: an unwatched cluster is worse.
func startupCheck(c *cli.Context, cfg *config.Config, log *slog.Logger) {
	start := time.Now()
	if c.Bool("skip-check-ssh") {
		cfg = withoutSSHCheck(cfg)
	}
	_, res, err := observe(c, cfg)
	if err != nil {
		log.Warn("startup check did not run", "phase", "monitor", "err", err)
		return
	}
	for _, f := range res.Findings {
		if f.Severity == checks.SevFail {
			log.Warn("startup check: "+f.Message, "phase", "monitor", "host", f.Host, "check", f.Check, "fix", f.Fix)
		}
	}
	log.Info("startup check done", "phase", "monitor", "worst", res.Worst(), "took", time.Since(start).Round(time.Millisecond))
}

// withoutSSHCheck is cfg with skip_init_ssh_check on every server
// (--skip-check-ssh, MHA's masterha_manager --skip_check_ssh).
func withoutSSHCheck(cfg *config.Config) *config.Config {
	cp := *cfg
	cp.Servers = slices.Clone(cfg.Servers)
	for i := range cp.Servers {
		cp.Servers[i].SkipInitSSHCheck = true
	}
	return &cp
}

// reloads turns SIGHUP into the monitor's reload requests.
func reloads(ctx context.Context, hup <-chan os.Signal) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				select {
				case out <- struct{}{}:
				default:
				}
			}
		}
	}()
	return out
}

// monitorFailover is the failover the monitor runs, built as the failover
// command builds it, with the command's flags; its report goes to stdout.
func monitorFailover(c *cli.Context, log *slog.Logger) func(context.Context, *config.Config) error {
	return func(ctx context.Context, cfg *config.Config) error {
		bin, err := agentctl.Locate(ctx, cfg.AgentPath)
		if err != nil {
			return err
		}
		// The monitor acts on the master it saw die, never on a plan, a
		// named server or an earlier run: those flags are the failover
		// command's own.
		opts := failoverOptions(c, cfg)
		opts.DryRun, opts.NewMaster, opts.DeadMaster, opts.Resume, opts.Abandon = false, "", nil, false, false
		warn := func(msg string) { fmt.Fprintf(c.App.ErrWriter, "mhago: warning: %s\n", msg) }
		rep, runErr := phases.Failover(ctx, phases.Deps{Config: cfg, Log: log, Agent: bin, Warn: warn}, opts)
		if werr := printRunReport(c.App.Writer, rep, runErr, c.Bool("json")); werr != nil {
			log.Error("print the failover report", "err", werr)
		}
		return runErr
	}
}

// errMetricsAddr marks a --metrics-addr refused before anything listens.
var errMetricsAddr = errors.New("metrics address refused")

// checkMetricsAddr keeps the metrics on loopback unless the operator says
// otherwise: they name the cluster's hosts.
func checkMetricsAddr(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%w: %w: --metrics-addr %q: %w (fix: give HOST:PORT, e.g. 127.0.0.1:9307)", errUsage, errMetricsAddr, addr, err)
	}
	if allowRemote || host == "localhost" {
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %w: --metrics-addr %q is not a loopback address (fix: use 127.0.0.1:PORT, or add --metrics-allow-remote and protect the port)",
			errUsage, errMetricsAddr, addr)
	}
	return nil
}

// serveMetrics listens on addr and serves the monitor's metrics until
// stop is called.
func serveMetrics(ctx context.Context, addr string, allowRemote bool, m *monitor.Metrics, window time.Duration, log *slog.Logger) (stop func(), err error) {
	if err := checkMetricsAddr(addr, allowRemote); err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%w: listen on --metrics-addr %s: %w (fix: pick a free port)", errUsage, addr, err)
	}
	srv := &http.Server{Handler: m.Handler(window), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics server stopped", "addr", addr, "err", err)
		}
	}()
	log.Info("serving metrics", "addr", ln.Addr().String())
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}, nil
}

// maxPingInterval is the longest ping_interval any server may be pinged
// at (each master's own, as MHA reads it).
func maxPingInterval(cfg *config.Config) time.Duration {
	d := cfg.PingInterval
	for _, s := range cfg.Servers {
		d = max(d, s.Settings.PingInterval)
	}
	return d
}
