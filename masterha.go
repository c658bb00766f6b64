package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// MHA 0.58's commands, as mhago answers to them: a symlink named after one
// (argv[0]) or "mhago masterha <name> ...". Each reads MHA's command line,
// becomes one of mhago's own commands, and ends with MHA's exit codes
// where scripts test them. This file decides (pure, table-tested);
// masterha_run.go runs.

// mhaVersion is the MHA release whose command lines mhago takes.
const mhaVersion = "0.58"

// mhaFlag is one option of an MHA command and what mhago makes of it.
type mhaFlag struct {
	name string
	kind optKind
	to   string // for --help: the mhago flag, or why it is not needed
}

// mhaEnd is how a tool's exit code and last lines are made from the
// mhago command's.
type mhaEnd int

const (
	mhaEndCode   mhaEnd = iota // 0, 10 (partial) or 1, mhago's own code on stderr
	mhaEndHealth               // check_repl: 0 or 1 and MHA's final line
	mhaEndSSH                  // check_ssh: the SSH findings of check --json, 0 or 1
	mhaEndNative               // the mhago command already exits with MHA's codes
)

// mhaTool is one MHA command.
type mhaTool struct {
	name     string
	synopsis string
	command  string    // the mhago command it becomes, for --help
	exits    string    // its exit codes, for --help
	flags    []mhaFlag // every option the command line may hold
	// sections split --help's flags by mode (master_switch's dead and
	// alive); nil lists flags.
	sections  []helpSection
	translate func(mhaArgs) (mhaPlan, error)
}

// helpSection is one mode's flags in --help.
type helpSection struct {
	title string
	flags []mhaFlag
}

// mhaPlan is what a tool's command line becomes.
type mhaPlan struct {
	native   []string // mhago's command line without the program name
	warnings []string // MHA options accepted but not acted on, one line each
	// confirm: MHA's --interactive=1 (its default): show the plan (a dry
	// run) and ask on the terminal before running.
	confirm bool
	finish  mhaEnd
}

// errMHAUsage is an MHA command line mhago cannot run, said in MHA's
// words where MHA has some; the tool exits 1 as MHA does.
type errMHAUsage struct{ msg string }

func (e *errMHAUsage) Error() string { return e.msg }

func mhaUsage(format string, a ...any) error { return &errMHAUsage{fmt.Sprintf(format, a...)} }

// Options common to every command that reads a config.
var (
	mhaConf          = mhaFlag{"conf", optString, "--conf"}
	mhaGlobalConf    = mhaFlag{"global_conf", optString, "--global-conf"}
	workdirFlags     = []mhaFlag{{"workdir", optString, ignoredWorkdir}, {"manager_workdir", optString, ignoredWorkdir}}
	logOutputFlags   = []mhaFlag{{"log_output", optString, ignoredLog}, {"manager_log", optString, ignoredLog}}
	ignoredWorkdir   = "ignored: mhago uses manager_workdir from the config"
	ignoredLog       = "ignored: mhago logs to manager_log from the config"
	ignoredInternal  = "ignored: set by MHA's own wrapper scripts, not needed by mhago"
	ignoredLockTable = "ignored: mhago never takes FLUSH TABLES WITH READ LOCK; it sets read_only and gives running writes --block-wait before killing them"
)

// monitorFlags are MHA's MasterMonitor options (masterha_check_repl and
// masterha_manager pass their arguments to it).
func monitorFlags() []mhaFlag {
	fl := []mhaFlag{mhaConf, mhaGlobalConf,
		{"check_only", optBool, ignoredInternal}, {"check_repl_health", optBool, ignoredInternal},
		{"monitor_only", optBool, ignoredInternal}, {"interactive", optInt, ignoredInternal},
		{"seconds_behind_master", optInt, "--max-lag Ns"},
		{"wait_on_monitor_error", optInt, "--wait-on-monitor-error Ns"},
		{"skip_check_ssh", optBool, "--skip-check-ssh"}, {"skip_ssh_check", optBool, "--skip-check-ssh"},
		{"ignore_fail_on_start", optBool, "ignored: mhago's startup check only reports, it never stops the monitor"}}
	return append(append(fl, workdirFlags...), logOutputFlags...)
}

