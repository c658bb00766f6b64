package config

import (
	"fmt"
	"net"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Lower bounds of durations: below these the value is surely a typo
// (a lock that expires during one Redis round trip, a zero timeout).
const (
	minLockTTL  = 3 * time.Second
	minDuration = time.Millisecond
)

// logLevels are Log::Dispatch's level names and aliases, which MHA accepts.
var logLevels = []string{"debug", "info", "notice", "warning", "warn", "error", "err",
	"critical", "crit", "alert", "emergency", "emerg"}

// readApp fills the application-level settings from [server default].
func (l *loader) readApp(defaults layer) {
	c := l.cfg
	r := l.newReader(&section{name: defaultSection}, defaults)
	r.section = location{file: l.name, section: defaultSection}
	c.LogLevel = r.logLevel()
	c.ManagerWorkdir = r.workdir("manager_workdir")
	c.ManagerLog = r.path("manager_log")
	c.CheckReplDelay = r.boolean("check_repl_delay")
	c.CheckReplFilter = r.boolean("check_repl_filter")
	c.LatestPriority = r.boolean("latest_priority")
	c.MultiTierSlave = r.boolean("multi_tier_slave")
	c.UseGTIDAutoPos = r.boolean("use_gtid_auto_pos")
	c.PingInterval = r.duration("ping_interval", minDuration)
	c.PingType = r.enum("ping_type", "SELECT", "CONNECT", "INSERT")
	c.Scripts = r.scripts()
	c.Redis = r.redis()
	c.SSH = r.ssh()
	c.Timeouts = Timeouts{
		MySQLConnect: r.duration("mysql_connect_timeout", minDuration),
		MySQLRead:    r.duration("mysql_read_timeout", minDuration),
		Check:        r.duration("check_timeout", minDuration),
		Phase:        r.duration("phase_timeout", minDuration),
	}
	c.AgentPath = r.path("agent_path")
	c.VIP = r.vip()
	c.clusterID = r.clusterID()
	c.ConfigVersion = int64(r.integer("config_version", 0, maxConfigVersion))
}

// maxConfigVersion keeps config_version exact in Redis's Lua numbers.
const maxConfigVersion = 1<<53 - 1

// clusterIDPattern keeps a cluster id usable in Redis keys and file names.
var clusterIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func (r *reader) clusterID() string {
	v, set := r.get("cluster_id")
	if set && !clusterIDPattern.MatchString(v.raw) {
		r.problem(v, "cluster_id", fmt.Sprintf("%q is not a cluster id", v.raw),
			"use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
		return ""
	}
	return v.raw
}

func (r *reader) logLevel() string {
	v, _ := r.get("log_level")
	s := strings.ToLower(v.raw)
	for _, lv := range logLevels {
		if s == lv {
			return s
		}
	}
	r.problem(v, "log_level", fmt.Sprintf("%q is not a log level", v.raw), "use debug, info, notice, warning or error")
	return "info"
}

func (r *reader) scripts() Scripts {
	return Scripts{
		SecondaryCheck:       r.script("secondary_check_script"),
		MasterIPFailover:     r.script("master_ip_failover_script"),
		MasterIPOnlineChange: r.script("master_ip_online_change_script"),
		Shutdown:             r.script("shutdown_script"),
		Report:               r.script("report_script"),
		// Already checked before it was run.
		InitConfLoad: r.str("init_conf_load_script"),
		PasswordArgs: r.boolean("hook_password_args"),
	}
}

func (r *reader) ssh() SSHConfig {
	return SSHConfig{
		KeyFiles:              r.paths("ssh_key_file"),
		UseAgent:              r.boolean("ssh_use_agent"),
		KnownHostsFile:        r.path("ssh_known_hosts_file"),
		AcceptUnknownHostKeys: r.boolean("ssh_accept_unknown_host_keys"),
		CommandTimeout:        r.duration("ssh_command_timeout", minDuration),
	}
}

// readBlocks reads every block of one kind, in MHA's order.
func (l *loader) readBlocks(sections []*section, kind sectionKind, defaults layer) []Server {
	var blocks []*section
	for _, sec := range sections {
		if classifySection(sec.name) == kind {
			blocks = append(blocks, sec)
		}
	}
	sortBlocks(blocks)
	servers := make([]Server, 0, len(blocks))
	for _, sec := range blocks {
		own := l.mergeOverlay(l.toLayer(sec, sec.file), l.overlayBlock(sec.name))
		l.checkAppKeys(own, defaults)
		servers = append(servers, l.readServer(sec, own, defaults))
	}
	return servers
}

var firstNumber = regexp.MustCompile(`[0-9]+`)

// sortBlocks orders blocks like MHA: by the first number in the name if
// every name has one, otherwise by name. This order is the candidate
// priority, so it must be deterministic (ties fall back to the name).
func sortBlocks(blocks []*section) {
	nums := map[*section]uint64{}
	for _, b := range blocks {
		m := firstNumber.FindString(b.name)
		if m == "" {
			sort.Slice(blocks, func(i, j int) bool { return blocks[i].name < blocks[j].name })
			return
		}
		n, err := strconv.ParseUint(m, 10, 64)
		if err != nil {
			n = ^uint64(0)
		}
		nums[b] = n
	}
	sort.SliceStable(blocks, func(i, j int) bool {
		a, b := blocks[i], blocks[j]
		if nums[a] != nums[b] {
			return nums[a] < nums[b]
		}
		return a.name < b.name
	})
}

// checkAppKeys rejects an app-level key in a server block whose value
// differs from [server default]: MHA would use one server's copy, mhago
// uses one value for all.
func (l *loader) checkAppKeys(own, defaults layer) {
	for key, v := range own {
		if keyDefs[key].scope != scopeApp {
			continue
		}
		app, ok := defaults[key]
		if !ok {
			app = value{raw: keyDefs[key].def}
		}
		if app.raw != v.raw {
			l.ps.at(v.loc, key, "application-wide setting differs from [server default] (mhago uses one value for all servers)",
				fmt.Sprintf("set %s once in [server default] and remove it here", key))
		}
	}
}

// readServer builds one server from its own keys over the defaults.
func (l *loader) readServer(sec *section, own, defaults layer) Server {
	r := l.newReader(sec, own, defaults)
	s := Server{Block: sec.name, Line: sec.line}
	s.Hostname = r.str("hostname")
	s.NodeLabel = r.str("node_label")
	s.Port = r.integer("port", 1, 65535)
	s.User = r.str("user")
	s.Password, _ = r.secret("password", "password_file")
	s.ReplUser = r.str("repl_user")
	s.ReplPassword, s.ReplPasswordSet = r.secret("repl_password", "repl_password_file")
	r.readSSH(&s)
	s.MasterBinlogDirs = r.paths("master_binlog_dir")
	s.RemoteWorkdir = r.workdir("remote_workdir")
	s.MasterPIDFile = r.path("master_pid_file")
	s.ClientBindir = r.path("client_bindir")
	s.ClientLibdir = r.path("client_libdir")
	s.VIPInterface = r.ifaceName("vip_interface")
	r.readFlags(&s)
	if sec.name != defaultSection {
		r.resolveIPs(&s)
	}
	return s
}

func (r *reader) readSSH(s *Server) {
	s.SSHUser = r.str("ssh_user")
	if s.SSHUser == "" {
		s.SSHUser = r.l.opts.Username
	}
	s.SSHHost = r.str("ssh_host")
	if s.SSHHost == "" {
		s.SSHHost = s.Hostname
	}
	s.SSHPort = r.integer("ssh_port", 1, 65535)
	s.SSHConnectionTimeout = r.duration("ssh_connection_timeout", minDuration)
	s.SSHOptions = r.str("ssh_options")
	r.applySSHOptions(s)
}

// applySSHOptions takes keys, port, user, connect timeout and the host key
// settings from MHA's ssh_options. The explicit mhago keys (ssh_port,
// ssh_user, ssh_connection_timeout, ssh_known_hosts_file,
// ssh_accept_unknown_host_keys) win. Options that only tune OpenSSH are
// notes, shown once by check and config validate, never on every run: an
// MHA config keeps loading unchanged and quietly.
func (r *reader) applySSHOptions(s *Server) {
	v, set := r.get("ssh_options")
	if !set || strings.TrimSpace(v.raw) == "" {
		return
	}
	o, err := parseSSHOptions(v.raw)
	if err != nil {
		r.problem(v, "ssh_options", err.Error(), "write OpenSSH options as on the ssh command line, e.g. -i /root/.ssh/mha_key -p 2222")
		return
	}
	for _, f := range o.identityFiles {
		s.SSHKeyFiles = append(s.SSHKeyFiles, r.absPath(v, "ssh_options", f))
	}
	if _, portSet := r.get("ssh_port"); o.port != 0 && !portSet {
		s.SSHPort = o.port
	}
	if _, userSet := r.get("ssh_user"); o.user != "" && !userSet {
		s.SSHUser = o.user
	}
	if _, timeoutSet := r.get("ssh_connection_timeout"); o.connectTimeout != 0 && !timeoutSet {
		s.SSHConnectionTimeout = o.connectTimeout
	}
	if o.knownHostsFile != "" {
		o.knownHostsFile = r.absPath(v, "ssh_options", o.knownHostsFile)
	}
	r.l.hostKeys = append(r.l.hostKeys, hostKeyOption{loc: v.loc, file: o.knownHostsFile, policy: o.hostKeyPolicy})
	for _, n := range o.notes {
		r.l.notes.at(v.loc, "ssh_options", n, "")
	}
}

// hostKeyOption is one server's UserKnownHostsFile and
// StrictHostKeyChecking from ssh_options.
type hostKeyOption struct {
	loc    location
	file   string
	policy HostKeyPolicy
}

// applyHostKeyOptions sets the pool-wide known_hosts file and host key
// policy from ssh_options when ssh_known_hosts_file and
// ssh_accept_unknown_host_keys are not set. mhago verifies every host
// against one file with one policy, so servers whose ssh_options disagree
// are refused rather than one of them silently chosen.
func (l *loader) applyHostKeyOptions(defaults layer) {
	file, fileAt := agreed(l, func(h hostKeyOption) string { return h.file }, "UserKnownHostsFile")
	if _, set := defaults["ssh_known_hosts_file"]; !set && file != "" {
		l.cfg.SSH.KnownHostsFile = file
		l.cfg.where[defaultSection]["ssh_known_hosts_file"] = fileAt.export()
	}
	policy, policyAt := agreed(l, func(h hostKeyOption) string { return string(h.policy) }, "StrictHostKeyChecking")
	if _, set := defaults["ssh_accept_unknown_host_keys"]; !set && policy != "" {
		l.cfg.SSH.AcceptUnknownHostKeys = HostKeyPolicy(policy) == HostKeyAcceptNew
		l.cfg.where[defaultSection]["ssh_accept_unknown_host_keys"] = policyAt.export()
	}
}

// agreed returns the one value every server's ssh_options gives for an
// option (servers that do not set it are ignored), reporting a problem at
// each disagreeing line.
func agreed(l *loader, get func(hostKeyOption) string, option string) (string, location) {
	var val string
	var at location
	for _, h := range l.hostKeys {
		v := get(h)
		switch {
		case v == "" || v == val:
		case val == "":
			val, at = v, h.loc
		default:
			l.ps.at(h.loc, "ssh_options", fmt.Sprintf("-o %s differs from the one at %s:%d: mhago checks every host key with one setting", option, at.file, at.line),
				fmt.Sprintf("give every server the same %s, e.g. once in [server default]", option))
		}
	}
	return val, at
}

func (r *reader) readFlags(s *Server) {
	s.CandidateMaster = r.boolean("candidate_master")
	s.NoMaster = r.boolean("no_master")
	s.IgnoreFail = r.boolean("ignore_fail")
	s.SkipInitSSHCheck = r.boolean("skip_init_ssh_check")
	s.SkipResetSlave = r.boolean("skip_reset_slave")
	s.DisableLogBin = r.boolean("disable_log_bin")
	s.HandleRawBinlog = r.boolean("handle_raw_binlog")
}

// resolveIPs fills IP and SSHIP: an explicit value must be an IP literal;
// otherwise the host itself if it is one, else the first resolved address.
func (r *reader) resolveIPs(s *Server) {
	if s.Hostname == "" {
		r.l.ps.at(r.section, "hostname", "hostname is required", "add hostname=<host name or IP> to this block")
		return
	}
	s.IP = r.ip("ip", "hostname", s.Hostname)
	if _, set := r.get("ssh_ip"); set || s.SSHHost != s.Hostname {
		s.SSHIP = r.ip("ssh_ip", "ssh_host", s.SSHHost)
		return
	}
	s.SSHIP = s.IP
}

func (r *reader) ip(ipKey, hostKey, host string) string {
	if v, set := r.get(ipKey); set {
		if net.ParseIP(v.raw) == nil {
			r.problem(v, ipKey, fmt.Sprintf("%q is not an IP address", v.raw), "write an IPv4 or IPv6 address, or remove the line to resolve "+hostKey)
		}
		return v.raw
	}
	if net.ParseIP(host) != nil {
		return host
	}
	addrs, err := r.l.opts.Resolve(host)
	if err != nil || len(addrs) == 0 {
		hv, _ := r.get(hostKey)
		r.problem(hv, hostKey, fmt.Sprintf("cannot resolve host %q: %v", host, err),
			fmt.Sprintf("fix DNS or /etc/hosts, or set %s=<address> in this block", ipKey))
		return ""
	}
	return addrs[0]
}
