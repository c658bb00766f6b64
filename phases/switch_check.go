package phases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/report"
)

// SwitchOptions are the operator's choices for a planned switchover.
type SwitchOptions struct {
	// OrigMasterIsNewSlave makes the old master a replica of the new one
	// (--orig-master-is-new-slave).
	OrigMasterIsNewSlave bool
	Limits               decide.SwitchLimits
	// BlockWait bounds how long writes still running on the old master
	// after read_only may take to finish before they are killed.
	BlockWait time.Duration
	// CatchUp bounds the wait for every replica to apply the marker row.
	CatchUp time.Duration
}

// ErrSwitchRefused: a planned switchover's precondition does not hold
// (lag, long transaction, topology); nothing was changed.
var ErrSwitchRefused = errors.New("switchover refused")

// checkSwitchover (phase 1) connects to every server, finds the live master
// and its replicas, and chooses the new master. Every server must answer:
// a planned switchover does not leave a replica behind.
func checkSwitchover(ctx context.Context, st *State) error {
	for _, w := range st.cfg.Warnings {
		st.Report.Note("config warning: " + w.String())
	}
	st.connectAll(ctx)
	if err := st.refusedLogins(nil); err != nil {
		return err
	}
	if err := st.findLiveMaster(); err != nil {
		return err
	}
	if err := st.classifySwitchReplicas(); err != nil {
		return err
	}
	mode, notes, err := decide.DetectMode(st.modeInputs())
	if err != nil {
		return err
	}
	st.Mode = mode
	st.Report.Note(fmt.Sprintf("replication mode: %s", mode))
	for _, n := range notes {
		st.Report.Note(n)
	}
	return st.electSwitchTarget(ctx)
}

// findLiveMaster sets st.Orig to the server the replicas replicate from. It
// must answer and take writes: a switchover starts from a healthy master.
func (st *State) findLiveMaster() error {
	votes := map[*Host]int{}
	var best *Host
	for _, h := range st.Hosts {
		if h.Status == nil {
			return fmt.Errorf("%w: %s does not answer over MySQL (%v); a switchover needs every server (for a dead master use failover)", ErrSwitchRefused, h.Server, h.SQLErr)
		}
		if !h.Status.IsReplica() {
			continue
		}
		if m := st.hostByAddr(h.Status.Replica.MasterHost, h.Status.Replica.MasterPort); m != nil {
			votes[m]++
			// A dual-master pair alone ties: the writable one is the master.
			if best == nil || votes[m] > votes[best] || (votes[m] == votes[best] && best.Status.ReadOnly && !m.Status.ReadOnly) {
				best = m
			}
		}
	}
	if best == nil {
		return fmt.Errorf("%w: no server replicates from a configured server", ErrTopology)
	}
	if best.Status.ReadOnly {
		return fmt.Errorf("%w: the master %s has read_only on: it does not take writes now (an earlier switchover stopped half-way? see `mhago check`); turn read_only off on the right master first", ErrSwitchRefused, best.Server)
	}
	st.Orig = best
	st.Report.SetOrigMaster(best.Name(), best.Server.Addr())
	st.Report.HostResult(best.Name(), best.Server.Addr(), report.RoleOrigMaster)
	return nil
}

