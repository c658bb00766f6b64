package checks

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/secondary"
)

// Options tune one check run.
type Options struct {
	MaxLag time.Duration
	// AcceptNewHostKeys records unknown SSH host keys (never changed ones).
	AcceptNewHostKeys bool
	Logger            *slog.Logger
	// Agent is the node agent binary (agentctl.Locate), pushed into every
	// remote_workdir to prove a failover's agent can run there. When it is
	// nil, AgentErr says why none was found.
	Agent    *agentctl.Binary
	AgentErr error
	// Manager is ObserveManager's result, taken by the caller before it
	// opened manager_log (nil: the manager host is not checked).
	Manager *ManagerObs
	// HookPasswordArgs is --hook-password-args: with hook_password_args,
	// hooks are checked with passwords in their arguments, as the failover
	// will call them.
	HookPasswordArgs bool
}

// Run observes the whole cluster (every host in parallel) and evaluates it.
// It changes nothing: every file or directory it creates on a host (the
// write probe, the agent's directory) is removed before it returns.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Input, Result) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	log = log.With("phase", "check")
	pool := remote.NewPool(endpoints.SSHOptions(cfg, opts.AcceptNewHostKeys, log))
	defer pool.Close()

	in := Input{MaxLag: opts.MaxLag, ReplUser: cfg.Default.ReplUser, CheckReplFilter: cfg.CheckReplFilter,
		Hosts: make([]HostObs, len(cfg.Servers)), Manager: opts.Manager}
	if opts.Agent == nil && opts.AgentErr != nil {
		in.AgentErr = opts.AgentErr.Error()
	}
	// One directory name for the whole run, so a leftover (a manager killed
	// mid-check) is recognisable as one check's.
	runID := "check-" + randomHex(6)
	scratches := make([]*scratch, len(cfg.Servers))
	// Also on a panic or an early return: the directories never outlive
	// the run. remove is idempotent, so the normal path below goes first
	// and records what could not be removed.
	defer func() {
		for _, sc := range scratches {
			sc.remove()
		}
	}()
	var wg sync.WaitGroup
	for i, s := range cfg.Servers {
		wg.Go(func() {
			in.Hosts[i], scratches[i] = observeHost(ctx, cfg, pool, s, opts.Agent, runID, log.With("host", s.Block))
		})
	}
	var redisObs *RedisObs
	if ro, ok := endpoints.Redis(cfg); ok {
		wg.Go(func() { redisObs = &RedisObs{Addr: ro.Addr, Err: coord.Ping(ctx, ro)} })
		wg.Go(func() { in.TopologyMaster = topologyMaster(ctx, ro, cfg.ClusterID()) })
	}
	if in.Manager != nil {
		wg.Go(func() { in.Manager.Unfinished = unfinishedRun(ctx, cfg) })
	}
	wg.Wait()
	in.Redis = redisObs
	// The logins and the hooks' status calls need the master, which only
	// the evaluation of the host observations can name.
	master := Evaluate(in).Master
	in.ReplLogins = tryReplLogins(ctx, cfg, PlanReplLogins(in, master), scratches)
	for i, sc := range scratches {
		if err := sc.remove(); err != nil {
			wd := &in.Hosts[i].SSH.Workdir
			wd.Leftover = strings.TrimPrefix(wd.Leftover+"; "+err.Error(), "; ")
		}
	}
	in.Hooks = observeHooks(ctx, cfg, master, hooks.StyleFor(opts.HookPasswordArgs || cfg.Scripts.PasswordArgs))
	return in, Evaluate(in)
}

func observeHost(ctx context.Context, cfg *config.Config, pool *remote.Pool, s config.Server, bin *agentctl.Binary, runID string, log *slog.Logger) (HostObs, *scratch) {
	h := HostObs{Name: s.Block, Hostname: s.Hostname, IP: s.IP, Port: s.Port,
		NoMaster: s.NoMaster, Candidate: s.CandidateMaster, IgnoreFail: s.IgnoreFail,
		User: s.User, PasswordFrom: settingFrom(cfg, s.Block, "password", "password_file"),
		ReplUser: s.ReplUser, ReplPasswordSet: s.ReplPasswordSet,
		ReplPasswordFrom: settingFrom(cfg, s.Block, "repl_password", "repl_password_file"), ClientBindir: s.ClientBindir,
		SSHUser: s.SSHUser, SSHHost: s.SSHHost, SSHPort: s.SSHPort, SSHKeys: append(append([]string{}, s.SSHKeyFiles...), cfg.SSH.KeyFiles...)}
	var sc *scratch
	var wg sync.WaitGroup
	wg.Go(func() { observeSQL(ctx, cfg, s, &h) })
	if !s.SkipInitSSHCheck {
		wg.Go(func() { h.SSH, sc = observeSSH(ctx, pool, s, bin, runID) })
	}
	wg.Wait()
	log.Debug("observed host", "mysql_err", h.SQLErr, "ssh_checked", h.SSH != nil)
	return h, sc
}

