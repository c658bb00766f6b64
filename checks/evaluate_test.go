package checks

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/instance"
)

// cluster builds a healthy 3-host observation: server1 master, 2 and 3 replicas.
func cluster() Input {
	lag := int64(0)
	hosts := []HostObs{}
	for i := 1; i <= 3; i++ {
		ip := fmt.Sprintf("127.0.0.%d", 10+i)
		h := HostObs{Name: fmt.Sprintf("server%d", i), Hostname: ip, IP: ip, Port: 3306,
			Status: &instance.Status{Version: "10.11.19-MariaDB", MariaDB: true, ServerID: uint32(i), LogBin: true,
				LogSlaveUpdates: true, ReadOnly: i > 1, Binlog: &instance.BinlogStatus{File: "mysql-bin.000002", Pos: 500}},
			SSH: &SSHObs{Workdir: DirObs{Path: "/w"}, BinlogDirs: []DirObs{{Path: "/b", Files: []string{"mysql-bin.000001", "mysql-bin.000002"}}}},
		}
		if i > 1 {
			h.Status.Replica = &instance.ReplicaStatus{MasterHost: "127.0.0.11", MasterPort: 3306, IORunning: "Yes", SQLRunning: "Yes", SecondsBehindMaster: &lag}
		} else {
			h.ReplGrant = &GrantObs{User: "repl", OK: true, Hosts: []string{"127.0.0.%"}}
		}
		hosts = append(hosts, h)
	}
	return Input{Hosts: hosts, Redis: &RedisObs{Addr: "127.0.0.10:6379"}, ReplUser: "repl", MaxLag: 30 * time.Second, CheckReplFilter: true}
}

var errRefused = fmt.Errorf("%w: dial tcp: connection refused", instance.ErrUnreachable)
var errDenied = fmt.Errorf("%w: Error 1045: Access denied", instance.ErrAccessDenied)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(in *Input)
		worst      Category
		master     string
		wantHost   string // host named by a FAIL of the worst category
		wantSubstr string
		wantWarn   string // a WARN check expected
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
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "Slave_SQL_Running=No"},
		{name: "io thread error while master alive", mutate: func(in *Input) {
			r := in.Hosts[1].Status.Replica
			r.IORunning, r.LastIOErrno, r.LastIOError = "No", 1236, "binlog gone"
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "1236"},
		{name: "replica points elsewhere", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica.MasterHost = "127.0.0.99"
		}, worst: CatReplication, master: "server1", wantHost: "server3", wantSubstr: "127.0.0.99"},
		{name: "lag over limit", mutate: func(in *Input) {
			l := int64(120)
			in.Hosts[1].Status.Replica.SecondsBehindMaster = &l
		}, worst: CatReplication, master: "server1", wantHost: "server2", wantSubstr: "120"},
		{name: "two roots", mutate: func(in *Input) {
			in.Hosts[2].Status.Replica = nil
		}, worst: CatReplication, master: "server1", wantSubstr: "replicate from nobody"},
		{name: "wrong password everywhere", mutate: func(in *Input) {
			for i := range in.Hosts {
				in.Hosts[i].Status, in.Hosts[i].SQLErr, in.Hosts[i].ReplGrant = nil, errDenied, nil
			}
		}, worst: CatLogin, wantHost: "server1", wantSubstr: "refused the login"},
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
		{name: "ssh skipped", mutate: func(in *Input) { in.Hosts[1].SSH = nil }, master: "server1"},
		{name: "master binlog not in dir", mutate: func(in *Input) {
			in.Hosts[0].SSH.BinlogDirs = []DirObs{{Path: "/var/lib/mysql", Files: []string{"ibdata1"}}}
		}, worst: CatEnvironment, master: "server1", wantHost: "server1", wantSubstr: "mysql-bin.000002 not found"},
		{name: "workdir not writable", mutate: func(in *Input) {
			in.Hosts[2].SSH.Workdir.Err = "Permission denied"
		}, worst: CatEnvironment, master: "server1", wantHost: "server3", wantSubstr: "not writable"},
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
				assertFail(t, res, tc.worst, tc.wantHost, tc.wantSubstr)
			}
			if tc.wantWarn != "" && !hasWarn(res, tc.wantWarn) {
				t.Errorf("no WARN %q in %+v", tc.wantWarn, res.Findings)
			}
		})
	}
}

func assertFail(t *testing.T, res Result, cat Category, host, substr string) {
	t.Helper()
	if !errors.Is(res.Err(), categoryErr[cat]) {
		t.Fatalf("Err() = %v, does not wrap %v", res.Err(), categoryErr[cat])
	}
	for _, f := range res.Findings {
		if f.Severity == SevFail && f.Category == cat && (host == "" || f.Host == host) && strings.Contains(f.Message, substr) {
			if f.Fix == "" {
				t.Errorf("finding %+v has no fix", f)
			}
			return
		}
	}
	t.Fatalf("no FAIL %s on host %q containing %q in %+v", cat, host, substr, res.Findings)
}

func hasWarn(res Result, check string) bool {
	for _, f := range res.Findings {
		if f.Severity == SevWarn && f.Check == check {
			return true
		}
	}
	return false
}
