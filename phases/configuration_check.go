package phases

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/repl"
)

// checkConfiguration (phase 1) connects to every server over MySQL and SSH
// in parallel, finds the master the replicas point at, and requires every
// other server to be one of its healthy replicas or marked ignore_fail.
func checkConfiguration(ctx context.Context, st *State) error {
	for _, w := range st.cfg.Warnings {
		st.Report.Note("config warning: " + w.String())
	}
	st.connectAll(ctx)
	dead, err := st.findDeadMaster()
	if err != nil {
		if lerr := st.refusedLogins(nil); lerr != nil {
			return lerr // every replica refused us: that is the finding
		}
		return err
	}
	st.Dead = dead
	st.Report.SetDeadMaster(dead.Name(), dead.Server.Addr())
	// After the report names the master found, so a refusal shows both.
	if err := checkNamedDeadMaster(dead.Server, st.opts.DeadMaster); err != nil {
		return err
	}
	if err := st.classifyReplicas(); err != nil {
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
	if err := st.checkBinlogServers(); err != nil {
		return err
	}
	return st.locateRelayLogs(ctx)
}

// checkBinlogServers refuses, as MHA does, binlog servers that are all
// unreachable: configured, they are meant to be used, never silently
// ignored.
func (st *State) checkBinlogServers() error {
	if len(st.Binlogs) == 0 {
		return nil
	}
	var why []string
	for _, h := range st.Binlogs {
		if h.SSHErr == nil {
			return nil
		}
		why = append(why, fmt.Sprintf("%s: %v", h.Name(), h.SSHErr))
	}
	return fmt.Errorf("%w: binlog servers are configured, but none answers over SSH: %s (fix SSH to one of them, or remove the [binlogN] blocks)",
		ErrTopology, strings.Join(why, "; "))
}

// connectHosts (abandon) opens MySQL and SSH to every server, without
// judging the topology: restarting what an earlier run stopped needs
// connections, not a healthy cluster.
func connectHosts(ctx context.Context, st *State) error {
	st.connectAll(ctx)
	return nil
}

// connectAll opens MySQL and SSH to every server, all at once.
func (st *State) connectAll(ctx context.Context) {
	if len(st.Hosts) > 0 {
		return
	}
	var wg sync.WaitGroup
	for _, s := range st.cfg.Servers {
		h := &Host{Server: s}
		st.Hosts = append(st.Hosts, h)
		wg.Go(func() { st.connectSQL(ctx, h) })
		wg.Go(func() { h.SSH, h.SSHErr = st.pool.Client(ctx, endpoints.SSHTarget(h.Server)) })
	}
	for _, s := range st.cfg.BinlogServers {
		h := &Host{Server: s}
		st.Binlogs = append(st.Binlogs, h)
		wg.Go(func() { h.SSH, h.SSHErr = st.pool.Client(ctx, endpoints.SSHTarget(h.Server)) })
	}
	wg.Wait()
}

func (st *State) connectSQL(ctx context.Context, h *Host) {
	db, err := instance.Open(ctx, endpoints.MySQL(st.cfg, h.Server))
	if err != nil {
		h.SQLErr = err
		return
	}
	h.DB = db
	h.Status, h.SQLErr = instance.Read(ctx, db, h.Name())
}

// findDeadMaster returns the configured server the replicas replicate
// from (decide.PointedMaster). It must not answer over MySQL: a live master
// is not failed over.
func (st *State) findDeadMaster() (*Host, error) {
	var srcs []decide.Source
	for _, h := range st.Hosts {
		if h.Status == nil {
			continue
		}
		src := decide.Source{Name: h.Name(), Writable: !h.Status.ReadOnly}
		if rs := h.Status.Replica; rs != nil {
			if m := st.hostByAddr(rs.MasterHost, rs.MasterPort); m != nil {
				src.Master = m.Name()
			}
		}
		srcs = append(srcs, src)
	}
	name := decide.PointedMaster(srcs)
	if name == "" {
		return nil, fmt.Errorf("%w: no alive replica replicates from a configured server; nothing to fail over", ErrTopology)
	}
	best := st.byNames([]string{name})[0]
	if best.Status != nil {
		return nil, fmt.Errorf("%w: %s answers over MySQL (server_id %d)%s; use a switchover for a live master", ErrMasterAlive, best.Server, best.Status.ServerID, st.deadPeerNote(best))
	}
	return best, nil
}

// deadPeerNote explains a refusal in a dual-master cluster whose passive
// master died: the live master replicates from a server that is down.
func (st *State) deadPeerNote(master *Host) string {
	if !master.Status.IsReplica() {
		return ""
	}
	rs := master.Status.Replica
	peer := st.hostByAddr(rs.MasterHost, rs.MasterPort)
	if peer == nil || peer == master || peer.Status != nil {
		return ""
	}
	return fmt.Sprintf(", and the server it replicates from, %s, does not (the passive master of a dual-master pair is down: nothing to fail over; start or rebuild %s)", peer.Name(), peer.Name())
}

func (st *State) hostByAddr(host string, port int) *Host {
	s, ok := st.cfg.FindServer(host, port)
	if !ok {
		return nil
	}
	return st.byNames([]string{s.Block})[0]
}

// classifyReplicas splits the other servers into replicas to recover and
// ignore_fail servers to skip; anything else stops the run, as in MHA. A
// refused login is said first and on its own: the fix is a password, not
// the replication.
func (st *State) classifyReplicas() error {
	if err := st.refusedLogins(st.Dead); err != nil {
		return err
	}
	var problems []string
	for _, h := range st.Hosts {
		if h == st.Dead {
			continue
		}
		if relay := st.relayMaster(h); relay != nil {
			st.unmanaged(h, relay)
			continue
		}
		if why := replicaProblem(h, st.Dead); why != "" {
			if h.Server.IgnoreFail {
				st.Skipped = append(st.Skipped, h)
				st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Skip(why + " (ignore_fail=1)")
				continue
			}
			problems = append(problems, fmt.Sprintf("%s: %s", h.Name(), why))
			continue
		}
		st.Replicas = append(st.Replicas, h)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %v; repair them or set ignore_fail=1 in their blocks", ErrTopology, problems)
	}
	if len(st.Replicas) == 0 {
		return fmt.Errorf("%w: no replica of %s is alive", ErrTopology, st.Dead.Server)
	}
	return nil
}

// relayMaster is, with multi_tier_slave=1 (h's own, as MHA reads it), the configured server other
// than the dead master that h replicates from (h is a third-tier replica);
// nil otherwise. Without multi_tier_slave such a replica is an error, as in
// MHA.
func (st *State) relayMaster(h *Host) *Host {
	if !st.cfg.ForServer(h.Name()).MultiTierSlave || !h.Status.IsReplica() {
		return nil
	}
	m := st.hostByAddr(h.Status.Replica.MasterHost, h.Status.Replica.MasterPort)
	if m == nil || m == st.Dead {
		return nil
	}
	return m
}

// unmanaged leaves a third-tier replica as it is (MHA's multi_tier_slave):
// it keeps replicating from its relay master, which the failover brings
// level with the new master, and everything follows through it.
func (st *State) unmanaged(h, relay *Host) {
	st.Unmanaged = append(st.Unmanaged, h)
	why := fmt.Sprintf("replicates from %s, not from the dead master: a third-tier replica, left as it is (multi_tier_slave=1)", relay.Name())
	st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Skip(why)
}

// refusedLogins names every server other than the dead master whose MySQL
// login was refused; wrong credentials stop the run before anything
// changes, whatever ignore_fail says, since they are a config mistake.
func (st *State) refusedLogins(except *Host) error {
	var refused []string
	for _, h := range st.Hosts {
		if h != except && errors.Is(h.SQLErr, instance.ErrAccessDenied) {
			refused = append(refused, fmt.Sprintf("%s: %v", h.Name(), h.SQLErr))
		}
	}
	if len(refused) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (fix: correct user/password or password_file for these servers in %s; nothing was changed)",
		instance.ErrAccessDenied, strings.Join(refused, "; "), st.cfg.Path)
}

