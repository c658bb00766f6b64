package checks

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/replsql"
)

// evaluation accumulates findings while the rules run.
type evaluation struct {
	in  Input
	res Result
}

func (e *evaluation) fail(cat Category, host, check, msg, fix string) {
	e.res.Findings = append(e.res.Findings, Finding{SevFail, cat, host, check, msg, fix})
	if !slices.Contains(e.res.Failed, cat) {
		e.res.Failed = append(e.res.Failed, cat)
	}
}

func (e *evaluation) warn(host, check, msg, fix string) {
	e.res.Findings = append(e.res.Findings, Finding{SevWarn, "", host, check, msg, fix})
}

// Evaluate turns observations into findings. It never touches a server.
func Evaluate(in Input) Result {
	e := &evaluation{in: in, res: Result{Findings: []Finding{}}}
	master := e.findMaster()
	if master != nil {
		e.res.Master = master.Name
	}
	for i := range in.Hosts {
		h := &in.Hosts[i]
		e.checkLogin(h, master)
		e.checkSSH(h, h == master)
		if h.Status != nil && h != master {
			e.checkReplica(h, master)
		}
		if h == master && e.res.Dual != nil {
			e.checkActiveReplication(h)
		}
		e.checkGrant(h)
	}
	e.checkPromotable()
	if in.CheckReplFilter {
		e.checkFilters(master)
	}
	e.checkAgentBinary()
	e.checkReplLogins()
	e.checkManager()
	e.checkRedis()
	e.checkHooks()
	e.putFirst(wakingMasters(in, master))
	return e.res
}

// putFirst puts the most urgent findings before all others.
func (e *evaluation) putFirst(fs []Finding) {
	for _, f := range fs {
		if !slices.Contains(e.res.Failed, f.Category) {
			e.res.Failed = append(e.res.Failed, f.Category)
		}
	}
	e.res.Findings = append(fs, e.res.Findings...)
}

// findMaster decides which configured host is the master: the only alive
// server that replicates from nobody, else the host the replicas point at,
// or, when that host and another replicate from each other, the active
// master of the pair.
func (e *evaluation) findMaster() *HostObs {
	var roots []*HostObs
	for i := range e.in.Hosts {
		h := &e.in.Hosts[i]
		if h.Status != nil && !h.Status.IsReplica() {
			roots = append(roots, h)
		}
	}
	if len(roots) == 1 {
		return roots[0]
	}
	pointed := e.pointedAt()
	if len(roots) > 1 {
		names := make([]string, len(roots))
		for i, r := range roots {
			names[i] = r.Name
		}
		e.fail(CatReplication, "", "topology", fmt.Sprintf("%d servers replicate from nobody (%s); MHA-style failover needs exactly one master",
			len(roots), strings.Join(names, ", ")), extraRootsFix(roots, pointed))
		return pointed
	}
	if pointed == nil {
		e.noMasterFound()
		return nil
	}
	if active := e.dualMaster(pointed); active != nil {
		return active
	}
	if pointed.Status == nil && errors.Is(pointed.SQLErr, instance.ErrUnreachable) {
		e.fail(CatMasterUnreachable, pointed.Name, "master", fmt.Sprintf("master %s is unreachable over MySQL: %v", hostinfo(pointed), pointed.SQLErr),
			"confirm the master is down, then run: mhago failover --conf <app.cnf> (or --dry-run first)")
	}
	return pointed
}

// pointedAt returns the configured host the replicas replicate from, by
// decide.PointedMaster's rule.
func (e *evaluation) pointedAt() *HostObs {
	var srcs []decide.Source
	for i := range e.in.Hosts {
		h := &e.in.Hosts[i]
		if h.Status == nil {
			continue
		}
		src := decide.Source{Name: h.Name, Writable: !h.Status.ReadOnly}
		if rs := h.Status.Replica; rs != nil {
			if m := e.hostByAddr(rs.MasterHost, rs.MasterPort); m != nil {
				src.Master = m.Name
			}
		}
		srcs = append(srcs, src)
	}
	return e.hostByName(decide.PointedMaster(srcs))
}

