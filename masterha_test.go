package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestParseMHAArgs(t *testing.T) {
	opts := mhaOpts{"conf": optString, "interactive": optInt, "ignore_last_failover": optBool, "secondary_host": optStrings, "s": optStrings}
	for _, tc := range []struct {
		name    string
		args    []string
		vals    map[string][]string
		unknown []string
		words   []string
		err     string
	}{
		{name: "equals", args: []string{"--conf=/etc/app1.cnf"}, vals: map[string][]string{"conf": {"/etc/app1.cnf"}}},
		{name: "separate value", args: []string{"--conf", "/etc/app1.cnf"}, vals: map[string][]string{"conf": {"/etc/app1.cnf"}}},
		{name: "one dash", args: []string{"-conf=/a", "-interactive", "0"}, vals: map[string][]string{"conf": {"/a"}, "interactive": {"0"}}},
		{name: "case-insensitive", args: []string{"--Conf=/a"}, vals: map[string][]string{"conf": {"/a"}}},
		{name: "bool bare", args: []string{"--ignore_last_failover"}, vals: map[string][]string{"ignore_last_failover": {"1"}}},
		{name: "bool 0", args: []string{"--ignore_last_failover=0"}, vals: map[string][]string{"ignore_last_failover": {"0"}}},
		{name: "bool bad", args: []string{"--ignore_last_failover=yes"}, err: "takes no value or 0 or 1"},
		{name: "int bad", args: []string{"--interactive=no"}, err: `value "no" invalid for option --interactive`},
		{name: "missing value", args: []string{"--conf"}, err: "option --conf requires a value"},
		{name: "repeated", args: []string{"-s", "h1", "--secondary_host=h2", "-s=h3"},
			vals: map[string][]string{"s": {"h1", "h3"}, "secondary_host": {"h2"}}},
		{name: "unknown passes through", args: []string{"--conf=/a", "--foo=1", "--bar", "word"},
			vals: map[string][]string{"conf": {"/a"}}, unknown: []string{"--foo=1", "--bar"}, words: []string{"word"}},
		{name: "double dash ends", args: []string{"--", "--conf=/a"}, vals: map[string][]string{}, words: []string{"--conf=/a"}},
		{name: "lone dash is a word", args: []string{"-"}, vals: map[string][]string{}, words: []string{"-"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := parseMHAArgs(opts, tc.args)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(a.vals) != len(tc.vals) {
				t.Fatalf("vals %v, want %v", a.vals, tc.vals)
			}
			for k, v := range tc.vals {
				if !slices.Equal(a.vals[k], v) {
					t.Fatalf("vals[%s] %v, want %v", k, a.vals[k], v)
				}
			}
			if !slices.Equal(a.unknown, tc.unknown) || !slices.Equal(a.words, tc.words) {
				t.Fatalf("unknown %v words %v, want %v %v", a.unknown, a.words, tc.unknown, tc.words)
			}
		})
	}
}

func TestMasterhaInvocation(t *testing.T) {
	for _, tc := range []struct {
		args []string
		tool string
		rest []string
	}{
		{[]string{"/usr/local/bin/masterha_master_switch", "--conf=x"}, "masterha_master_switch", []string{"--conf=x"}},
		{[]string{"mhago", "masterha", "masterha_check_repl", "--conf=x"}, "masterha_check_repl", []string{"--conf=x"}},
		{[]string{"masterha_secondary_check"}, "masterha_secondary_check", []string{}},
		{[]string{"mhago", "check", "--conf=x"}, "", nil},
		{[]string{"mhago", "masterha", "masterha_conf_host"}, "", nil},
		{[]string{"mhago"}, "", nil},
	} {
		tool, rest, ok := masterhaInvocation(tc.args)
		if tc.tool == "" {
			if ok {
				t.Errorf("%v: dispatched to %s", tc.args, tool.name)
			}
			continue
		}
		if !ok || tool.name != tc.tool || !slices.Equal(rest, tc.rest) {
			t.Errorf("%v: got %v %v %v, want %s %v", tc.args, ok, tool, rest, tc.tool, tc.rest)
		}
	}
}

