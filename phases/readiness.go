package phases

import (
	"context"
	"errors"
	"fmt"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/runner"
)

// checkReadiness (phase 3.4) proves, before the point of no return, what
// the recovery will rely on: each replica's host can log in to the new
// master as the replication user (a wrong repl_password would otherwise
// show only after every replica was repointed), and each host that applies
// diffs has the binlog decoder and the SQL client.
func checkReadiness(ctx context.Context, st *State) error {
	return st.tolerant(ctx, "3.4", st.recoverable(), func(ctx context.Context, st *State, h *Host) error {
		// Two agent calls; at once, since each costs an SSH session.
		login := make(chan error, 1)
		go func() {
			if h == st.NewMaster {
				login <- nil
				return
			}
			login <- runner.Safe("replication login from "+h.Name(), func() error { return st.checkReplLogin(ctx, h) })
		}()
		return errors.Join(st.checkApplyTools(ctx, h), <-login)
	})
}

func (st *State) checkApplyTools(ctx context.Context, h *Host) error {
	if len(h.diffs) == 0 {
		return nil
	}
	s, err := h.Agent.Status(ctx, proto.StatusRequest{Workdir: h.Agent.Dir(), Tools: true, ClientBindir: h.Server.ClientBindir})
	if err != nil {
		return fmt.Errorf("apply tools on %s: %w", h.Name(), err)
	}
	if s.ToolsError != "" {
		return fmt.Errorf("%s cannot apply its diffs: %s", h.Name(), s.ToolsError)
	}
	return nil
}

// checkReplLogin logs in from h's host to the new master as h's IO thread
// will.
func (st *State) checkReplLogin(ctx context.Context, h *Host) error {
	nm := st.NewMaster.Server
	if !nm.ReplPasswordSet {
		st.Report.Note(fmt.Sprintf("%s: replication login to %s not verified: repl_password is not set, so the password %s already uses is kept (MHA's rule)",
			h.Name(), st.NewMaster.Name(), h.Name()))
		return nil
	}
	user := st.replUser(h)
	res, err := h.Agent.Login(ctx, proto.LoginRequest{Host: nm.IP, Port: nm.Port, User: user, Password: nm.ReplPassword.Reveal(),
		ClientBindir: h.Server.ClientBindir, Workdir: h.Agent.Dir()})
	if err != nil {
		return fmt.Errorf("replication login from %s to %s: %w", h.Name(), st.NewMaster.Name(), err)
	}
	if !res.OK {
		return fmt.Errorf("replication user %q cannot log in to %s (%s) from %s: %s (fix: correct repl_password, or the account's password or host on the servers)",
			user, st.NewMaster.Name(), nm.Addr(), h.Name(), res.Message)
	}
	return nil
}