// classifySwitchReplicas requires every other server to replicate from the
// master (the passive master of a dual-master pair does too).
func (st *State) classifySwitchReplicas() error {
	var problems []string
	for _, h := range st.Hosts {
		if h == st.Orig {
			continue
		}
		if relay := st.relayMaster(h); relay != nil && relay != st.Orig {
			st.unmanaged(h, relay)
			continue
		}
		r := h.Status.Replica
		switch {
		case r == nil:
			problems = append(problems, h.Name()+": not a replica")
		case st.hostByAddr(r.MasterHost, r.MasterPort) != st.Orig:
			problems = append(problems, fmt.Sprintf("%s: replicates from %s:%d, not from the master %s", h.Name(), r.MasterHost, r.MasterPort, st.Orig.Name()))
		default:
			st.Replicas = append(st.Replicas, h)
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s", ErrSwitchRefused, strings.Join(problems, "; "))
	}
	if len(st.Replicas) == 0 {
		return fmt.Errorf("%w: %s has no replica to switch to", ErrSwitchRefused, st.Orig.Server)
	}
	return nil
}

// electSwitchTarget picks the new master with MHA's rules, every replica
// counting as latest (MHA does the same for an online switch).
func (st *State) electSwitchTarget(ctx context.Context) error {
	var cs []decide.Candidate
	for i, h := range st.Replicas {
		v, _ := repl.ParseVersion(h.Status.Version)
		cs = append(cs, decide.Candidate{Name: h.Name(), Order: i, Alive: true, NoMaster: h.Server.NoMaster,
			CandidateMaster: h.Server.CandidateMaster, LogBin: h.Status.LogBin, Version: v})
	}
	e := decide.Elect(cs, decide.Rules{NewMaster: st.forcedNewMaster(), LatestPriority: true})
	st.Report.SetElection(e.Chosen, e.Step, e.Reasons)
	if e.Err != nil {
		return fmt.Errorf("%w: %w", ErrSwitchRefused, e.Err)
	}
	st.NewMaster = st.byNames([]string{e.Chosen})[0]
	st.Report.SetNewMaster(st.NewMaster.Name(), st.NewMaster.Server.Addr())
	st.Report.HostResult(st.NewMaster.Name(), st.NewMaster.Server.Addr(), report.RoleNewMaster)
	return nil
}

// checkRunningUpdates (phase 1) refuses, with nothing changed, while a
// replica lags or a long write or transaction runs on the master, or a
// long query on the new master (MHA's running_updates_limit,
// seconds_behind_master and running_seconds_limit).
func checkRunningUpdates(ctx context.Context, st *State) error {
	lim := st.opts.switchLimits().Limits
	var why []string
	why = append(why, decide.ReplicaProblems(st.lagViews(), lim.ReplicaLag)...)
	master, err := instance.Sessions(ctx, st.Orig.DB, st.Orig.Name())
	if err != nil {
		return err
	}
	for _, w := range decide.BlockingWrites(sessionViews(master), lim.RunningUpdates) {
		why = append(why, st.Orig.Name()+": "+w)
	}
	target, err := instance.Sessions(ctx, st.NewMaster.DB, st.NewMaster.Name())
	if err != nil {
		return err
	}
	for _, q := range decide.LongQueries(sessionViews(target), lim.NewMasterQueries) {
		why = append(why, st.NewMaster.Name()+" (new master): "+q)
	}
	if len(why) > 0 {
		return fmt.Errorf("%w, nothing was changed: %s (wait and run it again, or raise --running-updates-limit / --max-lag)", ErrSwitchRefused, strings.Join(why, "; "))
	}
	return nil
}

func (st *State) lagViews() []decide.ReplicaLagView {
	var out []decide.ReplicaLagView
	for _, h := range st.Replicas {
		r := h.Status.Replica
		v := decide.ReplicaLagView{Name: h.Name(), IORunning: r.IORunningYes(), SQLRunning: r.SQLRunningYes(),
			LastError: strings.TrimSpace(r.LastIOError + " " + r.LastSQLError),
			DoDB:      r.Filters.DoDB, IgnoreDB: r.Filters.IgnoreDB, DoTable: r.Filters.DoTable, IgnoreTable: r.Filters.IgnoreTable,
			WildDoTable: r.Filters.WildDoTable, WildIgnoreTable: r.Filters.WildIgnoreTable}
		if r.SecondsBehindMaster != nil {
			v.LagKnown, v.Lag = true, time.Duration(*r.SecondsBehindMaster)*time.Second
		}
		out = append(out, v)
	}
	return out
}

func sessionViews(ss []instance.Session) []decide.SessionView {
	out := make([]decide.SessionView, len(ss))
	for i, s := range ss {
		out[i] = decide.SessionView{ID: s.ID, User: s.User, Command: s.Command, Time: s.Time, Info: s.Info, TrxAge: s.TrxAge, TrxRows: s.TrxRows}
	}
	return out
}

// recheckSwitchover re-reads every server under the lock: another manager
// may have changed the cluster since phase 1.
func recheckSwitchover(ctx context.Context, st *State) error {
	for _, h := range st.Hosts {
		if _, err := refresh(ctx, h); err != nil {
			return fmt.Errorf("%w: %w", ErrSwitchRefused, err)
		}
	}
	orig := st.Orig
	st.Orig, st.Replicas, st.Unmanaged = nil, nil, nil
	if err := st.findLiveMaster(); err != nil {
		return err
	}
	if st.Orig != orig {
		return fmt.Errorf("%w: the master changed from %s to %s while the lock was taken", ErrSwitchRefused, orig.Name(), st.Orig.Name())
	}
	if err := st.classifySwitchReplicas(); err != nil {
		return err
	}
	if !slices.Contains(st.Replicas, st.NewMaster) {
		return fmt.Errorf("%w: %s no longer replicates from %s", ErrSwitchRefused, st.NewMaster.Name(), st.Orig.Name())
	}
	r := st.Orig.Status.Replica
	st.dual = r != nil && st.hostByAddr(r.MasterHost, r.MasterPort) == st.NewMaster
	return st.decide(ctx, "1", decSwitch, switchDecision{Orig: st.Orig.Name(), NewMaster: st.NewMaster.Name(), Replicas: names(st.Replicas),
		Mode: st.Mode, OrigIsNewSlave: st.opts.Switch.OrigMasterIsNewSlave, DualMaster: st.dual})
}