func (e *evaluation) hostByAddr(host string, port int) *HostObs {
	for i := range e.in.Hosts {
		h := &e.in.Hosts[i]
		if (h.Hostname == host || h.IP == host) && h.Port == port {
			return h
		}
	}
	return nil
}

// noMasterFound explains why no master could be identified.
func (e *evaluation) noMasterFound() {
	alive, denied := 0, 0
	for _, h := range e.in.Hosts {
		if h.Status != nil {
			alive++
		}
		if errors.Is(h.SQLErr, instance.ErrAccessDenied) {
			denied++
		}
	}
	switch {
	case alive == 0 && denied == 0:
		e.fail(CatMasterUnreachable, "", "master", "no configured server answered over MySQL",
			"check that mariadbd/mysqld runs on the hosts and that the manager can reach their ports")
	case alive > 0:
		e.fail(CatReplication, "", "topology", "no alive server replicates from nobody, and the replicas point at no configured host",
			"add the master to the config, or repair replication")
	}
	// denied logins are reported per host by checkLogin.
}

func (e *evaluation) checkLogin(h *HostObs, master *HostObs) {
	switch {
	case h.SQLErr == nil:
	case errors.Is(h.SQLErr, instance.ErrAccessDenied):
		msg := fmt.Sprintf("%s refused the login of user '%s': %s", hostinfo(h), h.User, mysqlCause(h.SQLErr))
		if h == master {
			// --failover-if-dead reads this: the server answered, so it is
			// not dead, whatever else the check cannot see.
			msg += " (the master is alive: it answers, it refuses this login)"
		}
		e.fail(CatLogin, h.Name, "mysql_login", msg, loginFix(h, mysqlErrno(h.SQLErr)))
	case h == master:
		// reported by findMaster
	case e.res.Dual != nil && h.Name == e.res.Dual.Passive:
		e.checkDualPeerDown(h)
	case h.IgnoreFail:
		e.warn(h.Name, "mysql", fmt.Sprintf("%s is unreachable over MySQL (ignore_fail=1): %v", hostinfo(h), h.SQLErr), "")
	default:
		e.fail(CatReplication, h.Name, "mysql", fmt.Sprintf("%s is unreachable over MySQL: %v", hostinfo(h), h.SQLErr),
			fmt.Sprintf("start MySQL on %s (systemctl start mariadb, or mysql) and make it listen on %s:%d; if %s is the old master of an earlier failover, "+
				"rejoin it (mhago rejoin --conf %s --host %s) or remove its [%s] block from the config; or set ignore_fail=1 in [%s] to fail over without it",
				h.Hostname, h.IP, h.Port, h.Name, e.configPath(), h.Name, h.Name, h.Name))
	}
}

// loginFix says what to change for a refused admin login, by the server's
// error number.
func loginFix(h *HostObs, errno int) string {
	from := h.PasswordFrom
	if from == "" {
		from = "password (or password_file) in [server default] or [" + h.Name + "]"
	}
	switch errno {
	case 1130:
		return fmt.Sprintf("no account '%s' matches the manager's address on %s: CREATE USER '%s'@'<manager address>' there with the same password and grants, or widen the account's host part",
			h.User, h.Name, h.User)
	case 1129:
		return fmt.Sprintf("%s blocks the manager after too many connection errors: run FLUSH HOSTS there (mariadb-admin flush-hosts) and raise max_connect_errors", h.Name)
	case 1044, 1227:
		return fmt.Sprintf("GRANT the missing privilege to '%s' on %s", h.User, h.Name)
	}
	return fmt.Sprintf("correct %s; or, if it is right, set it on %s: ALTER USER '%s'@'<host part>' IDENTIFIED BY '<password>' (SELECT user, host FROM mysql.user shows the host part)",
		from, h.Name, h.User)
}

// mysqlErrno is the server's error number in err's chain, or 0.
func mysqlErrno(err error) int {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return int(me.Number)
	}
	return 0
}

