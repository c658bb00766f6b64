package checks

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// MinWorkdirFree is the free space below which remote_workdir gets a
// warning: a failover writes the dead master's binlog and the relay-log
// diffs there, and a full disk stops it after the point of no return.
const MinWorkdirFree = 1 << 30

// The rules below check what a failover needs beyond a healthy
// replication: a place to run its agent on every host, the tools it
// applies diffs with, the replication user's login to a new master, its
// own files on the manager host and its lock.

// checkWorkdir judges remote_workdir and the agent pushed into it.
func (e *evaluation) checkWorkdir(h *HostObs, isMaster bool) {
	d := h.SSH.Workdir
	if d.Leftover != "" {
		e.warn(h.Name, "remote_workdir", "check left a file behind: "+d.Leftover,
			fmt.Sprintf("on %s: rm -rf the path named here", h.Hostname))
	}
	switch {
	case d.Missing:
		e.fail(CatEnvironment, h.Name, "remote_workdir", fmt.Sprintf("remote_workdir %s does not exist on %s (check does not create it)", d.Path, h.Hostname),
			fmt.Sprintf("on %s, as ssh_user: mkdir -p -m 0700 %s", h.Hostname, d.Path))
		return
	case d.Err != "":
		e.fail(CatEnvironment, h.Name, "remote_workdir", fmt.Sprintf("remote_workdir %s on %s is not usable: %s", d.Path, h.Hostname, d.Err),
			fmt.Sprintf("make %s a directory ssh_user can write on %s, or set remote_workdir in [%s] to one", d.Path, h.Hostname, h.Name))
		return
	}
	a := d.Agent
	if a == nil {
		return // no agent binary: reported once by checkAgentBinary
	}
	switch {
	case a.NoExec:
		e.fail(CatEnvironment, h.Name, "agent", fmt.Sprintf("the node agent cannot be executed from remote_workdir %s on %s: its filesystem is mounted noexec (%s)", d.Path, h.Hostname, a.Err),
			fmt.Sprintf("set remote_workdir in [%s] to a directory on a filesystem without noexec (e.g. /var/lib/mhago), or remount it with exec", h.Name))
	case a.NoSpace:
		e.fail(CatEnvironment, h.Name, "agent", fmt.Sprintf("no space left in remote_workdir %s on %s for the node agent (%s)", d.Path, h.Hostname, a.Err),
			fmt.Sprintf("free space on that filesystem, or set remote_workdir in [%s] to a larger one", h.Name))
	case a.Fix != "":
		e.fail(CatEnvironment, h.Name, "agent", fmt.Sprintf("the node agent cannot run on %s: %s", h.Hostname, a.Err), a.Fix)
	case a.Err != "":
		e.fail(CatEnvironment, h.Name, "agent", fmt.Sprintf("the node agent cannot run from remote_workdir %s on %s: %s", d.Path, h.Hostname, a.Err),
			"fix the cause named here; a failover pushes and runs the agent the same way")
	default:
		e.checkTools(h, isMaster)
		if a.FreeBytes < MinWorkdirFree {
			e.warn(h.Name, "remote_workdir_space", fmt.Sprintf("remote_workdir %s has %s free; a failover writes the dead master's binlog and the relay-log diffs there", d.Path, humanBytes(a.FreeBytes)),
				fmt.Sprintf("free space on that filesystem, or set remote_workdir in [%s] to one with at least 1 GiB free (more than the binlogs a replica can lag behind)", h.Name))
		}
	}
}

// checkTools requires the programs a failover applies diffs with. The
// master only needs them once it is a replica again, so there it is
// advice. Empty fields mean the agent does not report tools: nothing to
// judge then.
func (e *evaluation) checkTools(h *HostObs, isMaster bool) {
	a := h.SSH.Workdir.Agent
	if a.ToolsError == "" {
		return
	}
	where := "client_bindir is not set, so they are looked up in ssh_user's PATH"
	if h.ClientBindir != "" {
		where = "client_bindir=" + h.ClientBindir
	}
	msg := fmt.Sprintf("the tools that apply diffs are missing on %s (%s): %s", h.Hostname, where, a.ToolsError)
	fix := fmt.Sprintf("install the MariaDB or MySQL client on %s (mariadb-binlog and mariadb, or mysqlbinlog and mysql), or set client_bindir in [%s] to their directory", h.Hostname, h.Name)
	if isMaster {
		e.warn(h.Name, "apply_tools", msg+"; needed when this host is a replica", fix)
		return
	}
	e.fail(CatEnvironment, h.Name, "apply_tools", msg, fix)
}

// checkAgentBinary: without the agent no failover can save or apply a
// diff, so the check fails once, not per host.
func (e *evaluation) checkAgentBinary() {
	if e.in.AgentErr != "" {
		e.fail(CatEnvironment, "", "agent", e.in.AgentErr,
			"correct agent_path in [server default] to a readable mhago-agent of this mhago's version, or remove it: mhago then pushes its built-in agent or itself")
	}
}

// skipNoReplPassword is the Skip of a login whose password the failover
// would not set.
const skipNoReplPassword = "repl_password is not set"

