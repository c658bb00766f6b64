package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mhago/mhago/checks"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// The tests of this file run one at a time (the package's tests run in
// sequence), each on its own 3-host cluster at this base.
const baseHooks = 88 // 3 hosts: 89..91

// withHooks writes a variant of the cluster's config with these lines added
// to [server default].
func (s *scenario) withHooks(lines ...string) string {
	s.t.Helper()
	return rewriteConf(s.t, s.c.ConfigPath(), `(?m)^\[server default\]$`, "[server default]\n"+strings.Join(lines, "\n"))
}

// failoverJSON runs failover --json on conf and decodes the report.
func (s *scenario) failoverJSON(conf string, args ...string) (int, *report.Report, string, string) {
	s.t.Helper()
	code, out, errOut := runCLI(s.t, append([]string{"failover", "--conf", conf, "--json"}, args...)...)
	rep := &report.Report{}
	if err := json.Unmarshal([]byte(out), rep); err != nil {
		s.t.Fatalf("failover output is not a report (exit %d): %v\n%s", code, err, out)
	}
	return code, rep, out, errOut
}

// onlyInDeadBinlog kills the master under load after the replicas' IO
// threads stopped: the last commits are only in the dead master's binlog.
func (s *scenario) onlyInDeadBinlog() []int64 {
	return s.killUnderLoad(300, func() {
		for _, i := range []int{2, 3} {
			if err := s.c.StopIOThread(s.ctx, i); err != nil {
				s.t.Fatal(err)
			}
		}
	})
}

func hookCalls(rep *report.Report, name, command string) []int {
	var codes []int
	for _, h := range rep.Hooks {
		for _, a := range h.Args {
			if h.Name == name && a == "--command="+command {
				codes = append(codes, h.ExitCode)
			}
		}
	}
	return codes
}

