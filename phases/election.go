package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

// findLatestReplicas (phase 3.1) settles every replica's SQL thread and
// ranks the replicas by how far they read from the dead master.
func findLatestReplicas(ctx context.Context, st *State) error {
	if err := st.tolerant(ctx, "3.1", st.Replicas, settle); err != nil {
		return err
	}
	latest, oldest := decide.LatestAndOldest(st.candidates())
	st.Latest, st.Oldest = st.byNames(latest), st.byNames(oldest)
	for _, h := range st.Replicas {
		r := st.Report.HostResult(h.Name(), h.Server.Addr(), "replica")
		r.Before = position(h.Frozen.MasterLogFile, h.Frozen.ReadMasterLogPos, gtidOf(h))
	}
	st.Report.Note(fmt.Sprintf("latest replicas: %s (read %s); oldest: %s", hostList(st.Latest), readCoords(st.Latest[0]), hostList(st.Oldest)))
	frozen := map[string]frozenCoords{}
	for _, h := range st.Replicas {
		frozen[h.Name()] = freeze(h)
	}
	return st.decide(ctx, "3.1", decFrozen, frozen)
}

// electNewMaster (phase 3.3) picks the base replica (a latest one whose
// relay logs reach back to every other replica's read position) and elects
// the new master by MHA's rules.
func electNewMaster(ctx context.Context, st *State) error {
	if err := st.chooseBase(ctx); err != nil {
		return err
	}
	if err := st.refuseLackingRelayLogs(ctx); err != nil {
		return err
	}
	st.measureBacklogs(ctx)
	// latest_priority is the first latest replica's, as MHA reads it;
	// check_repl_delay is each candidate's own (Candidate.IgnoreReplDelay).
	rules := decide.Rules{NewMaster: st.forcedNewMaster(), LatestPriority: st.cfg.ForServer(st.Latest[0].Name()).LatestPriority,
		CheckReplDelay: true, MaxDelayBytes: 100_000_000}
	el := decide.Elect(st.candidates(), rules)
	st.Report.SetElection(el.Chosen, el.Step, el.Reasons)
	if el.Err != nil {
		return el.Err
	}
	st.NewMaster = st.byNames([]string{el.Chosen})[0]
	st.Report.SetNewMaster(st.NewMaster.Name(), st.NewMaster.Server.Addr())
	st.Report.HostResult(st.NewMaster.Name(), st.NewMaster.Server.Addr(), "new_master")
	return st.decide(ctx, "3.3", decElection, electionDecision{NewMaster: el.Chosen, Base: st.Base.Name()})
}

// refuseLackingRelayLogs stops the run, before anything is recovered, when
// a replica's missing events are in no latest replica's relay logs: it
// could not be made identical to the new master. As MHA does, a replica
// with ignore_fail=1 is left out instead.
func (st *State) refuseLackingRelayLogs(ctx context.Context) error {
	var lacking []*Host
	var errs []error
	for _, h := range st.Replicas {
		if !h.lackRelayLogs {
			continue
		}
		lacking = append(lacking, h)
		errs = append(errs, fmt.Errorf("%s: no latest replica (%s) holds relay logs back to its read position %s, so it cannot be made identical to the new master (relay logs purged? relay_log_purge=0 keeps them)",
			h.Name(), hostList(st.Latest), readCoords(h)))
	}
	if err := st.tolerate(ctx, "3.3", lacking, errs); err != nil {
		return fmt.Errorf("%w; nothing was changed: set ignore_fail=1 in a replica's block to fail over without it (it will need a rebuild)", err)
	}
	return nil
}

// chooseBase finds, for every replica behind the latest, its read position
// in a latest replica's relay logs. Replicas found nowhere lack relay logs:
// they cannot be recovered nor promoted.
func (st *State) chooseBase(ctx context.Context) error {
	gaps := map[string]map[string]int64{} // latest name -> replica -> bytes it lacks; absent: not held
	for _, base := range st.Latest {
		gaps[base.Name()] = map[string]int64{}
		for _, h := range st.Replicas {
			gap, ok, err := st.holdsPosition(ctx, base, h)
			if err != nil {
				return err
			}
			if ok {
				gaps[base.Name()][h.Name()] = gap
			}
		}
	}
	servesAll := map[string]bool{}
	for name, served := range gaps {
		servesAll[name] = len(served) == len(st.Replicas)
	}
	base, ok := decide.ChooseBase(names(st.Latest), servesAll)
	if !ok {
		base = st.Latest[0].Name() // serves the most it can; the rest lack relay logs
	}
	st.Base = st.byNames([]string{base})[0]
	for _, h := range st.Replicas {
		gap, found := gaps[base][h.Name()]
		h.lackRelayLogs, h.readGap = !found, gap
	}
	return nil
}

