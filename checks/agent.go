package checks

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
)

// scratch is the check's own directory in one host's remote_workdir: the
// agent is pushed there, asked, and the directory is removed at the end of
// the run, whatever happened.
type scratch struct {
	client  *remote.Client
	runID   string
	dir     string          // remote_workdir/mhago-<runID>, as agentctl.Deploy names it
	agent   *agentctl.Agent // nil when the push or the first call failed
	removed bool
}

// deploy pushes the agent the way a failover does and asks it for the
// host's status: free space in remote_workdir and the apply tools.
func (sc *scratch) deploy(ctx context.Context, s config.Server, bin agentctl.Binary) *AgentObs {
	a, err := agentctl.Deploy(ctx, sc.client, s.RemoteWorkdir, sc.runID, bin)
	if err != nil {
		return agentFailed(err)
	}
	sc.agent = a
	st, err := a.Status(ctx, proto.StatusRequest{Workdir: s.RemoteWorkdir, Tools: true, ClientBindir: s.ClientBindir})
	if err != nil {
		return agentFailed(err)
	}
	if st == nil {
		return &AgentObs{Err: "the agent's status answer is empty"}
	}
	return &AgentObs{FreeBytes: st.WorkdirFree, Decoder: st.Decoder, Client: st.Client, ToolsError: st.ToolsError}
}

// agentFailed records why the agent did not run. This switch is the one
// place that tells the causes apart.
func agentFailed(err error) *AgentObs {
	obs := &AgentObs{Err: err.Error()}
	var re *agentctl.RunError
	switch {
	case errors.As(err, &re):
		obs.Err, obs.Fix = re.Why, re.Fix
	case errors.Is(err, agentctl.ErrNoExec):
		obs.NoExec = true
	case errors.Is(err, agentctl.ErrNoSpace):
		obs.NoSpace = true
	}
	return obs
}

// remove ends the agent and deletes the directory (whatever the agent
// wrote there); the agent itself stays in remote_workdir's cache, so the
// failover that may follow finds it.
// It runs once; later calls are no-ops.
func (sc *scratch) remove() error {
	if sc == nil || sc.removed {
		return nil
	}
	sc.removed = true
	if sc.agent != nil {
		sc.agent.Close()
	}
	if err := sc.client.RemoveAll(sc.dir); err != nil {
		return fmt.Errorf("the check's directory %s could not be removed: %w", sc.dir, err)
	}
	return nil
}

// PlanReplLogins lists the replication user's logins a failover relies on:
// from the host of every replica that would be repointed, to every other
// server that could become the new master (not no_master, log_bin on,
// answering over MySQL), with the user and password the failover's CHANGE
// MASTER would use. A login that cannot be tried carries Skip.
func PlanReplLogins(in Input, master string) []ReplLoginObs {
	var plan []ReplLoginObs
	for i := range in.Hosts {
		to := &in.Hosts[i]
		if to.Name == master || to.NoMaster || to.Status == nil || !to.Status.LogBin {
			continue
		}
		for j := range in.Hosts {
			from := &in.Hosts[j]
			if from == to || from.Name == master || from.Status == nil || !from.Status.IsReplica() {
				continue
			}
			if from.SSH == nil || !from.SSH.Workdir.Agent.Ready() {
				continue // no agent to log in from: reported on that host
			}
			// As phase 4 does: repl_user of the new master, else the user
			// the replica replicates with now.
			l := ReplLoginObs{From: from.Name, To: to.Name, User: to.ReplUser}
			if l.User == "" {
				l.User = from.Status.Replica.MasterUser
			}
			switch {
			case l.User == "":
				l.Skip = "no repl_user is set and " + from.Name + " shows no Master_User"
			case !to.ReplPasswordSet:
				l.Skip = skipNoReplPassword
			}
			plan = append(plan, l)
		}
	}
	return plan
}

// tryReplLogins makes the planned logins, each from its replica's agent,
// hosts in parallel. The password travels in the request on the agent's
// stdin, never in argv.
func tryReplLogins(ctx context.Context, cfg *config.Config, plan []ReplLoginObs, scratches []*scratch) []ReplLoginObs {
	byFrom := map[string][]int{}
	for i, l := range plan {
		if l.Skip == "" {
			byFrom[l.From] = append(byFrom[l.From], i)
		}
	}
	var wg sync.WaitGroup
	for from, idx := range byFrom {
		sc := scratchOf(cfg, scratches, from)
		src, _ := cfg.Server(from)
		if sc == nil || sc.agent == nil || src == nil {
			continue
		}
		wg.Go(func() {
			unsupported := false
			for _, i := range idx {
				l := &plan[i]
				if unsupported {
					l.Unsupported = true
					continue
				}
				to, _ := cfg.Server(l.To)
				res, err := sc.agent.Login(ctx, proto.LoginRequest{Host: to.IP, Port: to.Port, User: l.User,
					Password: to.ReplPassword.Reveal(), ClientBindir: src.ClientBindir, Workdir: sc.agent.Dir()})
				var ae *agentctl.Error
				switch {
				case errors.As(err, &ae) && ae.Code == proto.CodeBadRequest:
					// An agent without proto.CmdLogin: asking again is useless.
					unsupported, l.Unsupported = true, true
				case err != nil:
					l.Err = err.Error()
				case res == nil:
					l.Err = "the agent's login answer is empty"
				default:
					l.OK, l.ErrorCode, l.Message = res.OK, res.ErrorCode, res.Message
				}
			}
		})
	}
	wg.Wait()
	return plan
}

func scratchOf(cfg *config.Config, scratches []*scratch, block string) *scratch {
	for i, s := range cfg.Servers {
		if s.Block == block {
			return scratches[i]
		}
	}
	return nil
}
