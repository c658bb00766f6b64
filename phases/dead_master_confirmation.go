package phases

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
)

// confirmDeadMaster gathers independent evidence that the master is down:
// MySQL, a raw TCP connect, SSH, every replica's IO thread, and the
// operator's secondary_check_script. A refused login or a replica still
// connected proves it alive, and the run stops before changing anything.
func confirmDeadMaster(ctx context.Context, st *State) error {
	port := probePort(ctx, st.Dead.Server.Addr())
	ev := decide.Evidence{Host: st.Dead.Name(), SQLErr: errString(st.Dead.SQLErr),
		SQLUnreachable: errors.Is(st.Dead.SQLErr, instance.ErrUnreachable),
		AccessDenied:   errors.Is(st.Dead.SQLErr, instance.ErrAccessDenied),
		TCPOpen:        port != portClosed, TCPSilent: port == portSilent,
		CanFence: st.cfg.Scripts.Shutdown != ""}
	reachable := st.Dead.SSHErr == nil
	ev.SSHReachable = &reachable
	st.SSHReachable = reachable
	ev.Replicas = st.waitReplicasDisconnected(ctx)
	ev.SecondaryCheck = st.secondaryCheck(ctx)
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

// portState is what a plain TCP connect to the MySQL port finds.
type portState int

const (
	portClosed    portState = iota // refused or unreachable
	portAnswering                  // mysqld sent its greeting
	portSilent                     // accepted, but no greeting: mysqld is hung
)

// greetingWait bounds the wait for mysqld's greeting, which a running
// server sends at once.
const greetingWait = 2 * time.Second

// probePort tells a dead mysqld from a hung one: the kernel accepts TCP
// connections for a stopped process, but only a running mysqld greets.
func probePort(ctx context.Context, addr string) portState {
	d := net.Dialer{Timeout: 2 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return portClosed
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(greetingWait))
	if _, err := c.Read(make([]byte, 1)); err != nil {
		return portSilent
	}
	return portAnswering
}

// waitReplicasDisconnected re-reads the replicas until none has a running
// IO thread, or ConfirmWait passes: a master that vanished without a TCP
// reset is noticed by a replica only after slave_net_timeout.
func (st *State) waitReplicasDisconnected(ctx context.Context) []decide.ReplicaView {
	deadline := time.Now().Add(st.opts.ConfirmWait)
	for {
		views, connected := st.replicaViews(ctx)
		if connected == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return views
		}
		time.Sleep(500 * time.Millisecond)
	}
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

// secondaryCheck runs secondary_check_script with MHA's arguments; nil
// when none is configured.
func (st *State) secondaryCheck(ctx context.Context) *int {
	cmd := st.cfg.Scripts.SecondaryCheck
	if cmd == "" {
		return nil
	}
	d := st.Dead.Server
	args := []string{"--user=" + d.SSHUser, "--master_host=" + d.Hostname, "--master_ip=" + d.IP,
		"--master_port=" + fmt.Sprint(d.Port), "--master_user=" + d.User}
	if d.SSHOptions != "" {
		args = append(args, "--options="+d.SSHOptions)
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
