package phases

import (
	"fmt"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/hooks"
)

// The plan functions record, in a dry run, what a skipped phase would do:
// the statements and hook calls, with MHA's exact arguments.

func planShutdown(st *State) {
	if st.Dead == nil {
		return
	}
	st.would(fmt.Sprintf("STOP SLAVE IO_THREAD on %s", hostList(st.Replicas)))
	dead := checks.HookHost(st.Dead.Server)
	if cmd := st.cfg.Scripts.MasterIPFailover; cmd != "" {
		st.would(st.planHook(hooks.IPFailoverScript, cmd, hooks.FailoverStopArgs(dead, st.SSHReachable), hooks.Secrets{}))
	}
	if cmd := st.cfg.Scripts.Shutdown; cmd != "" {
		st.would(st.planHook(hooks.ShutdownScript, cmd, hooks.ShutdownArgs(dead, st.SSHReachable, st.Dead.Server.MasterPIDFile), hooks.Secrets{}))
	}
	st.would("STOP SLAVE SQL_THREAD on every replica once it has applied what it can")
}

func planNewMaster(st *State) {
	nm := st.NewMaster
	if nm == nil {
		return
	}
	st.would(fmt.Sprintf("apply %d diff file(s) on %s in one session, then read its SHOW MASTER STATUS", len(nm.diffs), nm.Name()))
	if cmd := st.cfg.Scripts.MasterIPFailover; cmd != "" {
		args := hooks.FailoverStartArgs(checks.HookHost(st.Dead.Server), checks.HookHost(nm.Server), nm.Server.User)
		st.would(st.planHook(hooks.IPFailoverScript, cmd, args, st.startSecrets()))
	}
	st.would("SET GLOBAL read_only = 0 on " + nm.Name())
}

func planReplicas(st *State) {
	if st.NewMaster == nil {
		return
	}
	for _, h := range st.Replicas {
		if h == st.NewMaster {
			continue
		}
		if h.lackRelayLogs {
			st.would(h.Name() + ": nothing: it lacks relay logs and would be reported as not recovered")
			continue
		}
		st.would(fmt.Sprintf("%s: apply %d diff file(s), STOP SLAVE, RESET SLAVE, CHANGE MASTER TO %s (%s), START SLAVE",
			h.Name(), len(h.diffs), st.NewMaster.Name(), st.Mode))
	}
	st.would("STOP SLAVE; RESET SLAVE ALL on " + st.NewMaster.Name())
	if cmd := st.cfg.Scripts.Report; cmd != "" {
		st.would(cmd + " with MHA's report arguments")
	}
	if st.opts.RemoveDeadMasterConf {
		st.would(fmt.Sprintf("remove the [%s] block from %s once every replica is recovered", st.Dead.Name(), st.cfg.Path))
	}
}

// planLosses says, in a dry run, what the failover could not recover.
func planLosses(st *State) {
	if len(st.Report.Unsaved) == 0 {
		st.Report.Note("would lose: nothing; every transaction the dead master logged is on a replica or in its saved binlog")
		return
	}
	for _, u := range st.Report.Unsaved {
		st.Report.Note("would lose: " + u)
	}
}

func (st *State) would(what string) { st.Report.Note("would run: " + what) }

// planHook is a hook call as the run will make it, passwords masked, and
// how the passwords reach the script.
func (st *State) planHook(key, cmd string, args []string, sec hooks.Secrets) string {
	style := st.passwordStyle()
	if style == hooks.PasswordsInArgs {
		args = append(append([]string(nil), args...), hooks.PasswordArgs(key, args, sec)...)
	}
	line := hooks.CommandLine(hooks.Result{Path: cmd, Args: st.Report.ScrubArgs(args), SecretEnv: hooks.SecretEnvNames(sec)})
	switch {
	case sec == hooks.Secrets{}:
		return line
	case style == hooks.PasswordsInArgs:
		return line + " (passwords as MHA's arguments, hook_password_args=1, and in the environment)"
	}
	return line + " (passwords in the environment only; an MHA script that reads --new_master_password needs hook_password_args=1)"
}

// planRestore says what a resumed or abandoned run would restart.
func planRestore(st *State) {
	st.Report.Note("earlier run: " + st.prev.StoppedAt())
	if len(st.prev.PendingUndo) == 0 {
		st.would(fmt.Sprintf("nothing to restart: run %s left nothing stopped", st.prev.Run))
	}
	for _, u := range st.prev.PendingUndo {
		st.would(u.String() + " (restart what run " + st.prev.Run + " stopped)")
	}
}

func planCloseAbandoned(st *State) {
	st.Report.Note("earlier run: " + st.prev.StoppedAt())
	st.would(fmt.Sprintf("close run %s as abandoned, change nothing on the servers, and write %s so that no failover starts before the cluster is repaired",
		st.prev.Run, st.stateFile("error")))
}
