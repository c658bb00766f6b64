package checks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/mhago/mhago/hooks"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/remote"
)

// cluster builds a healthy 3-host observation: server1 master, 2 and 3 replicas.
func cluster() Input {
	lag := int64(0)
	hosts := []HostObs{}
	for i := 1; i <= 3; i++ {
		ip := fmt.Sprintf("127.0.0.%d", 10+i)
		h := HostObs{Name: fmt.Sprintf("server%d", i), Hostname: ip, IP: ip, Port: 3306,
			User: "mhago", PasswordFrom: "password_file (/etc/app.cnf:3, [server default])",
			ReplUser: "repl", ReplPasswordSet: true, ReplPasswordFrom: "repl_password_file (/etc/app.cnf:5, [server default])",
			Status: &instance.Status{Version: "10.11.19-MariaDB", MariaDB: true, ServerID: uint32(i), LogBin: true,
				LogSlaveUpdates: true, ReadOnly: i > 1, Binlog: &instance.BinlogStatus{File: "mysql-bin.000002", Pos: 500}},
			SSH: &SSHObs{Workdir: WorkdirObs{Path: "/w", Agent: &AgentObs{FreeBytes: 20 << 30, Decoder: "/usr/bin/mariadb-binlog", Client: "/usr/bin/mariadb"}},
				BinlogDirs: []DirObs{{Path: "/b", Files: []string{"mysql-bin.000001", "mysql-bin.000002"}}}},
		}
		if i > 1 {
			h.Status.Replica = &instance.ReplicaStatus{MasterHost: "127.0.0.11", MasterPort: 3306, MasterUser: "repl", IORunning: "Yes", SQLRunning: "Yes", SecondsBehindMaster: &lag}
		} else {
			h.ReplGrant = &GrantObs{User: "repl", OK: true, Hosts: []string{"127.0.0.%"}}
		}
		hosts = append(hosts, h)
	}
	in := Input{Hosts: hosts, Redis: &RedisObs{Addr: "127.0.0.10:6379"}, ReplUser: "repl", MaxLag: 30 * time.Second, CheckReplFilter: true,
		Manager: &ManagerObs{Workdir: "/var/lib/mhago", Log: "/var/log/mhago/app.log"}}
	in.ReplLogins = PlanReplLogins(in, "server1")
	for i := range in.ReplLogins {
		in.ReplLogins[i].OK = true
	}
	return in
}

var errRefused = fmt.Errorf("%w: dial tcp: connection refused", instance.ErrUnreachable)

// errDenied is what instance.Open returns for a wrong password: the
// driver's error with ErrAccessDenied in the chain.
var errDenied = deniedErr(1045, "Access denied for user 'mhago'@'127.0.0.1' (using password: YES)")

func deniedErr(no uint16, msg string) error {
	return instance.Classify(fmt.Errorf("mysql mhago@127.0.0.1:3306 (server): %w", &mysql.MySQLError{Number: no, SQLState: [5]byte{'2', '8', '0', '0', '0'}, Message: msg}))
}

