package phases

import (
	"context"
	"errors"
	"fmt"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

// ErrDiverged: the host to rejoin holds transactions the cluster never
// received; the rejoin changed nothing.
var ErrDiverged = errors.New("rejoin refused: the host holds transactions the cluster never received")

// ErrCannotRejoin: the rejoin stopped before it changed anything because
// it cannot be done safely as things are (exit 9, like a failover guard).
var ErrCannotRejoin = errors.New("rejoin refused")

// rejoinState is what a rejoin knows beyond the failover's State: the
// host, and the coordinates where the cluster's copy of its history ends.
type rejoinState struct {
	host      *Host
	record    *instance.ActiveMaster // nil: neither the servers nor a journal say
	saved     *savedBinlog
	savedRun  string // the failover run whose journal named the saved copy
	found     decide.Divergence
	joined    bool   // it already replicates from the current master
	startGTID string // MariaDB GTID mode: its own gtid_binlog_pos
}

// rejoinSteps bring a repaired old master back as a replica of the
// current master. Everything before the point of no return reads, except
// read_only, recorded for undo; after it, the host is pointed at the
// master, built to be run again.
func rejoinSteps() []step {
	return []step{
		{Name: "rejoin: connect", Kind: runner.Read, Run: connectRejoin},
		{Name: "rejoin: current master", Kind: runner.Read, Run: findCurrentMaster},
		{Name: phaseLock, Kind: runner.TakeLock},
		{Name: "rejoin: coordinates", Kind: runner.Read, Run: readRejoinCoordinates},
		{Name: "rejoin: transactions the cluster lacks", Kind: runner.Read, Run: checkDivergence},
		{Name: "rejoin: read_only", Kind: runner.Change, Run: setRejoinReadOnly, Plan: planRejoinReadOnly},
		{Name: pointOfNoReturn, Kind: runner.NoReturn},
		{Name: "rejoin: replicate from the current master", Kind: runner.Change, Rerunnable: true, Run: pointAtMaster, Plan: planPointAtMaster},
		{Name: "rejoin: catch up", Kind: runner.Change, Rerunnable: true, Run: waitCaughtUp},
		{Name: "publish topology", Kind: runner.Change, Rerunnable: true, Optional: true, Run: publishRejoinTopology},
	}
}

// Rejoin runs (or, with DryRun, plans) the rejoin of opts.Host to the
// current master. The report is written in every case.
func Rejoin(ctx context.Context, deps Deps, opts Options) (*report.Report, error) {
	st := newState(deps, opts, OpRejoin)
	defer st.close()
	st.rejoin = &rejoinState{}
	st.Report.Rejoin = &report.Rejoin{Host: opts.Host}
	if err := st.prepare(ctx); err != nil {
		return st.Report, st.finishUnstarted(err)
	}
	if st.prev != nil {
		return st.Report, st.finishUnstarted(st.unfinishedError())
	}
	st.run = st.newRunner(rejoinSteps(), false)
	runErr := st.run.Run(ctx)
	return st.Report, st.finish(ctx, runErr)
}

// connectRejoin opens MySQL and SSH to every server and finds the host.
func connectRejoin(ctx context.Context, st *State) error {
	st.connectAll(ctx)
	h := st.findHost(st.opts.Host)
	if h == nil {
		return fmt.Errorf("%w: --host %q is no server of %s (give its block name, hostname or ip:port)", ErrCannotRejoin, st.opts.Host, st.cfg.Path)
	}
	st.rejoin.host = h
	st.Report.Rejoin.Host = h.Name()
	st.Report.HostResult(h.Name(), h.Server.Addr(), report.RoleReplica)
	if h.Status == nil {
		return fmt.Errorf("%w: %s does not answer over MySQL (%v): start it (it stays out of the cluster until it rejoins)", ErrCannotRejoin, h.Name(), h.SQLErr)
	}
	return nil
}

// findHost is the configured server named by block, hostname, IP or
// ip:port.
func (st *State) findHost(name string) *Host {
	for _, h := range st.Hosts {
		s := h.Server
		if name == s.Block || name == s.Hostname || name == s.IP || name == s.Addr() {
			return h
		}
	}
	return nil
}

// findCurrentMaster decides which server the host joins (see
// decide.CurrentMaster) and the replication mode its replicas use.
func findCurrentMaster(ctx context.Context, st *State) error {
	host := st.rejoin.host
	var servers []decide.RejoinServer
	for _, h := range st.Hosts {
		servers = append(servers, st.rejoinView(ctx, h))
	}
	name, err := decide.CurrentMaster(servers, host.Name(), st.topologyMaster(ctx))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrCannotRejoin, err)
	}
	if name == host.Name() {
		return fmt.Errorf("%w: %s is the current master: there is nothing to rejoin", ErrCannotRejoin, name)
	}
	m := st.host(name)
	st.NewMaster = m
	st.Report.Rejoin.Master = name
	st.Report.SetNewMaster(name, m.Server.Addr())
	for _, h := range st.Hosts {
		if h != host && h.Status.IsReplica() && st.replicatesFromNewMaster(h.Status) {
			st.Replicas = append(st.Replicas, h)
		}
	}
	st.rejoin.joined = host.Status.IsReplica() && st.replicatesFromNewMaster(host.Status)
	return st.rejoinMode()
}

// rejoinView is what decide.CurrentMaster needs of one server.
func (st *State) rejoinView(ctx context.Context, h *Host) decide.RejoinServer {
	v := decide.RejoinServer{Name: h.Name(), Alive: h.Status != nil}
	if h.Status == nil {
		return v
	}
	v.Writable = !h.Status.ReadOnly
	if r := h.Status.Replica; r != nil {
		if m := st.hostByAddr(r.MasterHost, r.MasterPort); m != nil {
			v.Master = m.Name()
		} else {
			v.Master = r.MasterHost
		}
	}
	if rec, ok, err := instance.ReadActiveMaster(ctx, h.DB, h.Name(), st.cluster); err == nil && ok {
		v.Record = rec.Master
	}
	return v
}

// topologyMaster is the master the Redis topology names, "" when Redis is
// not configured or holds none.
func (st *State) topologyMaster(ctx context.Context) string {
	if st.redis == nil {
		return ""
	}
	t, err := coord.ReadTopology(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cluster)
	if err != nil || t == nil {
		if err != nil {
			st.Report.Note("Redis topology not read: " + err.Error())
		}
		return ""
	}
	return t.Master.Name
}

// rejoinMode is the mode the master's replicas use; with none, file/pos.
func (st *State) rejoinMode() error {
	st.Mode = decide.ModeFilePos
	if len(st.Replicas) > 0 {
		mode, notes, err := decide.DetectMode(st.modeInputs())
		if err != nil {
			return err
		}
		st.Mode = mode
		for _, n := range notes {
			st.Report.Note(n)
		}
	}
	st.Report.Rejoin.Mode = st.Mode.String()
	return nil
}