// master_ip_failover_script --command=stopssh exiting 10 is MHA's "failed,
// but proceed": the failover goes on, and the report says the call failed.
func TestHookStopExit10Proceeds(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseHooks, Hosts: 3})
	hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stop*) echo "VIP API half done"; exit 10;; esac; exit 0`)
	conf := s.withHooks("master_ip_failover_script=" + hook)
	acked := s.killUnderLoad(300, nil)
	code, rep, _, _ := s.failoverJSON(conf)
	if code != exitOK || rep.Outcome != report.OutcomeSuccess {
		t.Fatalf("exit %d, outcome %s: %s", code, rep.Outcome, rep.Error)
	}
	if got := hookCalls(rep, "master_ip_failover_script", "stopssh"); len(got) != 1 || got[0] != 10 {
		t.Fatalf("stopssh calls: %v", got)
	}
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "stopssh exited 10 (VIP API half done): it failed, but asked to proceed") {
		t.Fatalf("no note about the exit 10:\n%s", strings.Join(rep.Notes, "\n"))
	}
	if body := report.Body(rep); !strings.Contains(body, "Failed to deactivate master IP with return code 10:0") {
		t.Fatalf("MHA's body line is missing:\n%s", body)
	}
	s.assertRecovered(rep, acked, 2, 3)
}

// shutdown_script exit 10 ("SSH reachable, mysqld killed") keeps the dead
// master's binlog save: the commits only it had are recovered. Exit 0
// ("powered off") skips the save, as in MHA, and the report says so.
func TestShutdownScriptExitCodes(t *testing.T) {
	for _, tc := range []struct {
		exit  string
		saved bool
	}{{"10", true}, {"0", false}} {
		t.Run("exit "+tc.exit, func(t *testing.T) {
			s := newScenario(t, cluster.Options{Base: baseHooks, Hosts: 3})
			hook := writeHook(t, s.c.Dir(), `case "$*" in *--command=stopssh*) echo "fenced $*"; exit `+tc.exit+`;; esac; exit 0`)
			conf := s.withHooks("shutdown_script=" + hook)
			acked := s.onlyInDeadBinlog()
			code, rep, _, _ := s.failoverJSON(conf)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, rep.Error)
			}
			notes, unsaved := strings.Join(rep.Notes, "\n"), strings.Join(rep.Unsaved, "\n")
			if tc.saved {
				if diffKinds(rep)[report.DiffMasterBinlog] == 0 || len(rep.Unsaved) != 0 || !strings.Contains(notes, "shutdown_script exited 10") {
					t.Fatalf("binlog not saved: diffs %v, unsaved %q, notes:\n%s", diffKinds(rep), rep.Unsaved, notes)
				}
				s.assertRecovered(rep, acked, 2, 3)
				return
			}
			if !strings.Contains(unsaved, "shutdown_script exited 0") || !strings.Contains(notes, "powered off") ||
				diffKinds(rep)[report.DiffMasterBinlog] != 0 {
				t.Fatalf("the report does not say the binlog was not saved: unsaved %q, diffs %v, notes:\n%s", rep.Unsaved, diffKinds(rep), notes)
			}
			nm := s.assertRecovered(rep, nil, 2, 3)
			// The commits only in the dead master's binlog are lost, which
			// proves the save was what would have kept them.
			ids, err := s.c.RowIDs(s.ctx, nm, "mhago_test.load")
			if err != nil {
				t.Fatal(err)
			}
			if len(missingAcked(acked, ids)) == 0 {
				t.Fatal("no commit was only in the dead master's binlog: the test proves nothing")
			}
		})
	}
}

// TestHookOutputNeverShowsSecrets: hooks print every password of the
// config, one of them placed so that the 4 KiB cut of the output splits
// it, and get it in argv (hook_password_args=1). Neither stdout (--json),
// stderr, manager_log, the report files nor any other file in
// manager_workdir holds a password or a piece of one.
func TestHookOutputNeverShowsSecrets(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseHooks, Hosts: 3})
	pw, repl := s.c.Password(), s.c.ReplPassword()
	ip := writeHook(t, s.c.Dir(), `pw=$(cat `+s.c.PasswordFile()+`)
case "$*" in
*--command=stop*) echo "stop: repl $(cat `+s.c.ReplPasswordFile()+`) mhago $pw"; printf '{"pw":"%s"}\n' "$pw" >&2;;
*--command=start*) echo "start: env $MHAGO_NEW_MASTER_PASSWORD orig $MHAGO_ORIG_MASTER_PASSWORD args $*"
	printf '%s' "$MHAGO_NEW_MASTER_PASSWORD"; head -c 4084 /dev/zero | tr '\0' A;;
