package checks

import (
	"strings"
	"testing"

	"github.com/mhago/mhago/instance"
)

// dualCluster is cluster() as a dual-master pair: server1 (active,
// writable) and server2 (passive, read_only) replicate from each other,
// server3 from server1; distinct auto_increment offsets and GTID domains.
func dualCluster() Input {
	in := cluster()
	lag := int64(0)
	in.Hosts[0].Status.Replica = &instance.ReplicaStatus{MasterHost: "127.0.0.12", MasterPort: 3306, MasterUser: "repl",
		IORunning: "Yes", SQLRunning: "Yes", SecondsBehindMaster: &lag}
	for i := range in.Hosts {
		st := in.Hosts[i].Status
		st.AutoIncrementIncrement, st.AutoIncrementOffset = 1, 1
		if i < 2 {
			st.AutoIncrementIncrement, st.AutoIncrementOffset, st.GTIDDomainID = 2, i+1, uint32(i+1)
		}
	}
	return in
}

func findingsOf(res Result, sev Severity, host, check string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.Severity == sev && f.Host == host && f.Check == check {
			out = append(out, f)
		}
	}
	return out
}

func TestEvaluateDualMaster(t *testing.T) {
	type want struct {
		sev        Severity
		host       string
		check      string
		msg, fix   string // substrings
		firstFound bool   // the first finding of the result
	}
	tests := []struct {
		name            string
		mutate          func(in *Input)
		active, passive string // "" = no dual master recognised
		master          string
		healthy         bool
		want            []want
		none            []string // checks that must not appear
	}{
		{name: "healthy pair", mutate: func(in *Input) {}, active: "server1", passive: "server2", master: "server1", healthy: true,
			none: []string{"auto_increment", "gtid_domain_id", "read_only", "dual_master_writable", "master_host"}},
		{name: "two hosts: a tie of votes still picks the writable one", mutate: func(in *Input) { in.Hosts = in.Hosts[:2] },
			active: "server1", passive: "server2", master: "server1", healthy: true},
		{name: "after a switch: server2 writable, server1 read_only, replicas follow server2", mutate: func(in *Input) {
			in.Hosts[0].Status.ReadOnly, in.Hosts[1].Status.ReadOnly = true, false
			in.Hosts[2].Status.Replica.MasterHost = "127.0.0.12"
		}, active: "server2", passive: "server1", master: "server2", healthy: true},
		{name: "both writable, the most urgent finding", mutate: func(in *Input) { in.Hosts[1].Status.ReadOnly = false },
			active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server2", check: "dual_master_writable", msg: "both masters of the dual-master pair are writable",
				fix: "SET GLOBAL read_only = 1 on server2, the passive master", firstFound: true}},
			none: []string{"read_only"}},
		{name: "both writable on two hosts: config order names the active", mutate: func(in *Input) {
			in.Hosts = in.Hosts[:2]
			in.Hosts[1].Status.ReadOnly = false
		}, active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server2", check: "dual_master_writable", fix: "SET GLOBAL read_only = 1 on server2"}}},
		{name: "neither writable", mutate: func(in *Input) { in.Hosts[0].Status.ReadOnly = true },
			active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server1", check: "dual_master_writable", msg: "neither master", fix: "SET GLOBAL read_only = 0 on server1"}}},
		{name: "passive does not replicate from the active", mutate: func(in *Input) { in.Hosts[1].Status.Replica.IORunning = "No" },
			active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server2", check: "io_thread", fix: "START SLAVE IO_THREAD"}}},
		{name: "active does not replicate from the passive", mutate: func(in *Input) {
			in.Hosts[0].Status.Replica.SQLRunning, in.Hosts[0].Status.Replica.LastSQLErrno = "No", 1062
		}, active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server1", check: "dual_master_sql_thread", msg: "error 1062", fix: "START SLAVE SQL_THREAD on server1"}}},
		{name: "passive master down", mutate: func(in *Input) {
			in.Hosts[1].Status, in.Hosts[1].SQLErr = nil, errRefused
			in.Hosts[0].Status.Replica.IORunning = "Connecting"
		}, active: "server1", passive: "server2", master: "server1",
			want: []want{{sev: SevFail, host: "server2", check: "passive_master", msg: "a failover refuses to run", fix: "rebuild it from a backup of server1"}},
			none: []string{"dual_master_io_thread", "mysql", "auto_increment"}},
		{name: "active master down: a plain dead master", mutate: func(in *Input) {
			in.Hosts[0].Status, in.Hosts[0].SQLErr = nil, errRefused
		}, master: "server1",
			want: []want{{sev: SevFail, host: "server1", check: "master", msg: "unreachable"}}},
		{name: "increment 1", mutate: func(in *Input) { in.Hosts[1].Status.AutoIncrementIncrement = 1 },
			active: "server1", passive: "server2", master: "server1", healthy: true,
			want: []want{{sev: SevWarn, host: "server2", check: "auto_increment", msg: "auto_increment_increment is 2 on server1 and 1 on server2",
				fix: "SET GLOBAL auto_increment_increment = 2, auto_increment_offset = 1 on server1 and SET GLOBAL auto_increment_increment = 2, auto_increment_offset = 2 on server2"}}},
		{name: "equal offsets", mutate: func(in *Input) { in.Hosts[1].Status.AutoIncrementOffset = 1 },
			active: "server1", passive: "server2", master: "server1", healthy: true,
			want: []want{{sev: SevWarn, host: "server2", check: "auto_increment", msg: "auto_increment_offset is 1 on both masters"}}},
		{name: "one GTID domain", mutate: func(in *Input) { in.Hosts[1].Status.GTIDDomainID = 1 },
			active: "server1", passive: "server2", master: "server1", healthy: true,
			want: []want{{sev: SevWarn, host: "server2", check: "gtid_domain_id", fix: "SET GLOBAL gtid_domain_id = 2 on server2"}}},
		{name: "a read-only replica of a silent server is a relay of a dead master", mutate: func(in *Input) {
			in.Hosts[0].Status.ReadOnly = true
			in.Hosts[1].Status, in.Hosts[1].SQLErr = nil, errRefused
		}, master: "server2",
			want: []want{{sev: SevFail, host: "server2", check: "master", msg: "unreachable"}}},
		{name: "a plain cluster is no dual master", mutate: func(in *Input) { in.Hosts[0].Status.Replica = nil },
			master: "server1", healthy: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := dualCluster()
			tc.mutate(&in)
			res := Evaluate(in)
			if res.Master != tc.master {
				t.Errorf("master %q, want %q", res.Master, tc.master)
			}
			switch {
			case tc.active == "" && res.Dual != nil:
				t.Errorf("dual master %+v recognised, want none", *res.Dual)
			case tc.active != "" && (res.Dual == nil || *res.Dual != DualMaster{Active: tc.active, Passive: tc.passive}):
				t.Errorf("dual master %+v, want active %s passive %s", res.Dual, tc.active, tc.passive)
			}
			if res.Healthy() != tc.healthy {
				t.Errorf("healthy %v, want %v: %+v", res.Healthy(), tc.healthy, res.Findings)
			}
			for _, w := range tc.want {
				got := findingsOf(res, w.sev, w.host, w.check)
				if len(got) != 1 || !strings.Contains(got[0].Message, w.msg) || !strings.Contains(got[0].Fix, w.fix) {
					t.Errorf("want one %s %s on %s with %q / fix %q, got %+v", w.sev, w.check, w.host, w.msg, w.fix, got)
				}
				if w.firstFound && (res.Findings[0].Check != w.check || res.Findings[0].Host != w.host) {
					t.Errorf("first finding %+v, want %s on %s", res.Findings[0], w.check, w.host)
				}
			}
			for _, f := range res.Findings {
				for _, c := range tc.none {
					if f.Check == c {
						t.Errorf("unexpected finding %+v", f)
					}
				}
			}
		})
	}
}

func TestBuildReportDualRoles(t *testing.T) {
	in := dualCluster()
	rep := BuildReport(in, Evaluate(in))
	if rep.DualMaster == nil || rep.Master != "server1" {
		t.Fatalf("report master %q dual %+v", rep.Master, rep.DualMaster)
	}
	for i, want := range []string{RoleMaster, RolePassiveMaster, RoleReplica} {
		if got := rep.Hosts[i].Role; got != want {
			t.Errorf("%s role %q, want %q", rep.Hosts[i].Name, got, want)
		}
	}
}