// mysqlCause is the server's own error text ("Error 1045 (28000): Access
// denied for user ..."), without the wrappers that repeat the host.
func mysqlCause(err error) string {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Error()
	}
	return err.Error()
}

func (e *evaluation) checkReplica(h, master *HostObs) {
	st := h.Status
	if !st.IsReplica() {
		return // the extra root was reported by findMaster
	}
	rs := st.Replica
	if master != nil && !(rs.MasterPort == master.Port && (rs.MasterHost == master.Hostname || rs.MasterHost == master.IP)) {
		e.fail(CatReplication, h.Name, "master_host", fmt.Sprintf("replicates from %s:%d, not from the master %s", rs.MasterHost, rs.MasterPort, hostinfo(master)),
			repointFix(h, master)+", on this replica")
	}
	// Only a master that does not answer explains a stopped IO thread. A
	// master that refuses our login is alive: the IO thread must run.
	masterDown := master != nil && master.Status == nil && !errors.Is(master.SQLErr, instance.ErrAccessDenied)
	if !rs.IORunningYes() && !masterDown {
		e.fail(CatReplication, h.Name, "io_thread", fmt.Sprintf("Slave_IO_Running=%s%s", rs.IORunning, lastErr(rs.LastIOErrno, rs.LastIOError)),
			threadCause(h, master, rs.LastIOErrno)+"then "+replsql.Start(serverVersion(h), replsql.IOThread).String())
	}
	if !rs.SQLRunningYes() {
		e.fail(CatReplication, h.Name, "sql_thread", fmt.Sprintf("Slave_SQL_Running=%s%s", rs.SQLRunning, lastErr(rs.LastSQLErrno, rs.LastSQLError)),
			threadCause(h, master, rs.LastSQLErrno)+"then "+replsql.Start(serverVersion(h), replsql.SQLThread).String())
	}
	e.checkLag(h)
	e.checkReplicaSettings(h)
}

func (e *evaluation) checkLag(h *HostObs) {
	lag := h.Status.Replica.SecondsBehindMaster
	if e.in.MaxLag > 0 && lag != nil && time.Duration(*lag)*time.Second > e.in.MaxLag {
		e.fail(CatReplication, h.Name, "lag", fmt.Sprintf("Seconds_Behind_Master=%d exceeds %s", *lag, e.in.MaxLag),
			"wait for the replica to catch up, or raise --max-lag")
	}
}

func (e *evaluation) checkReplicaSettings(h *HostObs) {
	st := h.Status
	// A writable passive master is the dual-master check's finding.
	if !st.ReadOnly && (e.res.Dual == nil || h.Name != e.res.Dual.Passive) {
		e.warn(h.Name, "read_only", "replica is writable (read_only is OFF)",
			replsql.SetReadOnly(true).String()+", and add read_only to the [mysqld] section of its my.cnf so that a restart keeps it")
	}
	if st.RelayLogPurge {
		e.warn(h.Name, "relay_log_purge", "relay_log_purge=ON: relay logs other replicas need may be gone at failover",
			"SET GLOBAL relay_log_purge=0 and add relay_log_purge=0 to its my.cnf")
	}
	if h.NoMaster {
		return
	}
	if !st.LogBin {
		e.warn(h.Name, "log_bin", "log_bin is OFF: this host cannot become master", "enable log_bin in its my.cnf, or set no_master=1")
	} else if !st.LogSlaveUpdates {
		e.warn(h.Name, "log_slave_updates", "log_slave_updates is OFF: after promotion the other replicas would miss the events it applied",
			"enable log_slave_updates in its my.cnf")
	}
}

// checkPromotable fails when no replica could take over.
func (e *evaluation) checkPromotable() {
	for _, h := range e.in.Hosts {
		if h.Name != e.res.Master && h.Status != nil && h.Status.IsReplica() && !h.NoMaster && h.Status.LogBin {
			return
		}
		// A server that refuses our login is alive and unseen, not "down":
		// its login finding says what to fix, a claim about it would not.
		if h.Name != e.res.Master && !h.NoMaster && errors.Is(h.SQLErr, instance.ErrAccessDenied) {
			return
		}
	}
	if len(e.in.Hosts) > 0 {
		e.fail(CatEnvironment, "", "candidates", "no alive replica can become master (all have no_master=1, log_bin off, or are down)",
			"enable log_bin on a replica, or clear no_master on one")
	}
}