esac
exit 0`)
	rs := filepath.Join(s.c.Dir(), "report-hook.sh")
	if err := os.WriteFile(rs, []byte("#!/bin/sh\necho \"report: $(cat "+s.c.PasswordFile()+")\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	conf := s.withHooks("master_ip_failover_script="+ip, "report_script="+rs, "hook_password_args=1", "log_level=debug")
	acked := s.killUnderLoad(300, nil)
	code, rep, out, errOut := s.failoverJSON(conf)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, rep.Error)
	}
	s.assertRecovered(rep, acked, 2, 3)
	var start string
	for _, h := range rep.Hooks {
		if a, _ := json.Marshal(h.Args); strings.Contains(string(a), "--command=start") {
			start = h.Output
			if !strings.Contains(string(a), `"--new_master_password=xxx"`) {
				t.Errorf("start args: %s", a)
			}
		}
	}
	// The password was printed right before the cut: the output was
	// scrubbed before it was cut, so what is kept ends in "xxx" + filler.
	if !strings.HasSuffix(start, "xxx"+strings.Repeat("A", 4084)) {
		t.Fatalf("start output does not end in the masked password and the filler: %.60q", start)
	}
	leaks := map[string]string{"password": pw, "repl password": repl, "password head": pw[:12], "password tail": pw[12:],
		"repl head": repl[:12], "repl tail": repl[12:]}
	where := map[string]string{"stdout": out, "stderr": errOut}
	files, _ := filepath.Glob(filepath.Join(s.c.ManagerDir(), "*"))
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			where[f] = readFile(t, f)
		}
	}
	var reports int
	for name, text := range where {
		if strings.Contains(name, ".failover.") && (strings.HasSuffix(name, ".json") || strings.HasSuffix(name, ".txt")) {
			reports++
		}
		for what, secret := range leaks {
			if strings.Contains(text, secret) {
				t.Errorf("%s holds the %s", name, what)
			}
		}
	}
	if reports != 4 || !strings.Contains(where[filepath.Join(s.c.ManagerDir(), "app.log")], "hook") {
		t.Fatalf("scanned %d report files (want 4) and manager_log %q", reports, filepath.Join(s.c.ManagerDir(), "app.log"))
	}
	if !strings.Contains(out, "stop: repl xxx mhago xxx") || !strings.Contains(out, "report: xxx") {
		t.Fatalf("the hooks' output is not in the report, masked:\n%s", out)
	}
}

// mhaHook is an unmodified MHA-style script: --command=start fails unless
// --new_master_password carries the right password.
func mhaHook(t *testing.T, s *scenario) (path, started string) {
	started = filepath.Join(s.c.Dir(), "started")
	path = writeHook(t, s.c.Dir(), `cmd= pw=
for a in "$@"; do
	case $a in
	--command=*) cmd=${a#*=};;
	--new_master_password=*) pw=${a#*=};;
	esac
done
if [ "$cmd" = start ]; then
	[ -n "$pw" ] || { echo "Got Error: no --new_master_password" >&2; exit 1; }
	[ "$pw" = "$(cat `+s.c.PasswordFile()+`)" ] || { echo "Got Error: wrong password" >&2; exit 1; }
	touch `+started+`
fi
exit 0`)
	return path, started
}

// A script that requires --new_master_password works unchanged with
// hook_password_args=1; without it, check finds it (exit 7) before a
// failover would call it without a password.
func TestHookPasswordArgs(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseHooks, Hosts: 3})
	hook, started := mhaHook(t, s)
	envConf := s.withHooks("master_ip_failover_script=" + hook)
	code, rep := checkJSON(t, envConf)
	f := findingOf(rep, "master_ip_failover_script")
	if code != exitEnvironment || f == nil || f.Severity != checks.SevFail ||
		!strings.Contains(f.Message, "parses MHA's --new_master_password option") ||
		f.Fix != "set hook_password_args=1 in [server default], or make the script read $MHAGO_NEW_MASTER_PASSWORD" {
		t.Fatalf("check without hook_password_args: exit %d, finding %+v", code, f)
	}
	argsConf := rewriteConf(t, envConf, `(?m)^\[server default\]$`, "[server default]\nhook_password_args=1")
	if code, rep := checkJSON(t, argsConf); code != exitOK || len(rep.Hooks) != 1 || rep.Hooks[0].PasswordStyle != "args" {
		t.Fatalf("check with hook_password_args=1: exit %d, hooks %+v, findings %+v", code, rep.Hooks, rep.Findings)
	}
	acked := s.killUnderLoad(300, nil)
	code, out := s.failoverText(argsConf, "--dry-run")
	if code != exitOK || !regexp.MustCompile(`would run: MHAGO_NEW_MASTER_PASSWORD=xxx MHAGO_ORIG_MASTER_PASSWORD=xxx \S+ --command=start .*--new_master_password=xxx \(passwords as MHA's arguments`).MatchString(out) {
		t.Fatalf("the dry run does not show the argument style: exit %d\n%s", code, out)
	}
	code, frep, _, _ := s.failoverJSON(argsConf)
	if code != exitOK {
		t.Fatalf("failover with hook_password_args=1: exit %d: %s", code, frep.Error)
	}
	if _, err := os.Stat(started); err != nil {
		t.Fatalf("the script's --command=start did not get its password: %v", err)
	}
	s.assertRecovered(frep, acked, 2, 3)
}

