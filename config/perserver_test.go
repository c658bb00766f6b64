package config

import (
	"strings"
	"testing"
	"time"
)

// TestForServer: the application keys a block may set for itself keep
// their per-server value, others inherit [server default]'s, and
// Config's own fields stay [server default]'s.
func TestForServer(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, `[server default]
ping_type=select
ping_interval=3
master_ip_failover_script=/usr/local/bin/master_ip_failover
report_script=/usr/local/bin/send_report
[server1]
hostname=host1
ping_type=insert
ping_interval=1
secondary_check_script=/usr/bin/masterha_secondary_check -s h1 -s h2
shutdown_script=/usr/local/bin/power_manager
[server2]
hostname=host2
candidate_master=1
check_repl_delay=0
master_ip_online_change_script=/usr/local/bin/master_ip_online_change
[server3]
hostname=host3
latest_priority=0
multi_tier_slave=1
master_ip_failover_script=/opt/mha/ip_failover
`)
	tests := []struct {
		block string
		want  Settings
	}{
		{"server1", Settings{CheckReplDelay: true, LatestPriority: true, PingInterval: time.Second, PingType: "INSERT",
			Scripts: Scripts{SecondaryCheck: "/usr/bin/masterha_secondary_check -s h1 -s h2", MasterIPFailover: "/usr/local/bin/master_ip_failover",
				Shutdown: "/usr/local/bin/power_manager", Report: "/usr/local/bin/send_report"}}},
		{"server2", Settings{CheckReplDelay: false, LatestPriority: true, PingInterval: 3 * time.Second, PingType: "SELECT",
			Scripts: Scripts{MasterIPFailover: "/usr/local/bin/master_ip_failover", MasterIPOnlineChange: "/usr/local/bin/master_ip_online_change",
				Report: "/usr/local/bin/send_report"}}},
		{"server3", Settings{CheckReplDelay: true, LatestPriority: false, MultiTierSlave: true, PingInterval: 3 * time.Second, PingType: "SELECT",
			Scripts: Scripts{MasterIPFailover: "/opt/mha/ip_failover", Report: "/usr/local/bin/send_report"}}},
		{"", Settings{CheckReplDelay: true, LatestPriority: true, PingInterval: 3 * time.Second, PingType: "SELECT",
			Scripts: Scripts{MasterIPFailover: "/usr/local/bin/master_ip_failover", Report: "/usr/local/bin/send_report"}}},
		{"server9", Settings{CheckReplDelay: true, LatestPriority: true, PingInterval: 3 * time.Second, PingType: "SELECT",
			Scripts: Scripts{MasterIPFailover: "/usr/local/bin/master_ip_failover", Report: "/usr/local/bin/send_report"}}},
	}
	for _, tc := range tests {
		if got := cfg.ForServer(tc.block); got != tc.want {
			t.Errorf("ForServer(%q) =\n%+v\nwant\n%+v", tc.block, got, tc.want)
		}
	}
	if cfg.PingType != "SELECT" || cfg.PingInterval != 3*time.Second || !cfg.CheckReplDelay {
		t.Errorf("application values must stay [server default]'s: %s %s %v", cfg.PingType, cfg.PingInterval, cfg.CheckReplDelay)
	}
	if len(cfg.Warnings) != 0 {
		t.Errorf("per-server keys must not warn:%s", dumpProblems(cfg.Warnings))
	}
}

// TestFirstServerKeys: log_level, manager_workdir, manager_log and
// check_repl_filter come from the first server block, as in MHA; set in
// another block they are unused, and both say so.
func TestFirstServerKeys(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, `[server default]
manager_workdir=/var/log/masterha/app1
[server2]
hostname=host2
check_repl_filter=0
[server1]
hostname=host1
manager_workdir=/var/log/mha
log_level=debug
init_conf_load_script=/bin/true
`)
	if cfg.ManagerWorkdir != "/var/log/mha" || cfg.LogLevel != "debug" || !cfg.CheckReplFilter {
		t.Fatalf("workdir %q level %q filter %v", cfg.ManagerWorkdir, cfg.LogLevel, cfg.CheckReplFilter)
	}
	want := map[string]string{
		"check_repl_filter":     "not used: MHA and mhago read check_repl_filter from the first server block, [server1]",
		"manager_workdir":       "used for the whole application",
		"log_level":             "used for the whole application",
		"init_conf_load_script": "only [server default]'s value counts",
	}
	if len(cfg.Warnings) != len(want) {
		t.Fatalf("warnings:%s", dumpProblems(cfg.Warnings))
	}
	for _, w := range cfg.Warnings {
		if !strings.Contains(w.Msg, want[w.Key]) || w.Line == 0 {
			t.Errorf("%s: %q, want %q", w.Key, w.String(), want[w.Key])
		}
	}
}

// TestNotActedOnWarnings: MHA keys mhago reads but ignores warn once each,
// at their line, only when the value would change something.
func TestNotActedOnWarnings(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, `[server default]
client_libdir=/usr/lib/mysql
handle_raw_binlog=0
use_gtid_auto_pos=1
[server1]
hostname=host1
node_label=db1 (rack A)
handle_raw_binlog=1
[server2]
hostname=host2
client_libdir=
`)
	want := map[string]int{"client_libdir": 2, "handle_raw_binlog": 3, "use_gtid_auto_pos": 4, "node_label": 7}
	if len(cfg.Warnings) != len(want) {
		t.Fatalf("warnings:%s", dumpProblems(cfg.Warnings))
	}
	for _, w := range cfg.Warnings {
		if want[w.Key] != w.Line || !strings.HasPrefix(w.Msg, "read but not acted on: ") {
			t.Errorf("%s", w)
		}
	}
}

func TestCandidateOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		text string
		want string
	}{
		{"[server1]\nhostname=host1\n[server2]\nhostname=host2\n[server3]\nhostname=host3\n", "server1 server2 server3"},
		{"[server1]\nhostname=host1\n[server2]\nhostname=host2\n[server3]\nhostname=host3\ncandidate_master=1\n", "server3 server1 server2"},
		{"[server10]\nhostname=host1\ncandidate_master=1\n[server2]\nhostname=host2\nno_master=1\n[server3]\nhostname=host3\ncandidate_master=1\n", "server3 server10"},
	}
	for _, tc := range tests {
		if got := strings.Join(mustParse(t, tc.text).CandidateOrder(), " "); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.text, got, tc.want)
		}
	}
}

// TestBareScriptNotInPath: MHA's loader accepts a hook named without a
// path that is not installed yet; mhago loads it with a warning.
func TestBareScriptNotInPath(t *testing.T) {
	t.Parallel()
	cfg := mustParse(t, "[server default]\nshutdown_script=no_such_command_mhago --x\n"+twoServers)
	if cfg.Scripts.Shutdown != "no_such_command_mhago --x" || len(cfg.Warnings) != 1 || cfg.Warnings[0].Line != 2 ||
		!strings.Contains(cfg.Warnings[0].Msg, "not found in $PATH") {
		t.Fatalf("shutdown %q warnings:%s", cfg.Scripts.Shutdown, dumpProblems(cfg.Warnings))
	}
}