func (e *evaluation) checkSSH(h *HostObs, isMaster bool) {
	if h.SSH == nil {
		return
	}
	if h.SSH.Err != nil {
		e.fail(CatSSH, h.Name, "ssh", h.SSH.Err.Error(), sshFix(h, e.configPath()))
		return
	}
	e.checkWorkdir(h, isMaster)
	e.checkBinlogDirs(h, isMaster)
}

// checkBinlogDirs requires that the server's current binlog is visible in
// master_binlog_dir: that is where its binlog will be saved from if it dies.
func (e *evaluation) checkBinlogDirs(h *HostObs, isMaster bool) {
	if h.Status == nil || h.Status.Binlog == nil {
		return
	}
	want := path.Base(h.Status.Binlog.File)
	var tried []string
	for _, d := range h.SSH.BinlogDirs {
		if d.Err == "" && slices.Contains(d.Files, want) {
			return
		}
		tried = append(tried, d.Path+statusSuffix(d.Err))
	}
	msg := fmt.Sprintf("current binlog %s not found in master_binlog_dir (%s)", want, strings.Join(tried, ", "))
	fix := "set master_binlog_dir in [" + h.Name + "] to the directory of log_bin, readable by ssh_user"
	if isMaster {
		e.fail(CatEnvironment, h.Name, "master_binlog_dir", msg, fix)
	} else if !h.NoMaster {
		e.warn(h.Name, "master_binlog_dir", msg+"; its binlog could not be saved if it were master and died", fix)
	}
}

func (e *evaluation) checkGrant(h *HostObs) {
	g := h.ReplGrant
	switch {
	case g == nil:
	case g.Err != nil:
		e.warn(h.Name, "repl_grant", fmt.Sprintf("could not read grants of %s: %v", g.User, g.Err), "GRANT SELECT ON mysql.user to the admin user")
	case !g.OK:
		e.fail(CatEnvironment, h.Name, "repl_grant", fmt.Sprintf("replication user %q lacks REPLICATION SLAVE (accounts: %s)", g.User, strings.Join(g.Hosts, ", ")),
			fmt.Sprintf("CREATE USER / GRANT REPLICATION SLAVE ON *.* TO '%s'@'<replica network>'", g.User))
	}
}

func (e *evaluation) checkRedis() {
	r := e.in.Redis
	if r == nil {
		e.warn("", "redis", "no redis_address: nothing stops a second manager host from failing over at the same time",
			"set redis_address=host:port in [server default] (one Redis every manager host reaches), or run --failover-if-dead from one host only, with --no-lock")
		return
	}
	if r.Err != nil {
		e.fail(CatEnvironment, "", "redis", r.Err.Error(), "start Redis at "+r.Addr+" or fix redis_address; a failover refuses to run without its lock unless --no-lock")
	}
}

func (e *evaluation) checkHooks() {
	for _, hk := range e.in.Hooks {
		if hk.Err != nil {
			e.fail(CatEnvironment, "", hk.Key, fmt.Sprintf("%s %s: %v", hk.Key, hk.Path, hk.Err), "install the script at that path and chmod +x it, or remove "+hk.Key)
			continue
		}
		if hk.Called && hk.ExitCode != 0 {
			e.fail(CatEnvironment, "", hk.Key, fmt.Sprintf("%s --command=status exited %d: %s", hk.Path, hk.ExitCode, lastLine(hk.Output)),
				"run the script by hand with --command=status and fix it; MHA refuses to start in this case too")
		}
		if hookMissesPassword(hk) {
			e.fail(CatEnvironment, "", hk.Key, fmt.Sprintf("%s parses MHA's --%s option, but mhago passes passwords in the environment only: its --command=start would get no password",
				hk.Path, hk.PasswordOption), "set hook_password_args=1 in [server default], or make the script read $"+hooks.EnvNewMasterPassword)
		}
	}
}