// checkReplFlags are masterha_check_repl's: MasterMonitor's, where only
// --seconds_behind_master changes what mhago check does.
func checkReplFlags() []mhaFlag {
	fl := monitorFlags()
	for i, f := range fl {
		switch f.name {
		case "wait_on_monitor_error", "skip_check_ssh", "skip_ssh_check", "ignore_fail_on_start":
			fl[i].to = "ignored: mhago check always checks SSH and every host, once"
		}
	}
	return fl
}

// failoverMHAFlags are MHA's MasterFailover options.
func failoverMHAFlags() []mhaFlag {
	fl := []mhaFlag{mhaConf, mhaGlobalConf,
		{"dead_master_host", optString, "--dead-master HOST[:PORT] (must be the server the replicas replicate from)"},
		{"dead_master_ip", optString, "--dead-master IP[:PORT]"},
		{"dead_master_port", optInt, "the :PORT of --dead-master"},
		{"new_master_host", optString, "--new-master HOST[:PORT]"},
		{"new_master_port", optInt, "the :PORT of --new-master"},
		{"interactive", optInt, "1 (MHA's default): show the plan (--dry-run) and ask; 0: run at once"},
		{"ssh_reachable", optInt, "ignored: mhago tries SSH to the dead master itself"},
		{"last_failover_minute", optInt, "--last-failover Nm"},
		{"wait_on_failover_error", optInt, "ignored: mhago does not wait after a failed failover"},
		{"ignore_last_failover", optBool, "--ignore-last-failover"},
		{"skip_save_master_binlog", optBool, "--skip-save-binlog"},
		{"remove_dead_master_conf", optBool, "--remove-dead-master-conf"},
		{"remove_orig_master_conf", optBool, "--remove-dead-master-conf"},
		{"skip_change_master", optBool, "refused: mhago always repoints the replicas"},
		{"skip_disable_read_only", optBool, "refused: mhago always opens the new master for writes"},
		{"wait_until_gtid_in_sync", optInt, "ignored: mhago always brings every replica to the same transaction"},
		{"ignore_binlog_server_error", optBool, "--ignore-binlog-server-error"}}
	return append(append(fl, workdirFlags...), logOutputFlags...)
}

// switchoverMHAFlags are MHA's MasterRotate options.
func switchoverMHAFlags() []mhaFlag {
	return append([]mhaFlag{mhaConf, mhaGlobalConf,
		{"check_only", optBool, "--dry-run"},
		{"new_master_host", optString, "--new-master HOST[:PORT]"},
		{"new_master_port", optInt, "the :PORT of --new-master"},
		{"interactive", optInt, "1 (MHA's default): show the plan (--dry-run) and ask; 0: run at once"},
		{"orig_master_is_new_slave", optBool, "--orig-master-is-new-slave"},
		{"running_updates_limit", optInt, "--running-updates-limit Ns"},
		{"running_seconds_limit", optInt, "--running-seconds-limit Ns"},
		{"seconds_behind_master", optInt, "--max-lag Ns"},
		{"skip_lock_all_tables", optBool, ignoredLockTable},
		{"flush_tables", optInt, ignoredLockTable},
		{"remove_dead_master_conf", optBool, "ignored: a switchover leaves the config file as it is"},
		{"remove_orig_master_conf", optBool, "ignored: a switchover leaves the config file as it is"}},
		workdirFlags...)
}

// managerFlags are masterha_manager's: it passes its arguments to
// MasterMonitor, then to MasterFailover; the dead master it names itself.
func managerFlags() []mhaFlag {
	fl := monitorFlags()
	for _, f := range failoverMHAFlags() {
		switch f.name {
		case "dead_master_host", "dead_master_ip", "dead_master_port", "new_master_host", "new_master_port", "ssh_reachable",
			"wait_on_failover_error", "wait_until_gtid_in_sync", "interactive":
			f.to = "ignored: masterha_manager fails over the master it finds dead, to the server MHA's rules elect"
		}
		fl = unionFlags(fl, []mhaFlag{f})
	}
	return fl
}

// adminFlags are MHA's ManagerAdminWrapper options (check_status, stop).
func adminFlags() []mhaFlag {
	fl := []mhaFlag{mhaConf, mhaGlobalConf,
		{"app", optString, "refused: give --conf"}, {"all", optBool, "refused: give --conf"},
		{"basedir", optString, ignoredWorkdir}, {"baselog", optString, ignoredLog},
		{"status_dir", optString, ignoredWorkdir}, {"ping_limit", optInt, "--ping-limit Ns (masterha_check_status)"},
		{"abort", optBool, "--abort"}, {"abort_timeout", optInt, "--abort-timeout Ns"}}
	return append(append(fl, workdirFlags...), logOutputFlags...)
}