// checkReplLogins turns the replication user's logins into findings. A
// refused one is the failover's classic silent failure: every replica is
// repointed and every IO thread stops with error 1045.
func (e *evaluation) checkReplLogins() {
	var notSet, unsupported []string
	for _, l := range e.in.ReplLogins {
		to, from := e.host(l.To), e.host(l.From)
		if to == nil || from == nil {
			continue
		}
		switch {
		case l.Skip == skipNoReplPassword:
			if !slices.Contains(notSet, l.To) {
				notSet = append(notSet, l.To)
			}
		case l.Skip != "":
			e.warn(l.From, "repl_login", fmt.Sprintf("replication login from %s to %s not verified: %s", l.From, l.To, l.Skip),
				"set repl_user and repl_password in [server default]")
		case l.Unsupported:
			if !slices.Contains(unsupported, l.From) {
				unsupported = append(unsupported, l.From)
				slices.Sort(unsupported)
			}
		case l.Err != "":
			e.warn(l.From, "repl_login", fmt.Sprintf("could not try repl user '%s' from %s to %s: %s", l.User, l.From, hostinfo(to), l.Err),
				"run the check again; if it persists, fix the cause named here")
		case l.OK:
		case networkErrno(l.ErrorCode):
			e.fail(CatEnvironment, l.To, "repl_login", fmt.Sprintf("%s cannot reach %s (%s:%d) over MySQL: %s", l.From, l.To, to.IP, to.Port, l.Message),
				fmt.Sprintf("open port %d on %s to %s (firewall, bind-address); its replicas connect there after a failover", to.Port, to.IP, from.IP))
		default:
			e.fail(CatLogin, l.To, "repl_login", fmt.Sprintf("repl user '%s' cannot log in to %s (%s:%d) from %s: %s", l.User, l.To, to.IP, to.Port, l.From, l.Message),
				replLoginFix(to, l.User))
		}
	}
	if len(notSet) > 0 {
		e.warn("", "repl_password", fmt.Sprintf("repl_password is not set for %s: the replication user's login to a new master was not verified (a failover keeps each replica's current password, as MHA does)", strings.Join(notSet, ", ")),
			"set repl_password or repl_password_file in [server default] to have it verified here and used by the failover")
	}
	if len(unsupported) > 0 {
		e.warn("", "repl_login", fmt.Sprintf("the node agent on %s does not serve the login test: the replication user's login to a new master was not verified", strings.Join(unsupported, ", ")),
			"use an mhago whose node agent serves the login command (agent protocol with proto.CmdLogin)")
	}
}

func replLoginFix(to *HostObs, user string) string {
	from := to.ReplPasswordFrom
	if from == "" {
		from = "repl_password in [server default]"
	}
	return fmt.Sprintf("correct %s, or the account's password/host on %s: ALTER USER '%s'@'<replica network>' IDENTIFIED BY '<repl_password>'",
		from, to.Name, user)
}

// networkErrno: the client never reached the server (2002 socket, 2003
// TCP, 2005 unknown host, 2013 lost during connect), which says nothing
// about the password.
func networkErrno(n int) bool { return n == 2002 || n == 2003 || n == 2005 || n == 2013 }

func (e *evaluation) host(name string) *HostObs {
	for i := range e.in.Hosts {
		if e.in.Hosts[i].Name == name {
			return &e.in.Hosts[i]
		}
	}
	return nil
}

// checkManager: the failover writes its journal, reports and guard files
// in manager_workdir and logs to manager_log; if it cannot, it must not
// start, so the check says so now.
func (e *evaluation) checkManager() {
	m := e.in.Manager
	if m == nil {
		return
	}
	switch {
	case m.WorkdirErr != "" && m.WorkdirMissing:
		e.fail(CatEnvironment, "", "manager_workdir", fmt.Sprintf("manager_workdir %s does not exist and %s", m.Workdir, m.WorkdirErr),
			"on this manager host, as the user running mhago: mkdir -p -m 0700 "+m.Workdir+" (after moving whatever is in the way), or set manager_workdir in [server default]")
	case m.WorkdirErr != "":
		e.fail(CatEnvironment, "", "manager_workdir", fmt.Sprintf("manager_workdir %s is not writable: %s", m.Workdir, m.WorkdirErr),
			"make "+m.Workdir+" a directory the user running mhago can write (not on a read-only mount), or set manager_workdir in [server default]")
	case m.WorkdirMissing:
		e.warn("", "manager_workdir", fmt.Sprintf("manager_workdir %s does not exist; it will be created by the first failover", m.Workdir),
			"mkdir -p -m 0700 "+m.Workdir+" to keep it private from the start")
	}
	if m.Unfinished != "" {
		e.fail(CatEnvironment, "", "unfinished_run", "an earlier failover did not finish: "+m.Unfinished,
			"finish it: mhago failover --conf "+m.Config+" --resume; or close it: mhago failover --conf "+m.Config+" --abandon")
	}
	for _, ef := range m.ErrorFiles {
		msg := fmt.Sprintf("%s exists since %s: a failover failed after its point of no return, and the next one refuses to start while the file is there",
			ef.Path, ef.Since.Format(time.RFC3339))
		if ef.First != "" {
			msg += " (" + ef.First + ")"
		}
		e.fail(CatEnvironment, "", "failover_error_file", msg,
			"finish that run: mhago failover --conf "+m.Config+" --resume; or repair the cluster by hand (the run's report in "+m.Workdir+
				" lists the steps), then rm "+ef.Path)
	}
	if m.LogErr != "" {
		e.fail(CatEnvironment, "", "manager_log", fmt.Sprintf("manager_log %s: %s", m.Log, m.LogErr),
			"make manager_log's directory exist and be writable by the user running mhago (mkdir -p "+dirOf(m.Log)+"), or set manager_log in [server default]")
	}
}

func dirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "/"
}

// humanBytes prints a size in binary units, as df -h does.
func humanBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