// TestMasterhaTranslation: MHA's command lines in, mhago's out.
func TestMasterhaTranslation(t *testing.T) {
	for _, tc := range []struct {
		tool    string
		args    string
		native  string
		confirm bool
		finish  mhaEnd
		warn    []string // substrings, one per warning, in order
		err     string
	}{
		{tool: "masterha_check_repl", args: "--conf=/etc/app1.cnf", native: "check --conf=/etc/app1.cnf", finish: mhaEndHealth},
		{tool: "masterha_check_repl", args: "--conf /etc/app1.cnf --global_conf=/etc/g.cnf --seconds_behind_master=5 --skip_check_ssh",
			native: "check --conf=/etc/app1.cnf --global-conf=/etc/g.cnf --max-lag=5s", finish: mhaEndHealth,
			warn: []string{"--skip_check_ssh ignored"}},
		{tool: "masterha_check_repl", args: "--global_conf=/g", err: "--conf=<server_config_file> must be set."},
		{tool: "masterha_check_ssh", args: "--conf=/a", native: "check --conf=/a --json", finish: mhaEndSSH},
		{tool: "masterha_master_switch", args: "--conf=/a --dead_master_host=db1", err: "--master_state=<dead|alive> must be set."},
		{tool: "masterha_master_switch", args: "--master_state=gone --conf=/a", err: "--master_state=gone: it must be dead or alive."},
		{tool: "masterha_master_switch", args: "--master_state=dead --conf=/a", err: "--dead_master_host=<dead_master_hostname> must be set."},
		{tool: "masterha_master_switch", args: "--master_state=dead --conf=/a --dead_master_host=db1 --dead_master_ip=10.0.0.1 --dead_master_port=3307 --interactive=0",
			native: "failover --conf=/a --dead-master=10.0.0.1:3307 --dead-master=db1:3307", finish: mhaEndCode},
		{tool: "masterha_master_switch", args: "--master_state=dead --conf=/a --dead_master_host=10.0.0.1 --dead_master_ip=10.0.0.1",
			native: "failover --conf=/a --dead-master=10.0.0.1", confirm: true, finish: mhaEndCode},
		{tool: "masterha_master_switch", args: "--master_state=dead --conf=/a --dead_master_host=fe80::1 --dead_master_port=3306 --interactive=0",
			native: "failover --conf=/a --dead-master=[fe80::1]:3306", finish: mhaEndCode},
		{tool: "masterha_master_switch",
			args: "--master_state=dead --conf=/a --global_conf=/g --dead_master_host=db1 --new_master_host=db2 --new_master_port=3306 --interactive=0 " +
				"--ignore_last_failover --last_failover_minute=30 --remove_orig_master_conf --skip_save_master_binlog --ignore_binlog_server_error " +
				"--ssh_reachable=1 --wait_on_failover_error=5 --workdir=/w --orig_master_is_new_slave --mystery=1",
			native: "failover --conf=/a --dead-master=db1 --global-conf=/g --ignore-binlog-server-error --ignore-last-failover --last-failover=30m " +
				"--new-master=db2:3306 --remove-dead-master-conf --skip-save-binlog", finish: mhaEndCode,
			warn: []string{"--ssh_reachable ignored", "--wait_on_failover_error ignored", "--workdir ignored",
				"--orig_master_is_new_slave is not an option of --master_state=dead", "--mystery: not an option of masterha_master_switch"}},
		{tool: "masterha_master_switch", args: "--master_state=dead --conf=/a --dead_master_host=db1 --skip_change_master", err: "--skip_change_master is not supported"},
		{tool: "masterha_master_switch", args: "--master_state=alive --conf=/a --new_master_host=db2 --new_master_port=3306 --orig_master_is_new_slave " +
			"--running_updates_limit=10 --running_seconds_limit=20 --seconds_behind_master=3 --interactive=0 --skip_lock_all_tables --flush_tables=1",
			native: "switchover --conf=/a --max-lag=3s --new-master=db2:3306 --orig-master-is-new-slave --running-seconds-limit=20s --running-updates-limit=10s",
			finish: mhaEndCode, warn: []string{"--skip_lock_all_tables ignored: mhago never takes FLUSH TABLES", "--flush_tables ignored"}},
		{tool: "masterha_master_switch", args: "--master_state=alive --conf=/a --check_only",
			native: "switchover --conf=/a --dry-run", finish: mhaEndCode},
		{tool: "masterha_master_switch", args: "--master_state=alive --conf=/a", native: "switchover --conf=/a", confirm: true, finish: mhaEndCode},
		{tool: "masterha_master_switch", args: "--master_state=alive --conf=/a --dead_master_host=db1 --bogus=secret extra",
			err: "Unknown options: --bogus --dead_master_host (and 1 argument(s) that are no option)"},
		{tool: "masterha_manager", args: "--conf=/a --global_conf=/g --wait_on_monitor_error=10 --skip_check_ssh --last_failover_minute=60 " +
			"--ignore_last_failover --remove_dead_master_conf --ignore_fail_on_start --log_output=/l",
			native: "monitor --conf=/a --exit-after-failover --global-conf=/g --ignore-last-failover --last-failover=60m --remove-dead-master-conf " +
				"--skip-check-ssh --wait-on-monitor-error=10s", finish: mhaEndCode,
			warn: []string{"--ignore_fail_on_start ignored", "--log_output ignored"}},
		{tool: "masterha_manager", args: "--conf=/a --skip_disable_read_only", err: "--skip_disable_read_only is not supported"},
		{tool: "masterha_check_status", args: "--conf=/a --global_conf=/g --ping_limit=20", native: "status --conf=/a --global-conf=/g --ping-limit=20s", finish: mhaEndNative},
		{tool: "masterha_check_status", args: "--app=app1", err: "--app and --all are not supported"},
		{tool: "masterha_stop", args: "--conf=/a --abort --abort_timeout=7", native: "stop --conf=/a --abort --abort-timeout=7s", finish: mhaEndNative},
		{tool: "masterha_secondary_check", args: "-s h2 -s h3 --secondary_host=h4 --user=root --port=2222 --options=-i_/k --master_host=db1 " +
			"--master_ip=10.0.0.1 --master_port=3306 --master_user=mha --master_password=s3cret --ping_type=SELECT --timeout=3",
			native: "secondary-check --secondary-host=h4 --secondary-host=h2 --secondary-host=h3 --master-host=db1 --master-ip=10.0.0.1 " +
				"--master-port=3306 --options=-i_/k --ping-type=SELECT --port=2222 --timeout=3s --user=root", finish: mhaEndNative,
			warn: []string{"--master_user ignored", "--master_password ignored, never echoed"}},
		{tool: "masterha_secondary_check", args: "-s h2", err: "--master_host=<master_hostname> must be set."},
	} {
		t.Run(tc.tool+" "+tc.args, func(t *testing.T) {
			tool := mhaTools[tc.tool]
			a, err := parseMHAArgs(tool.opts(), strings.Fields(tc.args))
			if err != nil {
				t.Fatal(err)
			}
			p, err := tool.plan(a)
			if tc.err != "" {
				var ue *errMHAUsage
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(p.native, " "); got != tc.native {
				t.Errorf("native\n got %s\nwant %s", got, tc.native)
			}
			if p.confirm != tc.confirm || p.finish != tc.finish {
				t.Errorf("confirm %v finish %v, want %v %v", p.confirm, p.finish, tc.confirm, tc.finish)
			}
			if len(p.warnings) != len(tc.warn) {
				t.Fatalf("warnings %q, want %d: %q", p.warnings, len(tc.warn), tc.warn)
			}
			for i, w := range tc.warn {
				if !strings.Contains(p.warnings[i], w) {
					t.Errorf("warning %d %q, want %q", i, p.warnings[i], w)
				}
			}
			if strings.Contains(strings.Join(p.warnings, "\n"), "s3cret") {
				t.Error("a warning shows the master password")
			}
		})
	}
}

func TestMhaExitCode(t *testing.T) {
	for code, want := range map[int]int{exitOK: 0, exitPartial: 10, exitError: 1, exitConfig: 1, exitMasterAlive: 1, exitAfterPONR: 1, exitInterrupted: 1} {
		if got := mhaExitCode(code); got != want {
			t.Errorf("mhaExitCode(%d) = %d, want %d", code, got, want)
		}
	}
	if m := exitMeaning(exitMasterAlive); m != "failover refused: the master is alive (MySQL login, TCP, a replica or secondary_check_script says so)" {
		t.Errorf("exitMeaning(8) = %q", m)
	}
	if m := exitMeaning(99); m != "see mhago help" {
		t.Errorf("exitMeaning(99) = %q", m)
	}
}

func TestAskYes(t *testing.T) {
	for in, want := range map[string]bool{"yes\n": true, "YES\n": true, " yes \n": true, "y\n": false, "\n": false, "": false, "no\n": false} {
		var out bytes.Buffer
		if got := askYes(strings.NewReader(in), &out); got != want || !strings.Contains(out.String(), "Proceed? (yes/NO)") {
			t.Errorf("askYes(%q) = %v (%q), want %v", in, got, out.String(), want)
		}
	}
}

// TestMasterhaRun: the whole tool without a cluster: version, help,
// MHA's usage errors, the refusal of --interactive=1 without a terminal,
// and a config error folded into MHA's exit 1 with mhago's on stderr.
func TestMasterhaRun(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing.cnf")
	for _, tc := range []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"masterha_check_repl", "--version"}, 0, "masterha_check_repl version 0.58 (mhago ", ""},
		{[]string{"mhago", "masterha", "masterha_stop", "--help"}, 0, "mhago runs it as: mhago stop", ""},
		{[]string{"masterha_master_switch", "--master_state=dead", "--conf=" + missing}, 1, "", "--dead_master_host=<dead_master_hostname> must be set."},
		{[]string{"masterha_master_switch", "--master_state=dead", "--conf=" + missing, "--dead_master_host=db1"}, 1, "",
			"--interactive=1 (MHA's default) asks for confirmation on a terminal, and stdin is not one; pass --interactive=0"},
		{[]string{"masterha_master_switch", "--master_state=dead", "--conf=" + missing, "--dead_master_host=db1", "--interactive=0"}, 1, "",
			"masterha_master_switch: mhago exit 2 (configuration or usage error"},
		{[]string{"masterha_check_repl", "--conf=" + missing}, 1, "MySQL Replication Health is NOT OK!", "mhago exit 2"},
		{[]string{"masterha_check_ssh", "--conf=" + missing}, 1, "SSH Configuration Check Failed!", ""},
		{[]string{"masterha_check_repl", "--conf"}, 1, "", "option --conf requires a value"},
	} {
		var out, errb bytes.Buffer
		tool, rest, _ := masterhaInvocation(tc.args)
		code := tool.run(rest, mhaIO{in: strings.NewReader(""), out: &out, err: &errb})
		if code != tc.code || !strings.Contains(out.String(), tc.out) || !strings.Contains(errb.String(), tc.errs) {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tc.args, code, tc.code, out.String(), errb.String())
		}
	}
}

// TestStdinIsTerminal: what cron and systemd give (/dev/null, a pipe) is
// not a terminal.
func TestStdinIsTerminal(t *testing.T) {
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if stdinIsTerminal(null) || stdinIsTerminal(r) {
		t.Fatal("/dev/null or a pipe counted as a terminal")
	}
}

// "mhago masterha" without a name shows the names; an unknown name is a
// usage error that lists them.
func TestMasterhaWithoutAKnownName(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"mhago", "masterha"}, &out, &errb); code != exitOK || !strings.Contains(out.String(), "masterha_master_switch") {
		t.Errorf("mhago masterha: exit %d, out %q", code, out.String())
	}
	out.Reset()
	errb.Reset()
	code := run([]string{"mhago", "masterha", "masterha_bogus", "--conf=x"}, &out, &errb)
	if code != exitConfig || !strings.Contains(errb.String(), `"masterha_bogus" is not one of MHA's commands`) || !strings.Contains(errb.String(), "masterha_check_repl") {
		t.Errorf("unknown name: exit %d, stderr %q", code, errb.String())
	}
}