func secondaryFlags() []mhaFlag {
	return []mhaFlag{
		{"secondary_host", optStrings, "--secondary-host (repeatable)"},
		{"user", optString, "--user"}, {"port", optString, "--port"}, {"options", optString, "--options"},
		{"master_host", optString, "--master-host"}, {"master_ip", optString, "--master-ip"},
		{"master_port", optInt, "--master-port"},
		{"master_user", optString, "ignored: the secondary check reaches the master's port over SSH, it does not log in"},
		{"master_password", optString, "ignored, never echoed: the secondary check does not log in"},
		{"ping_type", optString, "--ping-type"}, {"timeout", optInt, "--timeout Ns"}}
}

const (
	exitsHealth = "0 OK, 1 NOT OK (mhago's own exit code and its meaning on stderr)."
	exitsSwitch = "0 done, 10 failover done but some replica not recovered, 1 any error (mhago's own exit code and its meaning on stderr)."
	exitsNative = "MHA's, as the mhago command returns them."
)

// mhaTools are MHA's commands by name.
var mhaTools = map[string]*mhaTool{
	"masterha_check_repl": {name: "masterha_check_repl", synopsis: "--conf=FILE [--global_conf=FILE] [--seconds_behind_master=N]",
		command: "mhago check", exits: exitsHealth, flags: checkReplFlags(), translate: translateCheckRepl},
	"masterha_check_ssh": {name: "masterha_check_ssh", synopsis: "--conf=FILE [--global_conf=FILE]",
		command: "mhago check (its SSH findings)", exits: exitsHealth, flags: []mhaFlag{mhaConf, mhaGlobalConf}, translate: translateCheckSSH},
	"masterha_master_switch": {name: "masterha_master_switch",
		synopsis: "--master_state=dead --conf=FILE --dead_master_host=HOST [--dead_master_ip=IP] [--dead_master_port=PORT] [--new_master_host=HOST] [--interactive=0]\n" +
			"       masterha_master_switch --master_state=alive --conf=FILE [--new_master_host=HOST] [--orig_master_is_new_slave] [--running_updates_limit=N] [--interactive=0]",
		command: "mhago failover (dead) / mhago switchover (alive)", exits: exitsSwitch,
		flags: append([]mhaFlag{{"master_state", optString, "dead: failover; alive: switchover"}}, unionFlags(failoverMHAFlags(), switchoverMHAFlags())...),
		sections: []helpSection{{"--master_state=dead (mhago failover)", failoverMHAFlags()},
			{"--master_state=alive (mhago switchover)", switchoverMHAFlags()}},
		translate: translateSwitch},
	"masterha_manager": {name: "masterha_manager", synopsis: "--conf=FILE [--global_conf=FILE] [--last_failover_minute=N] [--ignore_last_failover] [--remove_dead_master_conf]",
		command: "mhago monitor --exit-after-failover", exits: exitsSwitch, flags: managerFlags(), translate: translateManager},
	"masterha_check_status": {name: "masterha_check_status", synopsis: "--conf=FILE [--global_conf=FILE]",
		command: "mhago status", exits: exitsNative, flags: adminFlags(), translate: translateAdmin("status")},
	"masterha_stop": {name: "masterha_stop", synopsis: "--conf=FILE [--global_conf=FILE] [--abort] [--abort_timeout=N]",
		command: "mhago stop", exits: exitsNative, flags: adminFlags(), translate: translateAdmin("stop")},
	"masterha_secondary_check": {name: "masterha_secondary_check",
		synopsis: "-s HOST [-s HOST ...] --master_host=HOST [--master_ip=IP] [--master_port=PORT] [--user=SSH_USER] [--port=SSH_PORT] [--options=SSH_OPTIONS] [--ping_type=T] [--timeout=N]",
		command:  "mhago secondary-check", exits: exitsNative, flags: secondaryFlags(), translate: translateSecondary},
}

// unionFlags is a then the flags of b a does not have.
func unionFlags(a, b []mhaFlag) []mhaFlag {
	out := slices.Clone(a)
	for _, f := range b {
		if !slices.ContainsFunc(out, func(g mhaFlag) bool { return g.name == f.name }) {
			out = append(out, f)
		}
	}
	return out
}

