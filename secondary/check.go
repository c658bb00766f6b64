package secondary

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/internal/netprobe"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
)

// HostResult is what one secondary host said.
type HostResult struct {
	Host string
	// Reach is the agent's answer (netprobe.Reach); "" when the host
	// could not be asked (Err says why).
	Reach netprobe.Reach
	Err   error
}

// Reached: the host connected to the master's port (greeted or not: a
// hung mysqld that accepts is not gone).
func (h HostResult) Reached() bool { return h.Reach == netprobe.Greeted || h.Reach == netprobe.Silent }

// Line is MHA's one line per secondary host.
func (h HostResult) Line(master string) string {
	switch {
	case h.Err != nil:
		return fmt.Sprintf("Secondary host %s is NOT reachable: %v", h.Host, h.Err)
	case h.Reached():
		return fmt.Sprintf("Master %s is reachable from %s (%s)!", master, h.Host, h.Reach)
	}
	return fmt.Sprintf("Secondary host %s is reachable, master %s is not reachable from it. OK.", h.Host, master)
}

// Verdict is masterha_secondary_check's exit code over the hosts in the
// order given: the first host that could not be asked (2) or that reached
// the master (3) decides; 0 only when every host was asked and none
// reached it.
func Verdict(results []HostResult) int {
	for _, r := range results {
		switch {
		case r.Err != nil || r.Reach == "":
			return decide.SecondaryRouteDown
		case r.Reached():
			return decide.SecondaryMasterUp
		}
	}
	return decide.SecondaryDown
}

// Env is how the check reaches the secondary hosts.
type Env struct {
	Pool  *remote.Pool
	Agent agentctl.Binary
	// RunID names the agent's private directory on each host.
	RunID string
	// Workdir is the remote_workdir for a host (see WorkdirFor).
	Workdir func(host string) string
}

// probeLimit is the node agent's bound on one probe.
const probeLimit = 10 * time.Second

// Check asks every secondary host at once whether it reaches the master,
// and returns the exit code and each host's result, in r.Hosts' order.
// A host whose SSH, agent or probe fails is "not reachable" (2): it
// cannot vouch for the master's death. ping_type INSERT is checked as a
// TCP connect only, the conservative side: a master whose port accepts
// from a secondary host keeps it from being failed over.
func Check(ctx context.Context, r Request, env Env) (int, []HostResult) {
	out := make([]HostResult, len(r.Hosts))
	var wg sync.WaitGroup
	for i, h := range r.Hosts {
		wg.Go(func() { out[i] = checkHost(ctx, r, env, h, fmt.Sprintf("%s-s%d", env.RunID, i+1)) })
	}
	wg.Wait()
	return Verdict(out), out
}

// checkHost asks one host; runID is its own, as two names may be one
// machine and one workdir.
func checkHost(ctx context.Context, r Request, env Env, host, runID string) HostResult {
	res := HostResult{Host: host}
	t := remote.Target{Name: host, Host: host, Port: r.Port, User: r.User, KeyFiles: r.KeyFiles, ConnectTimeout: r.ConnectTimeout}
	if t.ConnectTimeout <= 0 {
		t.ConnectTimeout = r.Timeout
	}
	c, err := env.Pool.Client(ctx, t)
	if err != nil {
		res.Err = err
		return res
	}
	a, err := agentctl.Deploy(ctx, c, env.Workdir(host), runID, env.Agent)
	if err != nil {
		res.Err = fmt.Errorf("node agent on %s: %w", host, err)
		return res
	}
	defer a.Remove()
	timeout := min(r.Timeout, probeLimit)
	pr, err := a.Probe(ctx, proto.ProbeRequest{Addr: r.MasterAddr(), TimeoutMS: int(timeout.Milliseconds())})
	if err != nil {
		res.Err = fmt.Errorf("probe from %s: %w", host, err)
		return res
	}
	res.Reach = netprobe.Reach(pr.Reach)
	return res
}

// fallbackWorkdir is MHA's default remote_workdir.
const fallbackWorkdir = "/var/tmp"

// WorkdirFor is the remote_workdir the agent uses on host: the
// configured server's that host is (by hostname, IP or ssh_host), else
// the config's default, else /var/tmp; cfg may be nil.
func WorkdirFor(cfg *config.Config, host string) string {
	if cfg == nil {
		return fallbackWorkdir
	}
	for _, s := range cfg.Servers {
		if (s.Hostname == host || s.IP == host || s.SSHHost == host) && s.RemoteWorkdir != "" {
			return s.RemoteWorkdir
		}
	}
	if cfg.Default.RemoteWorkdir != "" {
		return cfg.Default.RemoteWorkdir
	}
	return fallbackWorkdir
}

// Summary is the result in one line, for logs and reports.
func Summary(code int, results []HostResult, master string) string {
	lines := make([]string, len(results))
	for i, r := range results {
		lines[i] = r.Line(master)
	}
	return fmt.Sprintf("built-in %s: exit %d: %s", Program, code, strings.Join(lines, "; "))
}
