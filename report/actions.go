package report

import (
	"fmt"

	"github.com/mhago/mhago/hooks"
)

// OperatorActions says what a human must do after this run, most urgent
// first; nil after a success or a dry run.
func (r *Report) OperatorActions() []string {
	switch {
	case r.Outcome == OutcomeSuccess || r.Outcome == OutcomePlanned:
		return nil
	case r.Outcome == OutcomeAbandoned:
		return r.abandonedActions()
	case r.Switch != nil:
		return r.switchoverActions()
	case r.Outcome == OutcomeRefused:
		return []string{fmt.Sprintf("Failover refused (%s). This run changed nothing.", orText(r.Error, "see above"))}
	case r.Outcome == OutcomeAbortIncomplete:
		return []string{"The run stopped before its point of no return, but some replication threads it had stopped are still stopped (see Notes). Once no other manager is acting, run `mhago failover --conf " +
			r.Config + " --abandon`: it restarts them from the run journal. Or run START SLAVE on them by hand."}
	case !r.PointOfNoReturnPassed:
		return []string{fmt.Sprintf("Nothing was changed and the master %s is still down: fix the error above and run the failover again.",
			r.DeadMaster.HostInfo())}
	case r.onlyRemainingLeft():
		return r.remainingActions()
	}
	var acts []string
	// A partial failover finished its run: what is left is the replicas
	// it could not recover, which --resume would not recover either.
	if r.Outcome != OutcomePartial {
		acts = append(acts, "The cluster was changed before the run stopped (point of no return passed). Finish it with `mhago failover --conf "+r.Config+
			" --resume`: it keeps the new master chosen, checks every diff file by SHA-256 and asks each server what it already applied, so nothing is applied twice. Or finish by hand using the positions below.")
	}
	acts = append(acts, r.masterActions()...)
	acts = append(acts, r.replicaActions()...)
	for _, rm := range r.Remaining {
		acts = append(acts, rm.Action)
	}
	if len(r.Unsaved) > 0 {
		acts = append(acts, "The items under Unrecoverable are missing from the new topology; if the dead master's disk is readable, extract them from its binlogs and apply them to the new master.")
	}
	return append(acts, fmt.Sprintf("Keep %s fenced: do not restart it as a writable master, it may hold transactions the new master lacks.",
		r.DeadMaster.HostInfo()))
}

func (r *Report) abandonedActions() []string {
	if !r.PointOfNoReturnPassed {
		return nil
	}
	return []string{"The abandoned run had passed its point of no return: the cluster is half changed. Repair it by hand (see that run's report), then remove the error file in manager_workdir before the next failover."}
}

func (r *Report) masterActions() []string {
	if r.NewMaster == nil {
		return []string{"No new master was chosen, so writes are unavailable. Pick the most advanced replica from the Hosts table (BEFORE column), apply what it lacks, and promote it."}
	}
	nm := r.NewMaster.HostInfo()
	h := r.newMasterResult()
	if !r.activated() {
		return []string{fmt.Sprintf("%s was chosen but not recovered (%s), so writes are unavailable. Check its position and relay logs before promoting it or another replica.",
			nm, hostErr(h))}
	}
	pos := "-"
	if h != nil {
		pos = h.After.String()
	}
	acts := []string{fmt.Sprintf("New master %s is active; its position after recovery is %s.", nm, pos)}
	if !r.startHookOK() && len(r.Remaining) == 0 {
		acts = append(acts, fmt.Sprintf("The application endpoint may still point at the dead master: move the VIP/DNS to %s (master_ip_failover_script --command=start did not succeed).", nm))
	}
	return acts
}

func (r *Report) replicaActions() []string {
	var acts []string
	target := "the new master"
	if r.NewMaster != nil {
		target = r.NewMaster.HostInfo()
	}
	for _, h := range r.Hosts {
		if h.Role != RoleReplica || h.Status == HostRecovered {
			continue
		}
		pos := h.After
		if pos == (Position{}) {
			pos = h.Before
		}
		acts = append(acts, fmt.Sprintf("%s was not recovered (%s); it is at %s. Repoint it to %s only after checking it holds every event up to the new master's start position, otherwise rebuild it from %s.",
			h.HostInfo(), hostErr(h), pos, target, target))
	}
	return acts
}

// startHookOK: the endpoint moved, or no master_ip_failover_script was
// called at all (the endpoint is then the operator's own business).
func (r *Report) startHookOK() bool {
	called := false
	for _, hk := range r.Hooks {
		if hk.Name != hooks.IPFailoverScript {
			continue
		}
		called = true
		if cmd, _ := hooks.ArgValue(hk.Args, "command"); cmd == "start" && hk.ExitCode == 0 {
			return true
		}
	}
	return !called
}

func hostErr(h *HostResult) string {
	if h == nil || h.Error == "" {
		return "no error recorded"
	}
	return h.Error
}

// onlyRemainingLeft tells whether a run past its point of no return did
// everything but what Remaining lists: the new master is active, every
// replica was recovered (or skipped by ignore_fail), and every failed
// phase is one whose failure Remaining accounts for.
func (r *Report) onlyRemainingLeft() bool {
	if len(r.Remaining) == 0 || !r.activated() {
		return false
	}
	for _, h := range r.Hosts {
		if h.Role == RoleReplica && h.Status != HostRecovered && h.Status != HostSkipped {
			return false
		}
	}
	for _, p := range r.Phases {
		if p.Status != PhaseOK && p.Status != PhaseSkipped && !r.remainingFor(p.Name) {
			return false
		}
	}
	return true
}

func (r *Report) remainingFor(phase string) bool {
	for _, rm := range r.Remaining {
		if rm.Phase == phase {
			return true
		}
	}
	return false
}

// remainingActions: everything is done but what Remaining lists.
func (r *Report) remainingActions() []string {
	acts := []string{fmt.Sprintf("Everything else is done: %s is the new master and accepts writes, and every replica replicates from it. Left to do:",
		r.NewMaster.HostInfo())}
	for _, rm := range r.Remaining {
		acts = append(acts, rm.Action)
	}
	return append(acts, fmt.Sprintf("Keep %s fenced: do not restart it as a writable master, it may hold transactions the new master lacks.",
		r.DeadMaster.HostInfo()))
}