// opts is the tool's option spec for the parser; -s is
// masterha_secondary_check's short --secondary_host.
func (t *mhaTool) opts() mhaOpts {
	o := mhaOpts{"help": optBool, "version": optBool}
	for _, f := range t.flags {
		o[f.name] = f.kind
	}
	if t.name == "masterha_secondary_check" {
		o["s"] = optStrings
	}
	return o
}

// masterhaInvocation finds the MHA command args call: the program's own
// name (a symlink) or "mhago masterha <name>". rest are its arguments.
func masterhaInvocation(args []string) (tool *mhaTool, rest []string, ok bool) {
	if len(args) == 0 {
		return nil, nil, false
	}
	if t, ok := mhaTools[filepath.Base(args[0])]; ok {
		return t, args[1:], true
	}
	if len(args) >= 3 && args[1] == "masterha" {
		if t, ok := mhaTools[args[2]]; ok {
			return t, args[3:], true
		}
	}
	return nil, nil, false
}

// plan translates a tool's parsed arguments and warns, one line each,
// about what is not acted on; help and version are answered before.
func (t *mhaTool) plan(a mhaArgs) (mhaPlan, error) {
	p, err := t.translate(a)
	if err != nil {
		return p, err
	}
	for _, u := range a.unknown {
		p.warnings = append(p.warnings, fmt.Sprintf("%s: not an option of %s; ignored", optionName(u), t.name))
	}
	if len(a.words) > 0 {
		// Not shown: a word may be the value of an unknown option, a password.
		p.warnings = append(p.warnings, fmt.Sprintf("%d argument(s) that are no option; ignored", len(a.words)))
	}
	return p, nil
}

// ignoredFlags warns about each given option of flags that mhago does not
// act on, and about options of the command line that flags (one mode of a
// command) does not have.
func ignoredFlags(a mhaArgs, flags []mhaFlag, mode string) []string {
	var out []string
	for _, f := range flags {
		if a.has(f.name) && strings.HasPrefix(f.to, "ignored") {
			out = append(out, fmt.Sprintf("--%s %s", f.name, f.to))
		}
	}
	var other []string
	for name := range a.vals {
		if name != "master_state" && !slices.ContainsFunc(flags, func(f mhaFlag) bool { return f.name == name }) {
			other = append(other, fmt.Sprintf("--%s is not an option of %s; ignored", name, mode))
		}
	}
	slices.Sort(other)
	return append(out, other...)
}

// optionName is an unknown option without its value, which may be a
// password.
func optionName(arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	return name
}

// confArgs are --conf and --global-conf, as every config-reading tool
// needs them; MHA's message when --conf is missing.
func confArgs(a mhaArgs) ([]string, error) {
	if a.str("conf") == "" {
		return nil, mhaUsage("--conf=<server_config_file> must be set.")
	}
	out := []string{"--conf=" + a.str("conf")}
	if g := a.str("global_conf"); g != "" {
		out = append(out, "--global-conf="+g)
	}
	return out, nil
}

// seconds renders MHA's integer seconds as a mhago duration.
func seconds(n string) string { return n + "s" }

func translateCheckRepl(a mhaArgs) (mhaPlan, error) {
	conf, err := confArgs(a)
	if err != nil {
		return mhaPlan{}, err
	}
	native := append([]string{"check"}, conf...)
	if a.has("seconds_behind_master") {
		native = append(native, "--max-lag="+seconds(a.str("seconds_behind_master")))
	}
	return mhaPlan{native: native, finish: mhaEndHealth, warnings: ignoredFlags(a, checkReplFlags(), "masterha_check_repl")}, nil
}

func translateCheckSSH(a mhaArgs) (mhaPlan, error) {
	conf, err := confArgs(a)
	if err != nil {
		return mhaPlan{}, err
	}
	return mhaPlan{native: append(append([]string{"check"}, conf...), "--json"), finish: mhaEndSSH}, nil
}

// hostPort is MHA's host and port pair as mhago names a server.
func hostPort(host, port string) string {
	if port == "" {
		return host
	}
	if strings.Contains(host, ":") && !strings.HasPrefix(host, "[") {
		host = "[" + host + "]"
	}
	return host + ":" + port
}

