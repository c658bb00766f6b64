package phases

import (
	"context"
	"fmt"
	"sync"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/nodeagent/proto"
)

// undoVIPBack puts the VIP back on the old master of a switchover.
const undoVIPBack journal.Action = "vip_back"

// deploySwitchAgents pushes the node agent to both masters when the VIP is
// mhago's to move (vip=); a switchover needs no agent otherwise.
func deploySwitchAgents(ctx context.Context, st *State) error {
	if !st.cfg.VIP.IsValid() {
		return nil
	}
	hs := []*Host{st.Orig, st.NewMaster}
	errs := make([]error, len(hs))
	var wg sync.WaitGroup
	for i, h := range hs {
		wg.Go(func() { errs[i] = st.ensureAgent(ctx, h) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ensureAgent pushes the agent to h unless the run has one there.
func (st *State) ensureAgent(ctx context.Context, h *Host) error {
	if h.Agent != nil {
		return nil
	}
	if h.SSH == nil {
		return fmt.Errorf("agent on %s: no SSH connection (%v): the VIP needs the node agent there", h.Name(), h.SSHErr)
	}
	a, err := agentctl.Deploy(ctx, h.SSH, h.Server.RemoteWorkdir, st.opts.RunID, st.deps.Agent)
	if err != nil {
		return err
	}
	h.Agent = a // removed with the others when the run ends
	return nil
}

// releaseOldVIP (phase 2) takes the VIP off the old master, which is alive:
// unlike after a crash it must succeed, or both masters would answer on
// it; the undo puts it back.
func releaseOldVIP(ctx context.Context, st *State) error {
	if !st.cfg.VIP.IsValid() {
		return nil
	}
	o := st.Orig
	if err := st.run.WillChange(ctx, journal.Undo{Host: o.Name(), Action: undoVIPBack}); err != nil {
		return err
	}
	res, err := o.Agent.VIP(ctx, st.vipRequest(o, proto.VIPDel))
	if err != nil {
		return fmt.Errorf("remove VIP %s from %s interface %s: %w", st.cfg.VIP, o.Name(), o.Server.VIPInterface, err)
	}
	if res.Changed {
		st.Report.Note(fmt.Sprintf("VIP %s removed from %s %s", st.cfg.VIP, o.Name(), o.Server.VIPInterface))
	}
	return nil
}

// addNewVIP (phase 3) puts the VIP on the new master once it takes writes.
func addNewVIP(ctx context.Context, st *State) error {
	err := st.moveVIP(ctx, nil, st.NewMaster)
	if err != nil {
		st.Report.Leave("3 new master VIP", fmt.Sprintf("The VIP %s was not added on %s (%v). Once fixed, run `mhago switchover --conf %s --resume`, which adds it again.",
			st.cfg.VIP, st.NewMaster.Name(), err, st.cfg.Path))
	}
	return err
}

// vipBack puts the VIP back on h (the undo of releaseOldVIP).
func (st *State) vipBack(ctx context.Context, h *Host) error {
	if err := st.ensureAgent(ctx, h); err != nil {
		return err
	}
	return st.moveVIP(ctx, nil, h)
}

func planSwitchVIP(st *State) {
	if st.cfg.VIP.IsValid() {
		st.would(fmt.Sprintf("remove VIP %s from %s %s before writes are blocked, and add it on %s %s with gratuitous ARPs once %s takes writes",
			st.cfg.VIP, st.Orig.Name(), st.Orig.Server.VIPInterface, st.NewMaster.Name(), st.NewMaster.Server.VIPInterface, st.NewMaster.Name()))
	}
}
