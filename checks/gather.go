package checks

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
)

// Options tune one check run.
type Options struct {
	MaxLag time.Duration
	// AcceptNewHostKeys records unknown SSH host keys (never changed ones).
	AcceptNewHostKeys bool
	Logger            *slog.Logger
}

// Run observes the whole cluster (every host in parallel) and evaluates it.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Input, Result) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("phase", "check")
	pool := remote.NewPool(endpoints.SSHOptions(cfg, opts.AcceptNewHostKeys, log))
	defer pool.Close()

	in := Input{MaxLag: opts.MaxLag, ReplUser: cfg.Default.ReplUser, CheckReplFilter: cfg.CheckReplFilter,
		Hosts: make([]HostObs, len(cfg.Servers))}
	var wg sync.WaitGroup
	for i, s := range cfg.Servers {
		wg.Go(func() { in.Hosts[i] = observeHost(ctx, cfg, pool, s, log.With("host", s.Block)) })
	}
	var redisObs *RedisObs
	if ro, ok := endpoints.Redis(cfg); ok {
		wg.Go(func() { redisObs = &RedisObs{Addr: ro.Addr, Err: coord.Ping(ctx, ro)} })
	}
	wg.Wait()
	in.Redis = redisObs
	// The hooks' status calls need the master, which only the evaluation
	// of the host observations can name.
	in.Hooks = observeHooks(ctx, cfg, Evaluate(in).Master)
	return in, Evaluate(in)
}

func observeHost(ctx context.Context, cfg *config.Config, pool *remote.Pool, s config.Server, log *slog.Logger) HostObs {
	h := HostObs{Name: s.Block, Hostname: s.Hostname, IP: s.IP, Port: s.Port,
		NoMaster: s.NoMaster, Candidate: s.CandidateMaster, IgnoreFail: s.IgnoreFail}
	var wg sync.WaitGroup
	wg.Go(func() { observeSQL(ctx, cfg, s, &h) })
	if !s.SkipInitSSHCheck {
		wg.Go(func() { h.SSH = observeSSH(ctx, pool, s) })
	}
	wg.Wait()
	log.Debug("observed host", "mysql_err", h.SQLErr, "ssh_checked", h.SSH != nil)
	return h
}

func observeSQL(ctx context.Context, cfg *config.Config, s config.Server, h *HostObs) {
	db, err := instance.Open(ctx, endpoints.MySQL(cfg, s))
	if err != nil {
		h.SQLErr = err
		return
	}
	defer db.Close()
	h.Status, h.SQLErr = instance.Read(ctx, db, s.Block)
	if h.Status == nil || !h.Status.LogBin || s.NoMaster {
		return
	}
	user := s.ReplUser
	if user == "" && h.Status.Replica != nil {
		user = h.Status.Replica.MasterUser
	}
	if user == "" {
		return
	}
	g := &GrantObs{User: user}
	g.OK, g.Hosts, g.Err = instance.ReplUserGrant(ctx, db, user)
	h.ReplGrant = g
}

// observeSSH logs in and looks at the binlog directories and the workdir
// through SFTP, so the check sees exactly what ssh_user may read and write.
func observeSSH(ctx context.Context, pool *remote.Pool, s config.Server) *SSHObs {
	c, err := pool.Client(ctx, endpoints.SSHTarget(s))
	if err != nil {
		return &SSHObs{Err: err}
	}
	obs := &SSHObs{Workdir: DirObs{Path: s.RemoteWorkdir}}
	for _, dir := range s.MasterBinlogDirs {
		obs.BinlogDirs = append(obs.BinlogDirs, listDir(c, dir))
	}
	if err := probeWritable(ctx, c, s.RemoteWorkdir); err != nil {
		obs.Workdir.Err = err.Error()
	}
	return obs
}

func listDir(c *remote.Client, dir string) DirObs {
	d := DirObs{Path: dir}
	entries, err := c.ReadDir(dir)
	if err != nil {
		d.Err = rootCause(err)
		return d
	}
	for _, e := range entries {
		d.Files = append(d.Files, e.Name())
	}
	return d
}

func probeWritable(ctx context.Context, c *remote.Client, dir string) error {
	if err := c.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%s", rootCause(err))
	}
	probe := dir + "/.mhago-check-probe"
	if _, err := c.Upload(ctx, strings.NewReader("mhago"), probe, 0o600); err != nil {
		return fmt.Errorf("%s", rootCause(err))
	}
	return c.Remove(probe)
}

// rootCause keeps the last part of a wrapped message ("permission denied"),
// since the finding already names the host and the path.
func rootCause(err error) string {
	parts := strings.Split(err.Error(), ": ")
	return parts[len(parts)-1]
}

// observeHooks checks every configured hook is executable and, like MHA,
// calls the two fencing hooks with --command=status against the master.
func observeHooks(ctx context.Context, cfg *config.Config, masterBlock string) []HookObs {
	sc := cfg.Scripts
	master, _ := cfg.Server(masterBlock)
	var out []HookObs
	add := func(key, cmd string, statusArgs func(hooks.Host) []string) {
		if cmd == "" {
			return
		}
		obs := HookObs{Key: key, Path: cmd, Err: hooks.CheckExecutable(hooks.Program(cmd))}
		if obs.Err == nil && statusArgs != nil && master != nil {
			r := hooks.Run(ctx, hooks.Call{Name: key, Path: cmd, Args: statusArgs(HookHost(*master)), Timeout: cfg.Timeouts.MySQLRead})
			obs.Called, obs.ExitCode, obs.Output = true, r.ExitCode, r.Output+r.Err
		}
		out = append(out, obs)
	}
	add("master_ip_failover_script", sc.MasterIPFailover, hooks.FailoverStatusArgs)
	add("shutdown_script", sc.Shutdown, hooks.ShutdownStatusArgs)
	add("master_ip_online_change_script", sc.MasterIPOnlineChange, nil)
	add("report_script", sc.Report, nil)
	add("secondary_check_script", sc.SecondaryCheck, nil)
	return out
}

// HookHost is what hooks are told about a configured server.
func HookHost(s config.Server) hooks.Host {
	return hooks.Host{Hostname: s.Hostname, IP: s.IP, Port: s.Port, SSHUser: s.SSHUser,
		SSHHost: s.SSHHost, SSHIP: s.SSHIP, SSHPort: s.SSHPort}
}
