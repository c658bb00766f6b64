package proxy

import (
	"context"
	"fmt"
	"strconv"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/hooks"
)

// ScriptCommand is the --command= a proxy hook gets.
type ScriptCommand string

// Proxy hook commands, as in MHA's master_ip_online_change_script.
const (
	ScriptStop  ScriptCommand = "stop"
	ScriptStart ScriptCommand = "start"
)

// script drives a proxy through the operator's hook.
type script struct {
	cfg config.Proxy
	run ScriptRunner
}

func (s *script) Name() string { return s.cfg.Block }

func (s *script) Stop(ctx context.Context, c Change) error { return s.call(ctx, ScriptStop, c) }

func (s *script) Open(ctx context.Context, c Change) error { return s.call(ctx, ScriptStart, c) }

// ScriptArgs are a proxy hook's MHA-style arguments: stop concerns the
// old master, start the new one, and both get both triples.
func ScriptArgs(block string, cmd ScriptCommand, c Change) []string {
	return []string{"--command=" + string(cmd), "--proxy=" + block,
		"--orig_master_host=" + c.Orig.Hostname, "--orig_master_ip=" + c.Orig.IP,
		"--orig_master_port=" + strconv.Itoa(c.Orig.Port),
		"--new_master_host=" + c.New.Hostname, "--new_master_ip=" + c.New.IP,
		"--new_master_port=" + strconv.Itoa(c.New.Port)}
}

// call runs the hook within the proxy's timeout; exit 0 is the proxy's
// acknowledgement.
func (s *script) call(parent context.Context, cmd ScriptCommand, c Change) error {
	ctx, cancel := bound(parent, s.cfg.Timeout)
	defer cancel()
	res := s.run(ctx, hooks.ProxyCommand, s.cfg.Command, ScriptArgs(s.cfg.Block, cmd, c))
	switch {
	case timedOut(parent, ctx):
		return fmt.Errorf("%w: [%s] script %s --command=%s: no answer within timeout=%s, killed "+
			"(fix: make the script finish sooner, or raise timeout= in [%s])", ErrTimeout, s.cfg.Block, hooks.Program(s.cfg.Command), cmd, s.cfg.Timeout, s.cfg.Block)
	case parent.Err() != nil:
		return fmt.Errorf("[%s] script %s --command=%s: %w", s.cfg.Block, hooks.Program(s.cfg.Command), cmd, parent.Err())
	}
	if err := res.Error(); err != nil {
		return fmt.Errorf("%w: [%s] --command=%s: %w (fix: run the command line from the report by hand and see why it fails)",
			ErrRejected, s.cfg.Block, cmd, err)
	}
	return nil
}