// A --command=start that fails after the point of no return does not keep
// the replicas from being repointed: exit 13, the report names the exact
// command to run by hand, and --resume then runs only that hook.
func TestStartHookFailureAfterPointOfNoReturn(t *testing.T) {
	s := newScenario(t, cluster.Options{Base: baseHooks, Hosts: 3})
	flag, calls := filepath.Join(s.c.Dir(), "vip-api-down"), filepath.Join(s.c.Dir(), "calls")
	hook := writeHook(t, s.c.Dir(), `echo "$*" >> `+calls+`
case "$*" in *--command=start*)
	if [ -e `+flag+` ]; then echo "Got Error: VIP API unreachable" >&2; exit 1; fi;;
esac
exit 0`)
	if err := os.WriteFile(flag, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	conf := s.withHooks("master_ip_failover_script=" + hook)
	acked := s.killUnderLoad(300, nil)
	code, rep, out, _ := s.failoverJSON(conf)
	if code != exitAfterPONR || rep.Outcome != report.OutcomeFailed {
		t.Fatalf("exit %d, outcome %s, want %d: %s", code, rep.Outcome, exitAfterPONR, rep.Error)
	}
	nm := s.assertRecovered(rep, acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
	if len(rep.Remaining) != 1 || rep.Remaining[0].Phase != "3.5 new master activation" {
		t.Fatalf("remaining: %+v", rep.Remaining)
	}
	want := "`MHAGO_NEW_MASTER_PASSWORD=xxx MHAGO_ORIG_MASTER_PASSWORD=xxx " + hook + " --command=start --ssh_user=root"
	left := rep.Remaining[0].Action
	if !strings.Contains(left, "The VIP was not moved to") || !strings.Contains(left, want) ||
		!strings.Contains(left, "VIP API unreachable") || !strings.Contains(left, "--resume`, which runs only this hook") {
		t.Fatalf("what is left does not name the command (%s):\n%s", want, left)
	}
	if strings.Contains(out, s.c.Password()) {
		t.Fatal("the report prints the password")
	}
	text := readFile(t, filepath.Join(s.c.ManagerDir(), strings.TrimSuffix(filepath.Base(conf), ".cnf")+".failover.last.txt"))
	if !strings.Contains(text, "OPERATOR ACTION REQUIRED") || !strings.Contains(text, "Everything else is done") || !strings.Contains(text, want) {
		t.Fatalf("the text report does not say what is left:\n%s", text)
	}
	// Once the VIP API is back, --resume runs the hook and changes
	// nothing else.
	os.Remove(flag)
	before := readFile(t, calls)
	code, rrep, _, _ := s.failoverJSON(conf, "--resume")
	if code != exitOK {
		t.Fatalf("--resume: exit %d: %s", code, rrep.Error)
	}
	if added := strings.TrimPrefix(readFile(t, calls), before); strings.Count(added, "\n") != 1 || !strings.Contains(added, "--command=start") {
		t.Fatalf("--resume called the hook with:\n%s", added)
	}
	notes := strings.Join(rrep.Notes, "\n")
	for _, h := range rrep.Hosts {
		if h.AppliedTransactions != 0 || h.AppliedEvents != 0 {
			t.Errorf("--resume applied %d transactions on %s", h.AppliedTransactions, h.Name)
		}
	}
	if !strings.Contains(notes, "already replicates from "+rep.NewMaster.Name+"; not repointed again") {
		t.Fatalf("--resume repointed a replica again:\n%s", notes)
	}
	s.assertRecovered(rrep, acked, 2, 3)
	s.assertOneWritable(nm, 2, 3)
}
