package phases

import (
	"context"
	"fmt"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/nodeagent/proto"
)

// phaseVIP names the failover step that moves the built-in VIP.
const phaseVIP = "3.5 new master VIP"

// vipReleaseBound bounds taking the VIP off the old master (pushing an
// agent there included): a dead or hung host must not hold up the move.
const vipReleaseBound = 10 * time.Second

// moveNewMasterVIP (phase 3.5) moves the VIP from the dead master to the
// new one. A failure does not keep the replicas from being repointed (the
// step is Deferred); the report says what is left.
func moveNewMasterVIP(ctx context.Context, st *State) error {
	err := st.moveVIP(ctx, st.Dead, st.NewMaster)
	if err != nil {
		st.Report.Leave(phaseVIP, fmt.Sprintf("The VIP %s was not added on %s (%v). Once fixed, run `mhago failover --conf %s --resume`, which adds it again, "+
			"or add it by hand on %s: `ip addr add %s dev %s && arping -U -c 3 -I %s %s`; then remove %s.",
			st.cfg.VIP, st.NewMaster.Name(), err, st.cfg.Path, st.NewMaster.Server.Hostname, st.cfg.VIP, st.NewMaster.Server.VIPInterface,
			st.NewMaster.Server.VIPInterface, st.cfg.VIP.Addr(), st.stateFile("error")))
	}
	return err
}

// moveVIP moves the configured VIP (vip=) from one master to another:
// from loses it when it answers (best effort within vipReleaseBound: a
// dead host's failure is a report note, not an error; from may be nil),
// then to gets it on its vip_interface and announces it with gratuitous
// ARPs, which must succeed. Both calls are idempotent, so a resumed run
// may move it again. Without vip= it does nothing.
func (st *State) moveVIP(ctx context.Context, from, to *Host) error {
	vip := st.cfg.VIP
	if !vip.IsValid() {
		return nil
	}
	if from != nil && from != to {
		st.releaseVIP(ctx, from)
	}
	if to.Agent == nil {
		return fmt.Errorf("add VIP %s on %s: no agent on that host (%v): the VIP needs the node agent there; fix SSH to %s and rerun",
			vip, to.Name(), to.SSHErr, to.Name())
	}
	res, err := to.Agent.VIP(ctx, st.vipRequest(to, proto.VIPAdd))
	if err != nil {
		return fmt.Errorf("add VIP %s on %s interface %s: %w (fix: vip_interface must name an interface of %s, and ssh_user needs root or CAP_NET_ADMIN there)",
			vip, to.Name(), to.Server.VIPInterface, err, to.Name())
	}
	what := "added on"
	if !res.Changed {
		what = "already on"
	}
	st.Report.Note(fmt.Sprintf("VIP %s %s %s %s (%s), announced with %d gratuitous ARPs", vip, what, to.Name(), to.Server.VIPInterface, res.MAC, res.ARPSent))
	return nil
}

// releaseVIP takes the VIP off a host that may be dead; whatever happens
// is a note. An agent is pushed there if the run has none (the dead
// master's is only pushed to save its binlog).
func (st *State) releaseVIP(ctx context.Context, h *Host) {
	ctx, cancel := context.WithTimeout(ctx, vipReleaseBound)
	defer cancel()
	left := func(why string) {
		st.Report.Note(fmt.Sprintf("VIP %s not removed from %s: %s; if that host comes back, remove it there first: `ip addr del %s dev %s`",
			st.cfg.VIP, h.Name(), why, st.cfg.VIP, h.Server.VIPInterface))
	}
	if h.Agent == nil && h.SSH == nil {
		left(fmt.Sprintf("no SSH connection (%v)", h.SSHErr))
		return
	}
	if h.Agent == nil {
		a, err := agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent)
		if err != nil {
			left(fmt.Sprintf("agent not pushed: %v", err))
			return
		}
		h.Agent = a // removed with the others when the run ends
	}
	res, err := h.Agent.VIP(ctx, st.vipRequest(h, proto.VIPDel))
	switch {
	case err != nil:
		left(err.Error())
	case res.Changed:
		st.Report.Note(fmt.Sprintf("VIP %s removed from %s %s", st.cfg.VIP, h.Name(), h.Server.VIPInterface))
	default:
		st.Report.Note(fmt.Sprintf("VIP %s was not on %s %s", st.cfg.VIP, h.Name(), h.Server.VIPInterface))
	}
}

func (st *State) vipRequest(h *Host, op proto.VIPOp) proto.VIPRequest {
	return proto.VIPRequest{Op: op, Address: st.cfg.VIP.String(), Interface: h.Server.VIPInterface}
}

// planVIP says, in a dry run, how the VIP would move.
func planVIP(st *State) {
	if !st.cfg.VIP.IsValid() || st.NewMaster == nil {
		return
	}
	if st.Dead != nil {
		st.would(fmt.Sprintf("remove VIP %s from %s %s (best effort, within %s)", st.cfg.VIP, st.Dead.Name(), st.Dead.Server.VIPInterface, vipReleaseBound))
	}
	nm := st.NewMaster
	st.would(fmt.Sprintf("add VIP %s on %s %s and send %d gratuitous ARPs", st.cfg.VIP, nm.Name(), nm.Server.VIPInterface, proto.DefaultARPCount))
}