// settingFrom says where the effective value of the first set key comes
// from, as "key (file:line, [section])", or "" when none is set.
func settingFrom(cfg *config.Config, block string, keys ...string) string {
	for _, k := range keys {
		if loc, ok := cfg.Where(block, k); ok {
			return fmt.Sprintf("%s (%s:%d, [%s])", k, loc.File, loc.Line, loc.Section)
		}
	}
	return ""
}

func observeSQL(ctx context.Context, cfg *config.Config, s config.Server, h *HostObs) {
	db, err := instance.Open(ctx, endpoints.MySQL(cfg, s))
	if err != nil {
		h.SQLErr = err
		return
	}
	defer db.Close()
	h.Status, h.SQLErr = instance.Read(ctx, db, s.Block)
	if h.Status != nil {
		if r, ok, err := instance.ReadActiveMaster(ctx, db, s.Block, cfg.ClusterID()); err == nil && ok {
			h.ActiveMaster = r.Master
		}
	}
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
// The returned scratch is the agent's directory, for the caller to remove.
func observeSSH(ctx context.Context, pool *remote.Pool, s config.Server, bin *agentctl.Binary, runID string) (*SSHObs, *scratch) {
	c, err := pool.Client(ctx, endpoints.SSHTarget(s))
	if err != nil {
		return &SSHObs{Err: err}, nil
	}
	obs := &SSHObs{Workdir: WorkdirObs{Path: s.RemoteWorkdir}}
	for _, dir := range s.MasterBinlogDirs {
		obs.BinlogDirs = append(obs.BinlogDirs, listDir(c, dir))
	}
	wd := &obs.Workdir
	wd.Missing, wd.Err, wd.Leftover = probeWorkdir(ctx, c, s.RemoteWorkdir)
	if wd.Missing || wd.Err != "" || bin == nil {
		return obs, nil
	}
	sc := &scratch{client: c, runID: runID, dir: path.Join(s.RemoteWorkdir, "mhago-"+runID)}
	wd.Agent = sc.deploy(ctx, s, *bin)
	return obs, sc
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

// probeWorkdir looks at remote_workdir without creating it: a directory
// that a check created would hide from the operator that it is missing
// (after a reinstall, a tmp cleaner) until the failover needs it. An
// existing one must take a file: a read-only or full filesystem passes a
// permission check but fails the failover.
func probeWorkdir(ctx context.Context, c *remote.Client, dir string) (missing bool, errText, leftover string) {
	fi, err := c.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return true, "", ""
	case err != nil:
		return false, rootCause(err), ""
	case !fi.IsDir():
		return false, "exists and is not a directory", ""
	}
	// A random name: checks from several manager hosts (cron) run at once
	// and must not remove each other's probe.
	probe := path.Join(dir, ".mhago-check-probe-"+randomHex(6))
	if _, err := c.Upload(ctx, strings.NewReader("mhago"), probe, 0o600); err != nil {
		return false, "cannot write a file: " + rootCause(err), ""
	}
	if err := c.Remove(probe); err != nil {
		return false, "", fmt.Sprintf("the write probe %s could not be removed: %s", probe, rootCause(err))
	}
	return false, "", ""
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b)
}

// rootCause keeps the last part of a wrapped message ("permission denied"),
// since the finding already names the host and the path.
func rootCause(err error) string {
	parts := strings.Split(err.Error(), ": ")
	return parts[len(parts)-1]
}