// holdsPosition asks base's agent whether its relay logs contain h's read
// position, and how many relay-log bytes follow it.
func (st *State) holdsPosition(ctx context.Context, base, h *Host) (gap int64, ok bool, err error) {
	if readCoords(h).Compare(readCoords(base)) >= 0 {
		return 0, true, nil
	}
	res, err := base.Agent.Find(ctx, st.findRequest(base, h, ""))
	var ae *agentErr
	switch {
	case err == nil:
		return res.RemainingBytes, true, nil
	case errors.As(err, &ae) && ae.Code == proto.CodeNotFound:
		return 0, false, nil
	}
	return 0, false, err
}

// measureBacklogs records how much of its own relay log every replica's
// SQL thread has not executed, for check_repl_delay. A replica whose
// backlog cannot be measured is judged by MHA's coordinate rule instead.
func (st *State) measureBacklogs(ctx context.Context) {
	var sizes []string
	for _, h := range st.Replicas {
		res, err := h.Agent.Find(ctx, st.execRequest(h, ""))
		if err != nil {
			st.Report.Note(fmt.Sprintf("%s: unexecuted relay log not measured (%v); check_repl_delay compares binlog files instead", h.Name(), err))
			continue
		}
		h.ownBacklog, h.backlogKnown = res.RemainingBytes, true
		if !h.lackRelayLogs {
			sizes = append(sizes, fmt.Sprintf("%s %d", h.Name(), h.ownBacklog+h.readGap))
		}
	}
	if len(sizes) > 0 {
		st.Report.Note("relay-log bytes each replica must apply to reach the latest: " + strings.Join(sizes, ", "))
	}
}

// execRequest locates h's own relay log from where its SQL thread stopped.
func (st *State) execRequest(h *Host, output string) proto.FindRequest {
	return relayFrom(h, h.Frozen, output)
}

// relayFrom locates h's own relay log from where r says its SQL thread is.
func relayFrom(h *Host, r *instance.ReplicaStatus, output string) proto.FindRequest {
	return proto.FindRequest{RelayDir: h.RelayDir, RelayPrefix: h.RelayPrefix, ServerID: h.Status.ServerID,
		FromFile: r.RelayLogFile, FromPos: int64(r.RelayLogPos), Output: output}
}

func (st *State) findRequest(base, target *Host, output string) proto.FindRequest {
	return proto.FindRequest{RelayDir: base.RelayDir, RelayPrefix: base.RelayPrefix, ServerID: base.Status.ServerID,
		MasterFile: target.Frozen.MasterLogFile, MasterPos: uint32(target.Frozen.ReadMasterLogPos), Output: output}
}

// forcedNewMaster resolves --new-master to a config block.
func (st *State) forcedNewMaster() string {
	if st.opts.NewMaster == "" {
		return ""
	}
	for _, h := range st.Hosts {
		s := h.Server
		if serverNamed(s, st.opts.NewMaster) {
			return s.Block
		}
	}
	return st.opts.NewMaster // unknown: Elect reports it
}

func (st *State) candidates() []decide.Candidate {
	var cs []decide.Candidate
	for i, h := range st.Replicas {
		v, _ := repl.ParseVersion(h.Status.Version)
		cs = append(cs, decide.Candidate{Name: h.Name(), Order: i, Alive: true, NoMaster: h.Server.NoMaster,
			CandidateMaster: h.Server.CandidateMaster, LogBin: h.Status.LogBin, Version: v,
			Read: readCoords(h), Exec: execCoords(h), LackRelayLogs: h.lackRelayLogs, IgnoreReplDelay: !st.cfg.ForServer(h.Name()).CheckReplDelay,
			Backlog: uint64(max(h.ownBacklog+h.readGap, 0)), BacklogKnown: h.backlogKnown && !h.lackRelayLogs})
	}
	return cs
}

func readCoords(h *Host) repl.Coordinates {
	return repl.Coordinates{File: h.Frozen.MasterLogFile, Pos: h.Frozen.ReadMasterLogPos}
}

func execCoords(h *Host) repl.Coordinates {
	return repl.Coordinates{File: h.Frozen.RelayMasterLogFile, Pos: h.Frozen.ExecMasterLogPos}
}

func (st *State) byNames(names []string) []*Host {
	var out []*Host
	for _, n := range names {
		for _, h := range st.Hosts {
			if h.Name() == n {
				out = append(out, h)
			}
		}
	}
	return out
}

func names(hs []*Host) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Name()
	}
	return out
}

func gtidOf(h *Host) string {
	if h.Status == nil {
		return ""
	}
	if h.Status.MariaDB {
		return h.Status.GTIDCurrentPos
	}
	return h.Status.ExecutedGTIDSet
}
