package decide

import "fmt"

// Exit codes of a secondary_check_script (masterha_secondary_check).
const (
	// SecondaryDown: the master is unreachable from every secondary route.
	SecondaryDown = 0
	// SecondaryRouteDown: a secondary host itself was unreachable.
	SecondaryRouteDown = 2
	// SecondaryMasterUp: some secondary host reached the master.
	SecondaryMasterUp = 3
)

// ReplicaView is one replica's view of the master, from SHOW SLAVE STATUS.
type ReplicaView struct {
	// Name is the replica's config block name.
	Name string
	// IORunning is Slave_IO_Running: Yes, No or Connecting.
	IORunning string
	// LastIOErrno is Last_IO_Errno, e.g. 2003 when the master is down.
	LastIOErrno int
	// MasterMatches is whether the replica replicates from the master being
	// judged; other replicas are not counted.
	MasterMatches bool
	// Unreachable: the replica's own host could not open a TCP connection
	// to the master's MySQL port (Why says how it failed). An IO thread
	// that still says Yes then holds a connection to a master that
	// vanished without a reset (host gone, packets dropped), which it
	// notices only after slave_net_timeout.
	Unreachable bool
	Why         string
	// Silent: the replica's host connects to the master's port but gets
	// no greeting either: mysqld is hung there too.
	Silent bool
}

// Evidence is everything observed about a master suspected dead.
type Evidence struct {
	// Host names the master in every reason.
	Host string
	// SQLErr is the error of the last connection attempt, "" on success.
	SQLErr string
	// SQLUnreachable: the connection failed at the network level (refused,
	// timed out, no route).
	SQLUnreachable bool
	// AccessDenied: the server itself rejected the login (access denied,
	// too many connections, host blocked...), which proves mysqld runs.
	AccessDenied bool
	// TCPOpen: a plain TCP connect to the MySQL port succeeded.
	TCPOpen bool
	// TCPSilent: the port accepted the connection, but no MySQL greeting
	// came: mysqld is hung (stopped, disk full), the kernel accepts for it.
	TCPSilent bool
	// CanFence: a shutdown_script is configured, so a hung master can be
	// fenced (killed or powered off) before another is promoted.
	CanFence bool
	// SSHReachable is whether SSH to the master works; nil when unknown. It
	// decides whether the binlog can be saved, not whether mysqld is dead.
	SSHReachable *bool
	// Replicas are the replicas' views of the master.
	Replicas []ReplicaView
	// SecondaryCheck is the secondary_check_script exit code, nil when no
	// script is configured.
	SecondaryCheck *int
}

// verdict collects observations that refuse or support "dead".
type verdict struct{ refuse, support []string }

func (v *verdict) alive(format string, a ...any) {
	v.refuse = append(v.refuse, fmt.Sprintf(format, a...))
}

func (v *verdict) dead(format string, a ...any) {
	v.support = append(v.support, fmt.Sprintf(format, a...))
}

// ConfirmDead decides whether the master is dead: MySQL unreachable at the
// network level (a rejected login proves mysqld is running), its port
// closed to TCP, every replica of it with its IO thread not running, and
// the secondary check, if configured, exiting 0. When dead, reasons are the
// supporting observations; otherwise they are only the observations that
// refute it. Every reason names the host it is about.
func ConfirmDead(ev Evidence) (dead bool, reasons []string) {
	var v verdict
	checkSQL(&v, ev)
	checkTCP(&v, ev)
	checkReplicas(&v, ev)
	checkSecondary(&v, ev)
	if len(v.refuse) > 0 {
		return false, v.refuse
	}
	noteSSH(&v, ev)
	return true, v.support
}

func checkSQL(v *verdict, ev Evidence) {
	switch {
	case ev.AccessDenied:
		v.alive("%s: mysqld rejected the login, so it is running: %s", ev.Host, ev.SQLErr)
	case !ev.SQLUnreachable && ev.SQLErr == "":
		v.alive("%s: MySQL accepted a connection", ev.Host)
	case !ev.SQLUnreachable:
		v.alive("%s: MySQL error is not a connection failure: %s", ev.Host, ev.SQLErr)
	default:
		v.dead("%s: MySQL unreachable: %s", ev.Host, ev.SQLErr)
	}
}

func checkTCP(v *verdict, ev Evidence) {
	switch {
	case ev.TCPOpen && ev.TCPSilent && ev.CanFence:
		v.dead("%s: the MySQL port accepts TCP connections but mysqld sends no greeting: it is hung; shutdown_script must fence it before another master is promoted", ev.Host)
	case ev.TCPOpen && ev.TCPSilent:
		v.alive("%s: the MySQL port accepts TCP connections but mysqld sends no greeting: it is hung (stopped? disk full?), not gone, and could wake up and take writes. "+
			"Fence it first: on its host kill mysqld with SIGKILL (e.g. `systemctl kill -s KILL mariadb`) or power it off, or configure shutdown_script (MHA's power_manager); then run the failover again", ev.Host)
	case ev.TCPOpen:
		v.alive("%s: the MySQL port still accepts TCP connections and mysqld answers", ev.Host)
	default:
		v.dead("%s: the MySQL port does not accept TCP connections", ev.Host)
	}
}

func checkReplicas(v *verdict, ev Evidence) {
	for _, r := range ev.Replicas {
		switch {
		case !r.MasterMatches:
			v.dead("%s: replicates from another master, not counted", r.Name)
		case r.IORunning == "Yes" && r.Unreachable:
			v.dead("%s: IO thread still says Yes, but its host cannot reach %s (%s): the connection is dead and not yet timed out", r.Name, ev.Host, r.Why)
		case r.IORunning == "Yes" && r.Silent && ev.TCPSilent && ev.CanFence:
			v.dead("%s: IO thread still says Yes, but %s sends its host no greeting either: mysqld is hung, and shutdown_script fences it before another master is promoted", r.Name, ev.Host)
		case r.IORunning == "Yes":
			v.alive("%s: IO thread still connected to %s (Slave_IO_Running=Yes)", r.Name, ev.Host)
		default:
			v.dead("%s: IO thread lost %s (Slave_IO_Running=%s, Last_IO_Errno=%d)", r.Name, ev.Host, r.IORunning, r.LastIOErrno)
		}
	}
}

func checkSecondary(v *verdict, ev Evidence) {
	if ev.SecondaryCheck == nil {
		v.dead("%s: no secondary check configured", ev.Host)
		return
	}
	switch code := *ev.SecondaryCheck; code {
	case SecondaryDown:
		v.dead("%s: secondary check found it unreachable from every route (exit 0)", ev.Host)
	case SecondaryRouteDown:
		v.alive("%s: secondary check could not reach a secondary host, so it cannot confirm (exit 2)", ev.Host)
	case SecondaryMasterUp:
		v.alive("%s: secondary check reached it from a secondary host (exit 3)", ev.Host)
	default:
		v.alive("%s: secondary check failed, result unknown (exit %d)", ev.Host, code)
	}
}

func noteSSH(v *verdict, ev Evidence) {
	switch {
	case ev.SSHReachable == nil:
		v.dead("%s: SSH reachability unknown", ev.Host)
	case *ev.SSHReachable:
		v.dead("%s: SSH reachable, its binlog can be saved", ev.Host)
	default:
		v.dead("%s: SSH unreachable, events not yet replicated cannot be saved", ev.Host)
	}
}