// refuseLogin makes the login from -> to fail the way the agent reports a
// wrong repl_password.
func refuseLogin(in *Input, from, to string) {
	for i := range in.ReplLogins {
		if l := &in.ReplLogins[i]; l.From == from && l.To == to {
			l.OK, l.ErrorCode, l.Message = false, 1045, "ERROR 1045 (28000): Access denied for user 'repl'@'127.0.0.13' (using password: YES)"
		}
	}
}

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(in *Input)
		worst      Category
		master     string
		wantHost   string // host named by a FAIL of the worst category
		wantSubstr string
		wantWarn   string // a WARN check expected
		wantFix    string // in the fix of the FAIL found by wantHost/wantSubstr
		noCheck    string // no finding of this check may appear
	}{
		{name: "healthy", mutate: func(in *Input) {}, master: "server1"},
		{name: "master killed", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr = nil, errRefused
			for i := 1; i < 3; i++ {
				in.Hosts[i].Status.Replica.IORunning = "Connecting"
			}
		}, worst: CatMasterUnreachable, master: "server1", wantHost: "server1", wantSubstr: "unreachable"},
		{name: "sql thread stopped", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica.SQLRunning = "No"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "Slave_SQL_Running=No", wantFix: "fix the cause, then START SLAVE SQL_THREAD"},
		{name: "sql thread stopped on MySQL 8.4: the fix is in its syntax", mutate: func(in *Input) {
			mysql84(in.Hosts[2].Status)
			in.Hosts[2].Status.Replica.SQLRunning = "No"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "Slave_SQL_Running=No", wantFix: "fix the cause, then START REPLICA SQL_THREAD"},
		{name: "io thread stopped on MySQL 8.0.22", mutate: func(in *Input) {
			in.Hosts[1].Status.Version, in.Hosts[1].Status.MariaDB = "8.0.22", false
			in.Hosts[1].Status.Replica.IORunning = "No"
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "Slave_IO_Running=No", wantFix: "fix the cause, then START REPLICA IO_THREAD"},
		{name: "replica on MySQL 8.4 points elsewhere", mutate: func(in *Input) {
			mysql84(in.Hosts[2].Status)
			in.Hosts[2].Status.Replica.MasterHost = "127.0.0.99"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "127.0.0.99",
			wantFix: "STOP REPLICA, then CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.11', SOURCE_PORT=3306 plus the master's binlog coordinates (or GTID positioning), then START REPLICA, on this replica"},
		{name: "io thread error while master alive", mutate: func(in *Input) {
			r := in.Hosts[1].Status.Replica
			r.IORunning, r.LastIOErrno, r.LastIOError = "No", 1236, "binlog gone"
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "1236"},
		{name: "replica points elsewhere", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica.MasterHost = "127.0.0.99"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "127.0.0.99",
			wantFix: "STOP SLAVE, then CHANGE MASTER TO MASTER_HOST='127.0.0.11', MASTER_PORT=3306 plus the master's binlog coordinates (or GTID positioning), then START SLAVE, on this replica"},
		{name: "lag over limit", mutate: func(in *Input) {
			l := int64(120)
			in.Hosts[1].Status.Replica.SecondsBehindMaster = &l
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "120"},
		{name: "two roots", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica = nil
		}, worst: CatReplication, master: "server1", wantSubstr: "replicate from nobody",
			wantFix: "point the extra servers at server1, or remove them from the config; on server3: STOP SLAVE, then CHANGE MASTER TO MASTER_HOST='127.0.0.11', MASTER_PORT=3306"},
		{name: "wrong password everywhere", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].Status, in.Hosts[i].SQLErr, in.Hosts[i].ReplGrant = nil, errDenied, nil
			}
			in.ReplLogins = nil
		}, worst: CatLogin, wantHost: "server1", wantSubstr: "refused the login", wantFix: "password_file (/etc/app.cnf:3", noCheck: "candidates"},
		{name: "wrong password on every replica: not called down", mutate: func(in *Input) {
			for i := 1; i < 3; i++ {
				in.Hosts[i].Status, in.Hosts[i].SQLErr = nil, errDenied
			}
			in.ReplLogins = nil
		}, worst: CatLogin, master: "server1", wantHost: "server2", wantSubstr: "refused the login", noCheck: "candidates"},
		{name: "wrong password on one replica", mutate: func(in *Input) {
			in.Hosts[2].Status, in.Hosts[2].SQLErr = nil, errDenied
			in.ReplLogins = PlanReplLogins(*in, "server1")
		}, worst: CatLogin, master: "server1", wantHost: "server3",
			wantSubstr: "refused the login of user 'mhago': Error 1045 (28000): Access denied for user 'mhago'@'127.0.0.1'",
			wantFix:    "correct password_file (/etc/app.cnf:3, [server default]); or, if it is right, set it on server3: ALTER USER 'mhago'"},
		{name: "wrong password on the master: alive, not unreachable", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr, in.Hosts[0].ReplGrant = nil, errDenied, nil
		}, worst: CatLogin, master: "server1", wantHost: "server1", wantSubstr: "the master is alive"},
		{name: "wrong password on the master does not hide a broken IO thread", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr, in.Hosts[0].ReplGrant = nil, errDenied, nil
			r := in.Hosts[1].Status.Replica
			r.IORunning, r.LastIOErrno, r.LastIOError = "No", 1236, "binlog gone"
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "1236"},
		{name: "wrong password on the master, replicas down", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr, in.Hosts[0].ReplGrant = nil, errDenied, nil
			for i := 1; i < 3; i++ {
				in.Hosts[i].Status, in.Hosts[i].SQLErr = nil, errRefused
			}
			in.ReplLogins = nil
		}, worst: CatReplication, wantHost: "server2", wantSubstr: "unreachable over MySQL"},
		{name: "account host not allowed", mutate: func(in *Input) {
			in.Hosts[1].Status, in.Hosts[1].SQLErr = nil, deniedErr(1130, "Host '10.9.9.9' is not allowed to connect to this MariaDB server")
			in.ReplLogins = PlanReplLogins(*in, "server1")
		}, worst: CatLogin, master: "server1", wantHost: "server2", wantSubstr: "is not allowed to connect", wantFix: "CREATE USER 'mhago'@'<manager address>'"},
		{name: "manager host blocked", mutate: func(in *Input) {
			in.Hosts[1].Status, in.Hosts[1].SQLErr = nil, deniedErr(1129, "Host '10.9.9.9' is blocked because of many connection errors")
			in.ReplLogins = PlanReplLogins(*in, "server1")
		}, worst: CatLogin, master: "server1", wantHost: "server2", wantSubstr: "blocked", wantFix: "FLUSH HOSTS"},
		{name: "all down", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].Status, in.Hosts[i].SQLErr, in.Hosts[i].ReplGrant = nil, errRefused, nil
			}
		}, worst: CatMasterUnreachable, wantSubstr: "no configured server answered"},
		{name: "replica down", mutate: func(in *Input) {
			in.Hosts[2].Status, in.Hosts[2].SQLErr = nil, errRefused
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "unreachable over MySQL"},
		{name: "replica down but ignore_fail", mutate: func(in *Input) {
			in.Hosts[2].Status, in.Hosts[2].SQLErr, in.Hosts[2].IgnoreFail = nil, errRefused, true
		}, master: "server1", wantWarn: "mysql"},
		{name: "ssh down on a replica", mutate: func(in *Input) {
			in.Hosts[1].SSH = &SSHObs{Err: errors.New("ssh root@127.0.0.12:2222 (server2): connection refused")}
		}, worst: CatSSH, master: "server1", wantHost: "server2", wantSubstr: "connection refused"},
		{name: "changed host key: the exact known_hosts line to remove", mutate: func(in *Input) {
			in.Manager.Config = "/etc/mha/app1.cnf"
			in.Hosts[1].SSHHost, in.Hosts[1].SSHPort = "db2.example", 2222
			in.Hosts[1].SSH = &SSHObs{Err: &remote.HostKeyError{Addr: "[db2.example]:2222", KeyType: "ssh-ed25519", Fingerprint: "SHA256:abc",
				KnownHostsFile: "/root/.ssh/known_hosts", Line: 7, Changed: true}}
		}, worst: CatSSH, master: "server1", wantHost: "server2", wantSubstr: "REMOTE HOST KEY HAS CHANGED",
			wantFix: "compare SHA256:abc with the host's own key (on db2.example: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub); if it is the new key, run: " +
				"ssh-keygen -R '[db2.example]:2222' -f /root/.ssh/known_hosts && mhago check --conf /etc/mha/app1.cnf --accept-new-host-keys"},
		{name: "unknown host key: record it", mutate: func(in *Input) {
			in.Manager.Config = "/etc/mha/app1.cnf"
			in.Hosts[2].SSHHost = "127.0.0.13"
			in.Hosts[2].SSH = &SSHObs{Err: &remote.HostKeyError{Addr: "127.0.0.13", KeyType: "ecdsa-sha2-nistp256", Fingerprint: "SHA256:def", KnownHostsFile: "/root/.ssh/known_hosts"}}
		}, worst: CatSSH, master: "server1", wantHost: "server3", wantSubstr: "is not in /root/.ssh/known_hosts",
			wantFix: "ssh_host_ecdsa_key.pub); if they match, record it: mhago check --conf /etc/mha/app1.cnf --accept-new-host-keys (it is added to /root/.ssh/known_hosts)"},
		{name: "ssh key refused: which key where", mutate: func(in *Input) {
			in.Hosts[1].SSHUser, in.Hosts[1].SSHHost, in.Hosts[1].SSHPort, in.Hosts[1].SSHKeys = "mha", "127.0.0.12", 22, []string{"/home/mha/.ssh/id_ed25519"}
			in.Hosts[1].SSH = &SSHObs{Err: fmt.Errorf("ssh mha@127.0.0.12:22 (server2): handshake: %w: no supported methods remain", remote.ErrAuth)}
		}, worst: CatSSH, master: "server1", wantHost: "server2", wantSubstr: "authentication failed",
			wantFix: "mha@127.0.0.12 refused /home/mha/.ssh/id_ed25519: add its public key to ~mha/.ssh/authorized_keys on 127.0.0.12 (ssh-copy-id -i /home/mha/.ssh/id_ed25519.pub -p 22 mha@127.0.0.12)"},
		{name: "sshd down: which address", mutate: func(in *Input) {
			in.Hosts[1].SSHHost, in.Hosts[1].SSHPort = "127.0.0.12", 2222
			in.Hosts[1].SSH = &SSHObs{Err: fmt.Errorf("ssh root@127.0.0.12:2222 (server2): dial: %w: connection refused", remote.ErrUnreachable)}
		}, worst: CatSSH, master: "server1", wantHost: "server2", wantSubstr: "connection refused",
			wantFix: "nothing answers SSH at 127.0.0.12:2222: start sshd on 127.0.0.12"},
		{name: "replica down: which host, how to start it", mutate: func(in *Input) {
			in.Manager.Config = "/etc/mha/app1.cnf"
			in.Hosts[2].Status, in.Hosts[2].SQLErr = nil, errRefused
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "unreachable over MySQL",
			wantFix: "start MySQL on 127.0.0.13 (systemctl start mariadb, or mysql) and make it listen on 127.0.0.13:3306; if server3 is the old master of an earlier failover, rejoin it (mhago rejoin --conf /etc/mha/app1.cnf --host server3)"},
		{name: "IO thread refused by the master: the replication password", mutate: func(in *Input) {
			r := in.Hosts[1].Status.Replica
			r.IORunning, r.LastIOErrno, r.LastIOError = "Connecting", 1045, "Access denied for user 'repl'"
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "1045",
			wantFix: "the replication user's password stored on server2 is refused by server1 (127.0.0.11:3306): set the right one (STOP SLAVE IO_THREAD; CHANGE MASTER TO MASTER_PASSWORD='<repl password>'; START SLAVE IO_THREAD"},
		{name: "leftover failover error file", mutate: func(in *Input) {
			in.Manager.Config = "/etc/mha/app1.cnf"
			in.Manager.ErrorFiles = []ErrorFileObs{{Path: "/var/lib/mhago/c123.failover.error", Since: time.Date(2026, 11, 1, 3, 0, 0, 0, time.UTC), First: "run r1 (failover) failed after the point of no return"}}
		}, worst: CatEnvironment, master: "server1", wantSubstr: "/var/lib/mhago/c123.failover.error exists since 2026-11-01T03:00:00Z",
			wantFix: "finish that run: mhago failover --conf /etc/mha/app1.cnf --resume; or repair the cluster by hand (the run's report in /var/lib/mhago lists the steps), then rm /var/lib/mhago/c123.failover.error"},
		{name: "ssh skipped", mutate: func(in *Input) { in.Hosts[1].SSH = nil }, master: "server1"},
		{name: "master binlog not in dir", mutate: func(in *Input) {
			in.Hosts[0].SSH.BinlogDirs = []DirObs{{Path: "/var/lib/mysql", Files: []string{"ibdata1"}}}
		}, worst: CatEnvironment, master: "server1", wantHost: "server1", wantSubstr: "mysql-bin.000002 not found"},
		{name: "workdir not writable", mutate: func(in *Input) {
			in.Hosts[2].SSH.Workdir.Err, in.Hosts[2].SSH.Workdir.Agent = "cannot write a file: permission denied", nil
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "/w on 127.0.0.13 is not usable: cannot write a file", wantFix: "set remote_workdir in [server3]"},
		{name: "workdir missing", mutate: func(in *Input) {
			in.Hosts[2].SSH.Workdir.Missing, in.Hosts[2].SSH.Workdir.Agent = true, nil
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "remote_workdir /w does not exist on 127.0.0.13", wantFix: "on 127.0.0.13, as ssh_user: mkdir -p -m 0700 /w"},
		{name: "agent on a noexec mount", mutate: func(in *Input) {
			in.Hosts[1].SSH.Workdir.Agent = &AgentObs{NoExec: true, Err: "agent version on server2: exit 126: Permission denied"}
		}, worst: CatEnvironment, master: "server1", wantHost: "server2", wantSubstr: "mounted noexec", wantFix: "without noexec"},
		{name: "agent without space", mutate: func(in *Input) {
			in.Hosts[1].SSH.Workdir.Agent = &AgentObs{NoSpace: true, Err: "upload agent: no space left on device"}
		}, worst: CatEnvironment, master: "server1", wantHost: "server2", wantSubstr: "no space left in remote_workdir /w", wantFix: "free space"},
		{name: "agent fails otherwise", mutate: func(in *Input) {
			in.Hosts[0].SSH.Workdir.Agent = &AgentObs{Err: "verify agent: sha256 mismatch"}
		}, worst: CatEnvironment, master: "server1", wantHost: "server1", wantSubstr: "cannot run from remote_workdir /w on 127.0.0.11: verify agent"},
		{name: "apply tools missing on a replica", mutate: func(in *Input) {
			in.Hosts[2].ClientBindir = "/opt/mysql/bin"
			in.Hosts[2].SSH.Workdir.Agent = &AgentObs{FreeBytes: 20 << 30, ToolsError: "mariadb-binlog and mysqlbinlog not found"}
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "(client_bindir=/opt/mysql/bin): mariadb-binlog and mysqlbinlog not found", wantFix: "set client_bindir in [server3]"},
		{name: "apply tools missing on the master are advice", mutate: func(in *Input) {
			in.Hosts[0].SSH.Workdir.Agent = &AgentObs{FreeBytes: 20 << 30, ToolsError: "mariadb not found"}
		}, master: "server1", wantWarn: "apply_tools"},
		{name: "apply tools not reported by the agent", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].SSH.Workdir.Agent = &AgentObs{FreeBytes: 20 << 30}
			}
		}, master: "server1"},
		{name: "little space in remote_workdir", mutate: func(in *Input) {
			in.Hosts[2].SSH.Workdir.Agent.FreeBytes = 300 << 20
		}, master: "server1", wantWarn: "remote_workdir_space"},
		{name: "check left its directory behind", mutate: func(in *Input) {
			in.Hosts[2].SSH.Workdir.Leftover = "the check's directory /w/mhago-check-x could not be removed: connection lost"
		}, master: "server1", wantWarn: "remote_workdir"},
		{name: "no agent binary", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].SSH.Workdir.Agent = nil
			}
			in.ReplLogins = nil
			in.AgentErr = "node agent binary not available: read /opt/mhago-agent: no such file or directory"
		}, worst: CatEnvironment, master: "server1", wantSubstr: "node agent binary not available", wantFix: "agent_path"},
		{name: "agent binary the host cannot run", mutate: func(in *Input) {
			in.Hosts[1].SSH.Workdir.Agent = &AgentObs{Err: "the agent (mhago itself) is dynamically linked against /lib64/ld-linux-x86-64.so.2, which this host does not have",
				Fix: "build mhago with CGO_ENABLED=0"}
		}, worst: CatEnvironment, master: "server1", wantHost: "server2", wantSubstr: "the node agent cannot run on", wantFix: "build mhago with CGO_ENABLED=0"},
		{name: "wrong repl_password", mutate: func(in *Input) { refuseLogin(in, "server3", "server2") },
			worst: CatLogin, master: "server1", wantHost: "server2",
			wantSubstr: "repl user 'repl' cannot log in to server2 (127.0.0.12:3306) from server3: ERROR 1045",
			wantFix:    "correct repl_password_file (/etc/app.cnf:5, [server default]), or the account's password/host on server2"},
		{name: "replication broken outranks a wrong repl_password", mutate: func(in *Input) {
			refuseLogin(in, "server3", "server2")
			in.Hosts[2].Status.Replica.SQLRunning = "No"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "Slave_SQL_Running=No"},
		{name: "a wrong repl_password outranks a missing workdir", mutate: func(in *Input) {
			refuseLogin(in, "server2", "server3")
			in.Hosts[0].SSH.Workdir.Missing, in.Hosts[0].SSH.Workdir.Agent = true, nil
		}, worst: CatLogin, master: "server1", wantHost: "server3", wantSubstr: "from server2"},
		{name: "candidate port closed to a replica", mutate: func(in *Input) {
			l := &in.ReplLogins[0]
			l.OK, l.ErrorCode, l.Message = false, 2003, "ERROR 2003 (HY000): Can't connect to MySQL server on '127.0.0.12'"
		}, worst: CatEnvironment, master: "server1", wantHost: "server2", wantSubstr: "cannot reach server2 (127.0.0.12:3306)", wantFix: "open port 3306 on 127.0.0.12"},
		{name: "repl_password not set", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].ReplPasswordSet = false
			}
			in.ReplLogins = PlanReplLogins(*in, "server1")
		}, master: "server1", wantWarn: "repl_password"},
		{name: "agent without the login command", mutate: func(in *Input) {
			for i := range in.ReplLogins {
				in.ReplLogins[i].OK, in.ReplLogins[i].Unsupported = false, true
			}
		}, master: "server1", wantWarn: "repl_login"},
		{name: "login call failed", mutate: func(in *Input) {
			in.ReplLogins[1].OK, in.ReplLogins[1].Err = false, "agent login on server2: connection lost"
		}, master: "server1", wantWarn: "repl_login"},
		{name: "no redis_address", mutate: func(in *Input) { in.Redis = nil }, master: "server1", wantWarn: "redis"},
		{name: "an earlier failover did not finish", mutate: func(in *Input) {
			in.Manager.Unfinished, in.Manager.Config = `run r1 (failover on mgr1, pid 7) stopped in phase "4 replica recovery"`, "/etc/mha/app1.cnf"
		}, worst: CatEnvironment, master: "server1", wantSubstr: `an earlier failover did not finish: run r1 (failover on mgr1, pid 7) stopped in phase "4 replica recovery"`,
			wantFix: "mhago failover --conf /etc/mha/app1.cnf --resume"},
		{name: "manager_workdir will be created", mutate: func(in *Input) { in.Manager.WorkdirMissing = true },
			master: "server1", wantWarn: "manager_workdir"},
		{name: "manager_workdir cannot be created", mutate: func(in *Input) {
			in.Manager.WorkdirMissing, in.Manager.WorkdirErr = true, "cannot be created: /var/lib is not a directory"
		}, worst: CatEnvironment, master: "server1", wantSubstr: "manager_workdir /var/lib/mhago does not exist and cannot be created", wantFix: "mkdir -p -m 0700 /var/lib/mhago"},
		{name: "manager_workdir read-only", mutate: func(in *Input) {
			in.Manager.WorkdirErr = "cannot write a file: read-only file system"
		}, worst: CatEnvironment, master: "server1", wantSubstr: "manager_workdir /var/lib/mhago is not writable: cannot write a file: read-only file system"},
		{name: "manager_log not appendable", mutate: func(in *Input) {
			in.Manager.LogErr = "its directory /var/log/mhago does not exist"
		}, worst: CatEnvironment, master: "server1", wantSubstr: "manager_log /var/log/mhago/app.log: its directory", wantFix: "mkdir -p /var/log/mhago"},
		{name: "repl grant missing", mutate: func(in *Input) {
			in.Hosts[0].ReplGrant.OK = false
		}, worst: CatEnvironment, master: "server1", wantHost: "server1", wantSubstr: "REPLICATION SLAVE"},
		{name: "same filters in another order are equal", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].Status.Binlog.IgnoreDB = []string{"tmp,scratch", "scratch, tmp", "tmp,scratch"}[i]
			}
			in.Hosts[1].Status.Replica.Filters.WildIgnoreTable = "tmp.%,scratch.%"
			in.Hosts[2].Status.Replica.Filters.WildIgnoreTable = "scratch.%,tmp.%"
		}, master: "server1"},
		{name: "binlog filter differs from the master's", mutate: func(in *Input) {
			in.Hosts[2].Status.Binlog.DoDB = "app"
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "binlog filters (Binlog_Do_DB=app) differ from server1's (none)"},
		{name: "replication filter differs between replicas", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica.Filters.IgnoreDB = "reports"
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "Replicate_Ignore_DB=reports"},
		{name: "check_repl_filter=0 accepts different filters", mutate: func(in *Input) {
			in.CheckReplFilter = false
			in.Hosts[2].Status.Replica.Filters.IgnoreDB = "reports"
			in.Hosts[2].Status.Binlog.DoDB = "app"
		}, master: "server1"},
		{name: "redis down", mutate: func(in *Input) {
			in.Redis.Err = errors.New("redis unreachable: dial tcp 127.0.0.10:6379: connection refused")
		}, worst: CatEnvironment, master: "server1", wantSubstr: "redis"},
		{name: "hook status fails", mutate: func(in *Input) {
			in.Hooks = []HookObs{{Key: "master_ip_failover_script", Path: "/x", Called: true, ExitCode: 1, Output: "vip tool missing\n"}}
		}, worst: CatEnvironment, master: "server1", wantSubstr: "vip tool missing"},
		{name: "hook parses MHA's password option, passwords in the environment", mutate: func(in *Input) {
			in.Hooks = []HookObs{{Key: "master_ip_failover_script", Path: "/etc/mha/ip", Called: true, Style: hooks.PasswordsInEnv, PasswordOption: "new_master_password"}}
		}, worst: CatEnvironment, master: "server1", wantSubstr: "parses MHA's --new_master_password option",
			wantFix: "set hook_password_args=1 in [server default], or make the script read $MHAGO_NEW_MASTER_PASSWORD"},
		{name: "hook parses MHA's password option, hook_password_args=1", mutate: func(in *Input) {
			in.Hooks = []HookObs{{Key: "master_ip_failover_script", Path: "/etc/mha/ip", Called: true, Style: hooks.PasswordsInArgs, PasswordOption: "new_master_password"}}
		}, master: "server1"},
		{name: "hook missing", mutate: func(in *Input) {
			in.Hooks = []HookObs{{Key: "shutdown_script", Path: "/nope", Err: errors.New("no such file")}}
		}, worst: CatEnvironment, master: "server1", wantSubstr: "/nope"},
		{name: "no promotable replica", mutate: func(in *Input) {
			in.Hosts[1].NoMaster, in.Hosts[2].Status.LogBin = true, false
		}, worst: CatEnvironment, master: "server1", wantSubstr: "no alive replica can become master"},
		{name: "writable replica and purge on are warnings", mutate: func(in *Input) {
			in.Hosts[1].Status.ReadOnly, in.Hosts[2].Status.RelayLogPurge = false, true
		}, master: "server1", wantWarn: "relay_log_purge"},
		{name: "master dead outranks ssh and replication", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr = nil, errRefused
			in.Hosts[0].SSH = &SSHObs{Err: errors.New("refused")}
			in.Hosts[2].Status.Replica.SQLRunning = "No"
		}, worst: CatMasterUnreachable, master: "server1", wantHost: "server1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := cluster()
			tc.mutate(&in)
			res := Evaluate(in)
			if res.Worst() != tc.worst {
				t.Fatalf("worst = %q, want %q; findings: %+v", res.Worst(), tc.worst, res.Findings)
			}
			if res.Master != tc.master {
				t.Errorf("master = %q, want %q", res.Master, tc.master)
			}
			if tc.worst == "" {
				if res.Err() != nil || !res.Healthy() {
					t.Fatalf("healthy cluster gave %v", res.Err())
				}
			} else {
				f := assertFail(t, res, tc.worst, tc.wantHost, tc.wantSubstr)
				if !strings.Contains(f.Fix, tc.wantFix) {
					t.Errorf("fix %q does not contain %q", f.Fix, tc.wantFix)
				}
			}
			for _, f := range res.Findings {
				if tc.noCheck != "" && f.Check == tc.noCheck {
					t.Errorf("unexpected finding %+v", f)
				}
			}
			if tc.wantWarn != "" && !hasWarn(res, tc.wantWarn) {
				t.Errorf("no WARN %q in %+v", tc.wantWarn, res.Findings)
			}
		})
	}
}

