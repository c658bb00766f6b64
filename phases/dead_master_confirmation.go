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
	"github.com/mhago/mhago/internal/netprobe"
	"github.com/mhago/mhago/nodeagent/proto"
)

// confirmDeadMaster gathers independent evidence that the master is down:
// MySQL, a raw TCP connect, SSH, every replica's IO thread, and the
// operator's secondary_check_script. A refused login or a replica still
// connected proves it alive, and the run stops before changing anything.
func confirmDeadMaster(ctx context.Context, st *State) error {
	// The port probe of a vanished host takes its whole timeout: it runs
	// while the replicas are asked.
	portDone := make(chan netprobe.Reach, 1)
	go func() {
		reach, _ := netprobe.Probe(ctx, st.Dead.Server.Addr(), greetingWait)
		portDone <- reach
	}()
	ev := decide.Evidence{Host: st.Dead.Name(), SQLErr: errString(st.Dead.SQLErr),
		SQLUnreachable: errors.Is(st.Dead.SQLErr, instance.ErrUnreachable),
		AccessDenied:   errors.Is(st.Dead.SQLErr, instance.ErrAccessDenied),
		CanFence:       st.scripts(st.Dead).Shutdown != ""}
	reachable := st.Dead.SSHErr == nil
	ev.SSHReachable = &reachable
	st.SSHReachable = reachable
	ev.Replicas = st.waitReplicasDisconnected(ctx)
	ev.SecondaryCheck = st.secondaryCheck(ctx)
	port := <-portDone
	ev.TCPOpen, ev.TCPSilent = port != netprobe.Unreachable, port == netprobe.Silent
	dead, reasons := decide.ConfirmDead(ev)
	for _, r := range reasons {
		st.Report.Note(r)
	}
	if !dead {
		st.Report.MasterNotDead = true
		return fmt.Errorf("%w: %s", ErrMasterAlive, strings.Join(reasons, "; "))
	}
	return nil
}

// greetingWait bounds the connect to the master's MySQL port and the wait
// for mysqld's greeting, which a running server sends at once.
const greetingWait = 2 * time.Second

// waitReplicasDisconnected re-reads the replicas until none has a running
// IO thread, or ConfirmWait passes. A master that vanished without a TCP
// reset (host gone, packets dropped) is noticed by a replica only after
// slave_net_timeout, so each replica whose IO thread still says Yes is
// asked, through its node agent, whether its own host reaches the master:
// when none does, the wait ends there.
func (st *State) waitReplicasDisconnected(ctx context.Context) []decide.ReplicaView {
	deadline := time.Now().Add(st.opts.ConfirmWait)
	for {
		views, connected := st.replicaViews(ctx)
		if connected > 0 {
			connected = st.probeFromReplicas(ctx, views)
		}
		if connected == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return views
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// replicaProbeWait bounds a replica host's connect to the master.
const replicaProbeWait = time.Second

// probeFromReplicas marks the views whose IO thread says Yes while their
// host cannot reach the master, and returns how many still count as
// connected. A replica without an agent (no SSH) stays connected: only a
// positive finding overrules its IO thread.
func (st *State) probeFromReplicas(ctx context.Context, views []decide.ReplicaView) int {
	var asked []*Host
	for _, v := range views {
		if v.IORunning == "Yes" {
			asked = append(asked, st.host(v.Name))
		}
	}
	reach := make([][2]string, len(asked))
	st.each(ctx, asked, func(ctx context.Context, st *State, h *Host) error {
		r, why := st.probeFrom(ctx, h)
		st.log.Info("master probed from replica host", "phase", "1", "host", h.Name(), "reach", r, "detail", why)
		reach[slices.Index(asked, h)] = [2]string{r, why}
		return nil
	})
	connected := 0
	for i := range views {
		k := slices.Index(asked, st.host(views[i].Name))
		switch {
		case k < 0:
		case reach[k][0] == string(netprobe.Unreachable):
			views[i].Unreachable, views[i].Why = true, reach[k][1]
		case reach[k][0] == string(netprobe.Silent) && st.scripts(st.Dead).Shutdown != "":
			// Hung there too, and shutdown_script can fence it: waiting
			// for slave_net_timeout adds nothing (decide weighs it).
			views[i].Silent = true
		default:
			connected++
		}
	}
	return connected
}

// probeFrom asks h's agent whether h reaches the dead master's MySQL port;
// "" when it could not be asked.
func (st *State) probeFrom(ctx context.Context, h *Host) (reach, detail string) {
	if err := st.ensureAgent(ctx, h); err != nil {
		return "", err.Error()
	}
	res, err := h.Agent.Probe(ctx, proto.ProbeRequest{Addr: st.Dead.Server.Addr(), TimeoutMS: int(replicaProbeWait.Milliseconds())})
	if err != nil {
		return "", err.Error()
	}
	return res.Reach, res.Detail
}

// secondaryCheck runs secondary_check_script with MHA's arguments; nil
// when none is configured.
func (st *State) secondaryCheck(ctx context.Context) *int {
	cmd := st.scripts(st.Dead).SecondaryCheck // the monitored master's, as MHA
	if cmd == "" {
		return nil
	}
	d := st.Dead.Server
	args := []string{"--user=" + d.SSHUser, "--master_host=" + d.Hostname, "--master_ip=" + d.IP,
		"--master_port=" + fmt.Sprint(d.Port), "--master_user=" + d.User}
	if d.SSHOptions != "" {
		args = append(args, "--options="+d.SSHOptions)
	}
	if code, ok := st.builtinSecondaryCheck(ctx, cmd, args); ok {
		return &code
	}
	res := st.runHook(ctx, "secondary_check_script", cmd, args, origMasterSecret(d.Password.Reveal()))
	return &res.ExitCode
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (st *State) replicaViews(ctx context.Context) ([]decide.ReplicaView, int) {
	var views []decide.ReplicaView
	connected := 0
	for _, h := range st.Replicas {
		if s, err := instance.Read(ctx, h.DB, h.Name()); err == nil {
			h.Status = s
		}
		rs := h.Status.Replica
		views = append(views, decide.ReplicaView{Name: h.Name(), IORunning: rs.IORunning, LastIOErrno: rs.LastIOErrno, MasterMatches: true})
		if rs.IORunningYes() {
			connected++
		}
	}
	return views, connected
}