// replicaProblem says why h cannot take part in the failover, or "".
func replicaProblem(h, dead *Host) string {
	switch {
	case h.Status == nil:
		return fmt.Sprintf("unreachable over MySQL: %v", h.SQLErr)
	case h.SSHErr != nil:
		return fmt.Sprintf("unreachable over SSH: %v", h.SSHErr)
	case !h.Status.IsReplica():
		return "not a replica"
	case h.Status.Replica.MasterPort != dead.Server.Port || (h.Status.Replica.MasterHost != dead.Server.Hostname && h.Status.Replica.MasterHost != dead.Server.IP):
		return fmt.Sprintf("replicates from %s:%d, not from the dead master", h.Status.Replica.MasterHost, h.Status.Replica.MasterPort)
	case h.Status.Replica.LastSQLErrno != 0:
		return fmt.Sprintf("SQL thread failed: error %d: %s", h.Status.Replica.LastSQLErrno, h.Status.Replica.LastSQLError)
	}
	return ""
}

func (st *State) modeInputs() []decide.ModeInput {
	var in []decide.ModeInput
	for _, h := range st.Replicas {
		rs := h.Status.Replica
		flavor := repl.FlavorMySQL
		if h.Status.MariaDB {
			flavor = repl.FlavorMariaDB
		}
		in = append(in, decide.ModeInput{Name: h.Name(), Flavor: flavor, UsingGTID: rs.UsingGTID, AutoPosition: rs.AutoPosition, GTIDMode: h.Status.GTIDMode})
	}
	return in
}

func (st *State) locateRelayLogs(ctx context.Context) error {
	for _, h := range st.Replicas {
		dir, prefix, err := instance.RelayLogLocation(ctx, h.DB)
		if err != nil {
			return fmt.Errorf("relay log location of %s: %w", h.Name(), err)
		}
		h.RelayDir, h.RelayPrefix = dir, prefix
	}
	return nil
}
