package phases

import (
	"fmt"
	"strings"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
)

// The plan functions record, in a dry run, what a skipped phase would do:
// the statements (built by the same functions as the run's, in each host's
// syntax, passwords shown as 'xxx') and hook calls, with MHA's exact
// arguments.

func planShutdown(st *State) {
	if st.Dead == nil {
		return
	}
	st.wouldOn(st.Replicas, func(v repl.Version) replsql.Statement { return replsql.Stop(v, replsql.IOThread) }, "")
	dead := checks.HookHost(st.Dead.Server)
	if cmd := st.scripts(st.Dead).MasterIPFailover; cmd != "" {
		st.would(st.planHook(hooks.IPFailoverScript, cmd, hooks.FailoverStopArgs(dead, st.SSHReachable), hooks.Secrets{}))
	}
	if cmd := st.scripts(st.Dead).Shutdown; cmd != "" {
		st.would(st.planHook(hooks.ShutdownScript, cmd, hooks.ShutdownArgs(dead, st.SSHReachable, st.Dead.Server.MasterPIDFile), hooks.Secrets{}))
	}
	st.wouldOn(st.Replicas, func(v repl.Version) replsql.Statement { return replsql.Stop(v, replsql.SQLThread) },
		" once each has applied what it can")
}

func planNewMaster(st *State) {
	nm := st.NewMaster
	if nm == nil {
		return
	}
	v := hostVersion(nm)
	st.would(fmt.Sprintf("%s on %s, then read its %s", applyWords(nm), nm.Name(), replsql.ShowBinlogStatus(v)))
	if cmd := st.scripts(nm).MasterIPFailover; cmd != "" {
		args := hooks.FailoverStartArgs(checks.HookHost(st.Dead.Server), checks.HookHost(nm.Server), nm.Server.User)
		st.would(st.planHook(hooks.IPFailoverScript, cmd, args, st.startSecrets()))
	}
	st.would(replsql.Join(replsql.Writable(v)) + " on " + nm.Name())
}

func planReplicas(st *State) {
	nm := st.NewMaster
	if nm == nil {
		return
	}
	pos, note, posErr := st.plannedPosition()
	for _, h := range st.Replicas {
		if h == nm {
			continue
		}
		if h.lackRelayLogs {
			st.would(h.Name() + ": nothing: it lacks relay logs and would be reported as not recovered")
			continue
		}
		stmts, err := []replsql.Statement(nil), posErr
		if err == nil {
			stmts, err = st.repointStatements(h, pos)
		}
		if err != nil {
			st.would(fmt.Sprintf("%s: %s, then repoint it; its statements cannot be built now: %v", h.Name(), applyWords(h), err))
			continue
		}
		st.would(fmt.Sprintf("%s: %s, then %s", h.Name(), applyWords(h), replsql.Join(stmts)))
	}
	if note != "" {
		st.Report.Note(note)
	}
	if nm.Server.SkipResetSlave {
		st.Report.Note("skip_reset_slave=1: " + nm.Name() + " would keep its replication settings")
	} else {
		st.would(replsql.Join(cleanupStatements(nm)) + " on " + nm.Name())
	}
	if cmd := st.scripts(st.Dead).Report; cmd != "" {
		st.would(cmd + " with MHA's report arguments")
	}
	if st.opts.RemoveDeadMasterConf {
		st.would(fmt.Sprintf("remove the [%s] block from %s once every replica is recovered", st.Dead.Name(), st.cfg.Path))
	}
}

// plannedPosition is where the plan points the other replicas: the
// recorded position of an earlier run, else the new master's binlog
// position now. The run reads it again once the new master has applied its
// diffs, so the note says when the plan's coordinates are those before.
func (st *State) plannedPosition() (newMasterPosition, string, error) {
	if st.NewMasterFile != "" {
		return newMasterPosition{File: st.NewMasterFile, Pos: st.NewMasterPos, GTID: st.NewMasterGTID}, "", nil
	}
	nm := st.NewMaster
	if nm.Status == nil || nm.Status.Binlog == nil {
		return newMasterPosition{}, "", fmt.Errorf("new master %s shows no binlog position (log_bin=OFF?)", nm.Name())
	}
	pos := newMasterPosition{File: nm.Status.Binlog.File, Pos: nm.Status.Binlog.Pos, GTID: nm.Status.GTIDBinlogPos}
	var note string
	if len(nm.diffs) > 0 {
		note = fmt.Sprintf("the replicas' start position above is %s's binlog position now (%s:%d); the run reads it again after %s applies its %d diff file(s)",
			nm.Name(), pos.File, pos.Pos, nm.Name(), len(nm.diffs))
	}
	return pos, note, nil
}

// wouldOn records the statement build makes for each host, one line per
// distinct text (hosts of one syntax share it), in host order.
func (st *State) wouldOn(hs []*Host, build func(repl.Version) replsql.Statement, suffix string) {
	var texts []string
	on := map[string][]*Host{}
	for _, h := range hs {
		text := build(hostVersion(h)).String()
		if on[text] == nil {
			texts = append(texts, text)
		}
		on[text] = append(on[text], h)
	}
	for _, text := range texts {
		st.would(text + " on " + hostList(on[text]) + suffix)
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
		what := u.String()
		if h := st.host(u.Host); h != nil {
			if stmt, err := undoStatement(h, u); err == nil {
				what = stmt.String() + " on " + h.Name()
			}
		}
		st.would(what + " (restart what run " + st.prev.Run + " stopped)")
	}
}

func planCloseAbandoned(st *State) {
	st.Report.Note("earlier run: " + st.prev.StoppedAt())
	st.would(fmt.Sprintf("close run %s as abandoned, change nothing on the servers, and write %s so that no failover starts before the cluster is repaired",
		st.prev.Run, st.stateFile("error")))
}

// applyWords says how h would be brought up to date: its own SQL thread
// for its own relay log where that is safe, diff files for the rest.
func applyWords(h *Host) string {
	diffs, why := h.diffs, ""
	var steps []string
	if len(diffs) > 0 && diffs[0].kind == "exec" {
		if why = ownApplierRefused(h.Frozen, diffs[0].result); why == "" {
			steps = append(steps, fmt.Sprintf("start its SQL thread to execute the %d bytes of relay log it has not executed, stop it again", diffs[0].result.Bytes))
			diffs = diffs[1:]
		}
	}
	if len(steps) == 0 || len(diffs) > 0 {
		s := fmt.Sprintf("apply %d diff file(s) in one session", len(diffs))
		if why != "" {
			s += " (its own relay log among them: " + why + ")"
		}
		steps = append(steps, s)
	}
	return strings.Join(steps, ", then ")
}