// interactive is MHA's --interactive, 1 unless given.
func interactive(a mhaArgs) bool { return !a.has("interactive") || a.str("interactive") != "0" }

func translateSwitch(a mhaArgs) (mhaPlan, error) {
	switch a.str("master_state") {
	case "dead":
		return translateDead(a)
	case "alive":
		return translateAlive(a)
	case "":
		return mhaPlan{}, mhaUsage("--master_state=<dead|alive> must be set.")
	}
	return mhaPlan{}, mhaUsage("--master_state=%s: it must be dead or alive.", a.str("master_state"))
}

// translateDead is --master_state=dead: mhago failover. Without
// --dead_master_port the host alone must name the dead master (MHA would
// assume 3306).
func translateDead(a mhaArgs) (mhaPlan, error) {
	if err := refuseUnsupported(a); err != nil {
		return mhaPlan{}, err
	}
	conf, err := confArgs(a)
	if err != nil {
		return mhaPlan{}, err
	}
	if a.str("dead_master_host") == "" {
		return mhaPlan{}, mhaUsage("--dead_master_host=<dead_master_hostname> must be set.")
	}
	native := append([]string{"failover"}, conf...)
	port := a.str("dead_master_port")
	native = append(native, "--dead-master="+hostPort(a.str("dead_master_host"), port))
	if ip := a.str("dead_master_ip"); ip != "" && ip != a.str("dead_master_host") {
		native = append(native, "--dead-master="+hostPort(ip, port))
	}
	native = append(native, newMasterArgs(a)...)
	if a.has("last_failover_minute") {
		native = append(native, "--last-failover="+a.str("last_failover_minute")+"m")
	}
	for mha, own := range map[string]string{"ignore_last_failover": "--ignore-last-failover", "skip_save_master_binlog": "--skip-save-binlog",
		"ignore_binlog_server_error": "--ignore-binlog-server-error"} {
		if a.flag(mha) {
			native = append(native, own)
		}
	}
	if a.flag("remove_dead_master_conf") || a.flag("remove_orig_master_conf") {
		native = append(native, "--remove-dead-master-conf")
	}
	return mhaPlan{native: sortedFlags(native, 1), confirm: interactive(a), finish: mhaEndCode,
		warnings: ignoredFlags(a, failoverMHAFlags(), "--master_state=dead")}, nil
}

func newMasterArgs(a mhaArgs) []string {
	if a.str("new_master_host") == "" {
		return nil
	}
	return []string{"--new-master=" + hostPort(a.str("new_master_host"), a.str("new_master_port"))}
}

// translateAlive is --master_state=alive: mhago switchover. MHA's
// MasterRotate refuses options it does not know, and so does this.
func translateAlive(a mhaArgs) (mhaPlan, error) {
	known := map[string]bool{"master_state": true, "help": true, "version": true}
	for _, f := range switchoverMHAFlags() {
		known[f.name] = true
	}
	var unknown []string
	for _, u := range a.unknown {
		unknown = append(unknown, optionName(u))
	}
	for name := range a.vals {
		if !known[name] {
			unknown = append(unknown, "--"+name)
		}
	}
	slices.Sort(unknown)
	if len(a.words) > 0 {
		unknown = append(unknown, fmt.Sprintf("(and %d argument(s) that are no option)", len(a.words)))
	}
	if len(unknown) > 0 {
		return mhaPlan{}, mhaUsage("Unknown options: %s", strings.Join(unknown, " "))
	}
	conf, err := confArgs(a)
	if err != nil {
		return mhaPlan{}, err
	}
	native := append(append([]string{"switchover"}, conf...), newMasterArgs(a)...)
	for mha, own := range map[string]string{"running_updates_limit": "--running-updates-limit", "running_seconds_limit": "--running-seconds-limit",
		"seconds_behind_master": "--max-lag"} {
		if a.has(mha) {
			native = append(native, own+"="+seconds(a.str(mha)))
		}
	}
	if a.flag("orig_master_is_new_slave") {
		native = append(native, "--orig-master-is-new-slave")
	}
	checkOnly := a.flag("check_only")
	if checkOnly {
		native = append(native, "--dry-run")
	}
	return mhaPlan{native: sortedFlags(native, 1), confirm: interactive(a) && !checkOnly, finish: mhaEndCode,
		warnings: ignoredFlags(a, switchoverMHAFlags(), "--master_state=alive")}, nil
}