// observeHooks checks every configured hook is executable and, like MHA,
// calls the two fencing hooks with --command=status against the master,
// with the password style the failover will use. It also reads the IP
// failover script for MHA's password options: a script that parses them
// gets no password while passwords go in the environment only.
func observeHooks(ctx context.Context, cfg *config.Config, masterBlock string, style hooks.PasswordStyle) []HookObs {
	// The status calls use the master's scripts, as MHA's; a block's own
	// script that another server would run is checked too, without a call.
	sc := cfg.ForServer(masterBlock).Scripts
	master, _ := cfg.Server(masterBlock)
	scrub := cfg.Scrubber().String
	var out []HookObs
	add := func(key, cmd string, statusArgs func(hooks.Host) []string) {
		if cmd == "" {
			return
		}
		prog, err := hooks.ProgramPath(cmd)
		if err == nil {
			err = hooks.CheckExecutable(prog)
		}
		obs := HookObs{Key: key, Path: cmd, Style: style, Err: err}
		if key == hooks.SecondaryCheckScript && secondary.Builtin(cmd) {
			obs.Err = nil // mhago runs its own masterha_secondary_check
		}
		if obs.Err == nil && key == hooks.IPFailoverScript {
			obs.PasswordOption, _ = hooks.ScriptPasswordOption(prog)
		}
		if obs.Err == nil && statusArgs != nil && master != nil {
			// The new master is not known yet: the master's password
			// stands in for the one --command=start will get.
			pw := master.Password.Reveal()
			r := hooks.Run(ctx, hooks.Call{Name: key, Path: cmd, Args: statusArgs(HookHost(*master)), Style: style,
				Secrets: hooks.Secrets{NewMaster: pw, OrigMaster: pw}, Scrub: scrub, Timeout: cfg.Timeouts.MySQLRead})
			obs.Called, obs.ExitCode, obs.Output = true, r.ExitCode, r.Output+r.Err
		}
		out = append(out, obs)
	}
	add(hooks.IPFailoverScript, sc.MasterIPFailover, hooks.FailoverStatusArgs)
	add(hooks.ShutdownScript, sc.Shutdown, hooks.ShutdownStatusArgs)
	add(hooks.OnlineChangeScript, sc.MasterIPOnlineChange, nil)
	add(hooks.ReportScript, sc.Report, nil)
	add(hooks.SecondaryCheckScript, sc.SecondaryCheck, nil)
	seen := map[string]bool{}
	for _, o := range out {
		seen[o.Key+"\x00"+o.Path] = true
	}
	for _, s := range cfg.Servers {
		own := s.Settings.Scripts
		for key, cmd := range map[string]string{hooks.IPFailoverScript: own.MasterIPFailover, hooks.ShutdownScript: own.Shutdown,
			hooks.OnlineChangeScript: own.MasterIPOnlineChange, hooks.ReportScript: own.Report, hooks.SecondaryCheckScript: own.SecondaryCheck} {
			if cmd != "" && !seen[key+"\x00"+cmd] {
				seen[key+"\x00"+cmd] = true
				add(key, cmd, nil)
			}
		}
	}
	return out
}

// HookHost is what hooks are told about a configured server.
func HookHost(s config.Server) hooks.Host {
	return hooks.Host{Hostname: s.Hostname, IP: s.IP, Port: s.Port, SSHUser: s.SSHUser,
		SSHHost: s.SSHHost, SSHIP: s.SSHIP, SSHPort: s.SSHPort}
}

// unfinishedRun says where an earlier failover run of the cluster stopped,
// from its journal here or in Redis, or "" when every run finished: a
// failover refuses to start until it is resumed or abandoned.
func unfinishedRun(ctx context.Context, cfg *config.Config) string {
	active, err := journal.Active(cfg.ManagerWorkdir, cfg.ClusterID())
	if err != nil {
		return err.Error()
	}
	if cur, _ := journal.Current(active); cur != nil {
		return cur.StoppedAt()
	}
	ro, ok := endpoints.Redis(cfg)
	if !ok {
		return ""
	}
	c := coord.NewClient(ro)
	defer c.Close()
	r, err := coord.NewJournalMirror(c, ro.KeyPrefix, cfg.ClusterID()).Replay(ctx)
	if err != nil || r == nil || r.Ended {
		return "" // an unreachable Redis is its own finding
	}
	return r.StoppedAt()
}

// topologyMaster is the master the Redis topology names, "" when none or
// Redis does not answer (the Redis check reports that).
func topologyMaster(ctx context.Context, ro coord.Options, cluster string) string {
	c := coord.NewClient(ro)
	defer c.Close()
	t, err := coord.ReadTopology(ctx, c, ro.KeyPrefix, cluster)
	if err != nil || t == nil {
		return ""
	}
	return t.Master.Name
}
