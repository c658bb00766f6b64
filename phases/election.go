package phases

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

// findLatestReplicas (phase 3.1) settles every replica's SQL thread and
// ranks the replicas by how far they read from the dead master.
func findLatestReplicas(ctx context.Context, st *State) error {
	if err := st.parallel(ctx, st.Replicas, settle); err != nil {
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

// saveDeadMasterBinlog (phase 3.2) saves what the dead master wrote beyond
// the latest replica's read position, over SSH, when its host answers.
// Failing to save is recorded, not fatal: the failover still recovers
// everything the replicas received (MHA behaves the same).
func saveDeadMasterBinlog(ctx context.Context, st *State) error {
	from := readCoords(st.Latest[0])
	switch {
	case st.opts.SkipSaveBinlog:
		st.Report.Unrecoverable(fmt.Sprintf("dead master's binlog after %s: not saved (--skip-save-binlog)", from))
		return nil
	case !st.SSHReachable || st.Dead.Agent == nil:
		st.Report.Unrecoverable(fmt.Sprintf("dead master's binlog after %s: %s is unreachable over SSH (%v); transactions it wrote but no replica received are lost", from, st.Dead.Name(), st.Dead.SSHErr))
		return nil
	}
	res, err := st.Dead.Agent.Save(ctx, proto.SaveRequest{BinlogDirs: st.Dead.Server.MasterBinlogDirs, StartFile: from.File,
		StartPos: int64(from.Pos), Output: path.Join(st.Dead.Agent.Dir(), "saved_master_binlog.binlog")})
	if err != nil {
		st.Report.Unrecoverable(fmt.Sprintf("dead master's binlog after %s: save failed: %v", from, err))
		return nil
	}
	if res.Truncated != "" {
		st.Report.Note("dead master's newest binlog ends in an incomplete event (crash mid-write): " + res.Truncated)
	}
	if res.Events == 0 {
		st.Report.Note(fmt.Sprintf("dead master had nothing beyond %s", from))
		return nil
	}
	st.Saved = &diffFile{kind: "master_binlog", from: st.Dead, source: res.Output, result: res}
	return nil
}

// electNewMaster (phase 3.3) picks the base replica (a latest one whose
// relay logs reach back to every other replica's read position) and elects
// the new master by MHA's rules.
func electNewMaster(ctx context.Context, st *State) error {
	if err := st.chooseBase(ctx); err != nil {
		return err
	}
	st.measureBacklogs(ctx)
	rules := decide.Rules{NewMaster: st.forcedNewMaster(), LatestPriority: st.cfg.LatestPriority,
		CheckReplDelay: st.cfg.CheckReplDelay, MaxDelayBytes: 100_000_000}
	el := decide.Elect(st.candidates(), rules)
	st.Report.SetElection(el.Chosen, el.Step, el.Reasons)
	if el.Err != nil {
		return el.Err
	}
	st.NewMaster = st.byNames([]string{el.Chosen})[0]
	st.Report.SetNewMaster(st.NewMaster.Name(), st.NewMaster.Server.Addr())
	st.Report.HostResult(st.NewMaster.Name(), st.NewMaster.Server.Addr(), "new_master")
	var lack []string
	for _, h := range st.Replicas {
		if h.lackRelayLogs {
			lack = append(lack, h.Name())
		}
	}
	return st.decide(ctx, "3.3", decElection, electionDecision{NewMaster: el.Chosen, Base: st.Base.Name(), LackRelayLogs: lack})
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
		if !found {
			st.Report.Note(fmt.Sprintf("%s: no latest replica holds relay logs back to its read position %s; it cannot be recovered", h.Name(), readCoords(h)))
		}
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
	return proto.FindRequest{RelayDir: h.RelayDir, RelayPrefix: h.RelayPrefix, ServerID: h.Status.ServerID,
		FromFile: h.Frozen.RelayLogFile, FromPos: int64(h.Frozen.RelayLogPos), Output: output}
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
		if st.opts.NewMaster == s.Block || st.opts.NewMaster == s.Hostname || st.opts.NewMaster == s.IP || st.opts.NewMaster == s.Addr() {
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
			Read: readCoords(h), Exec: execCoords(h), LackRelayLogs: h.lackRelayLogs,
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