// refuseUnsupported refuses the failover options whose outcome mhago does
// not offer: ignoring them would leave the cluster otherwise than asked.
func refuseUnsupported(a mhaArgs) error {
	for _, f := range []string{"skip_change_master", "skip_disable_read_only"} {
		if a.flag(f) {
			return mhaUsage("--%s is not supported: mhago always repoints every replica and opens the new master for writes; run without it.", f)
		}
	}
	return nil
}

func translateManager(a mhaArgs) (mhaPlan, error) {
	if err := refuseUnsupported(a); err != nil {
		return mhaPlan{}, err
	}
	conf, err := confArgs(a)
	if err != nil {
		return mhaPlan{}, err
	}
	native := append(append([]string{"monitor"}, conf...), "--exit-after-failover")
	if a.has("wait_on_monitor_error") {
		native = append(native, "--wait-on-monitor-error="+seconds(a.str("wait_on_monitor_error")))
	}
	if a.has("last_failover_minute") {
		native = append(native, "--last-failover="+a.str("last_failover_minute")+"m")
	}
	for mha, own := range map[string]string{"skip_check_ssh": "--skip-check-ssh", "skip_ssh_check": "--skip-check-ssh",
		"ignore_last_failover": "--ignore-last-failover", "remove_dead_master_conf": "--remove-dead-master-conf",
		"remove_orig_master_conf": "--remove-dead-master-conf", "skip_save_master_binlog": "--skip-save-binlog",
		"ignore_binlog_server_error": "--ignore-binlog-server-error"} {
		if a.flag(mha) && !slices.Contains(native, own) {
			native = append(native, own)
		}
	}
	return mhaPlan{native: sortedFlags(native, 1), finish: mhaEndCode, warnings: ignoredFlags(a, managerFlags(), "masterha_manager")}, nil
}

// translateAdmin is masterha_check_status and masterha_stop.
func translateAdmin(command string) func(mhaArgs) (mhaPlan, error) {
	return func(a mhaArgs) (mhaPlan, error) {
		if a.str("conf") == "" && (a.has("app") || a.has("all")) {
			return mhaPlan{}, mhaUsage("--app and --all are not supported: give --conf=<server_config_file>.")
		}
		conf, err := confArgs(a)
		if err != nil {
			return mhaPlan{}, err
		}
		native := append([]string{command}, conf...)
		if command == "status" && a.has("ping_limit") {
			native = append(native, "--ping-limit="+seconds(a.str("ping_limit")))
		}
		if command == "stop" {
			if a.flag("abort") {
				native = append(native, "--abort")
			}
			if a.has("abort_timeout") {
				native = append(native, "--abort-timeout="+seconds(a.str("abort_timeout")))
			}
		}
		return mhaPlan{native: native, finish: mhaEndNative, warnings: ignoredFlags(a, adminFlags(), "masterha_"+command)}, nil
	}
}

func translateSecondary(a mhaArgs) (mhaPlan, error) {
	if a.str("master_host") == "" {
		return mhaPlan{}, mhaUsage("--master_host=<master_hostname> must be set.")
	}
	hosts := append(slices.Clone(a.vals["secondary_host"]), a.vals["s"]...)
	if len(hosts) == 0 {
		return mhaPlan{}, mhaUsage("at least one --secondary_host (-s) must be set.")
	}
	native := []string{"secondary-check"}
	for _, h := range hosts {
		native = append(native, "--secondary-host="+h)
	}
	for mha, own := range map[string]string{"user": "--user", "port": "--port", "options": "--options", "master_host": "--master-host",
		"master_ip": "--master-ip", "master_port": "--master-port", "ping_type": "--ping-type"} {
		if a.has(mha) {
			native = append(native, own+"="+a.str(mha))
		}
	}
	if a.has("timeout") {
		native = append(native, "--timeout="+seconds(a.str("timeout")))
	}
	return mhaPlan{native: sortedFlags(native, 1+len(hosts)), finish: mhaEndNative,
		warnings: ignoredFlags(a, append(secondaryFlags(), mhaFlag{"s", optStrings, ""}), "masterha_secondary_check")}, nil
}

// sortedFlags sorts the flags after the first keep words, so that a
// translation made from maps is the same every time.
func sortedFlags(native []string, keep int) []string {
	slices.Sort(native[keep:])
	return native
}