// mysql84 makes st a MySQL 8.4 server, which knows no SLAVE/MASTER words.
func mysql84(st *instance.Status) { st.Version, st.MariaDB = "8.4.3", false }

func TestReadOnlyFixText(t *testing.T) {
	in := cluster()
	in.Hosts[1].Status.ReadOnly = false
	for _, f := range Evaluate(in).Findings {
		if f.Check == "read_only" && f.Host == "server2" {
			if want := "SET GLOBAL read_only = 1, and add read_only to the [mysqld] section of its my.cnf"; !strings.HasPrefix(f.Fix, want) {
				t.Errorf("read_only fix = %q, want it to start %q", f.Fix, want)
			}
			return
		}
	}
	t.Fatal("no read_only finding for server2")
}

func assertFail(t *testing.T, res Result, cat Category, host, substr string) Finding {
	t.Helper()
	if !errors.Is(res.Err(), categoryErr[cat]) {
		t.Fatalf("Err() = %v, does not wrap %v", res.Err(), categoryErr[cat])
	}
	for _, f := range res.Findings {
		if f.Severity == SevFail && f.Category == cat && (host == "" || f.Host == host) && strings.Contains(f.Message, substr) {
			if f.Fix == "" {
				t.Errorf("finding %+v has no fix", f)
			}
			return f
		}
	}
	t.Fatalf("no FAIL %s on host %q containing %q in %+v", cat, host, substr, res.Findings)
	return Finding{}
}

func hasWarn(res Result, check string) bool {
	for _, f := range res.Findings {
		if f.Severity == SevWarn && f.Check == check {
			return true
		}
	}
	return false
}