// configPath is the config file, for the commands a fix prints.
func (e *evaluation) configPath() string {
	if m := e.in.Manager; m != nil && m.Config != "" {
		return m.Config
	}
	return "<app.cnf>"
}

// hookMissesPassword: the script parses MHA's password option, which the
// failover will not pass.
func hookMissesPassword(hk HookObs) bool {
	return hk.PasswordOption != "" && hk.Style != hooks.PasswordsInArgs
}

func hostinfo(h *HostObs) string { return fmt.Sprintf("%s(%s:%d)", h.Hostname, h.IP, h.Port) }

func lastErr(no int, msg string) string {
	if no == 0 && msg == "" {
		return ""
	}
	return fmt.Sprintf(" (error %d: %s)", no, msg)
}

func statusSuffix(err string) string {
	if err == "" {
		return ""
	}
	return ": " + err
}

// sshFix says what to do about a failed SSH connection, by its cause:
// the known_hosts line to remove, the key to install, the sshd to start.
func sshFix(h *HostObs, config string) string {
	var hk *remote.HostKeyError
	switch {
	case errors.As(h.SSH.Err, &hk) && hk.Revoked:
		return fmt.Sprintf("the host key of %s is marked @revoked in %s line %d: give %s new host keys, then record them with mhago check --conf %s --accept-new-host-keys",
			hk.Addr, hk.KnownHostsFile, hk.Line, h.SSHHost, config)
	case errors.As(h.SSH.Err, &hk) && hk.Changed:
		return fmt.Sprintf("compare %s with the host's own key (on %s: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub); if it is the new key, run: ssh-keygen -R %s -f %s && mhago check --conf %s --accept-new-host-keys",
			hk.Fingerprint, h.SSHHost, keyFileType(hk.KeyType), remote.ShellQuote(hk.Addr), remote.ShellQuote(hk.KnownHostsFile), config)
	case errors.As(h.SSH.Err, &hk):
		return fmt.Sprintf("compare %s with the host's own key (on %s: ssh-keygen -lf /etc/ssh/ssh_host_%s_key.pub); if they match, record it: mhago check --conf %s --accept-new-host-keys (it is added to %s)",
			hk.Fingerprint, h.SSHHost, keyFileType(hk.KeyType), config, hk.KnownHostsFile)
	case errors.Is(h.SSH.Err, remote.ErrAuth):
		keys := "the key in ssh_key_file"
		if len(h.SSHKeys) > 0 {
			keys = strings.Join(h.SSHKeys, ", ")
		}
		return fmt.Sprintf("%s@%s refused %s: add its public key to ~%s/.ssh/authorized_keys on %s (ssh-copy-id -i %s.pub -p %d %s@%s), or set ssh_user / ssh_key_file in [%s]",
			h.SSHUser, h.SSHHost, keys, h.SSHUser, h.SSHHost, firstOr(h.SSHKeys, "<key>"), h.SSHPort, h.SSHUser, h.SSHHost, h.Name)
	case errors.Is(h.SSH.Err, remote.ErrUnreachable):
		return fmt.Sprintf("nothing answers SSH at %s:%d: start sshd on %s (systemctl start ssh, or sshd), or set ssh_host / ssh_port in [%s] to where it listens",
			h.SSHHost, h.SSHPort, h.SSHHost, h.Name)
	}
	return "check sshd on " + h.Hostname + ", ssh_user/ssh_port, the key in ssh_key_file and its entry in ssh_known_hosts_file"
}

// keyFileType is the host key file's name part for an SSH key type.
func keyFileType(t string) string {
	switch t {
	case "ssh-ed25519":
		return "ed25519"
	case "ssh-rsa", "rsa-sha2-256", "rsa-sha2-512":
		return "rsa"
	}
	if strings.HasPrefix(t, "ecdsa-") {
		return "ecdsa"
	}
	return "*"
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
