package checks

import (
	"strings"
	"testing"

	"github.com/mhago/mhago/instance"
)

// failedOver is cluster() after a failover to server2 with server1
// restarted: server3 replicates from server2.
func failedOver(records ...string) Input {
	in := cluster()
	in.Hosts[0].Status.Replica = nil
	in.Hosts[1].Status.Replica = nil
	in.Hosts[1].Status.ReadOnly = false
	in.Hosts[2].Status.Replica.MasterHost = in.Hosts[1].IP
	for i, r := range records {
		in.Hosts[i].ActiveMaster = r
	}
	return in
}

func TestWakingOldMaster(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		in       func() Input
		wantHost string // "" with wantMsg: a finding without host; both "": none
		wantMsg  string
		wantFix  string
	}{
		{"healthy cluster: nothing", cluster, "", "", ""},
		{"healthy cluster with records: nothing", func() Input {
			in := cluster()
			for i := range in.Hosts {
				in.Hosts[i].ActiveMaster = "server1"
			}
			in.TopologyMaster = "server1"
			return in
		}, "", "", ""},
		{"restarted old master writable, no records: the replicas' master is the reference",
			func() Input { return failedOver() }, "server1",
			"two servers accept writes (server1, server2)", "mhago rejoin --conf <app.cnf> --host server1"},
		{"restarted old master read-only, but its record names itself",
			func() Input {
				in := failedOver("server1", "server2", "server2")
				in.Hosts[0].Status.ReadOnly = true
				return in
			}, "server1", "its active-master record names server1, the cluster's names server2", "--host server1"},
		{"the Redis topology decides over the records",
			func() Input {
				in := failedOver("server1", "server2", "server2")
				in.TopologyMaster = "server2"
				return in
			}, "server1", "two servers accept writes", "joins it to server2"},
		{"two writable servers, nobody replicates, no records: investigate",
			func() Input {
				in := failedOver()
				in.Hosts = in.Hosts[:2]
				return in
			}, "", "nothing tells which is the cluster's master", "investigate"},
		{"a writable replica is not a master", func() Input {
			in := cluster()
			in.Hosts[2].Status.ReadOnly = false
			return in
		}, "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := Evaluate(tc.in())
			var got []Finding
			for _, f := range res.Findings {
				if f.Check == checkWaking {
					got = append(got, f)
				}
			}
			if tc.wantMsg == "" {
				if len(got) > 0 {
					t.Fatalf("unexpected finding %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("want one waking-master finding, got %+v", res.Findings)
			}
			f := got[0]
			if res.Findings[0] != f {
				t.Errorf("the waking master is not the first finding: %+v", res.Findings)
			}
			if f.Host != tc.wantHost || f.Severity != SevFail || f.Category != CatReplication ||
				!strings.Contains(f.Message, tc.wantMsg) || !strings.Contains(f.Fix, tc.wantFix) {
				t.Fatalf("finding %+v, want host %s, message with %q, fix with %q", f, tc.wantHost, tc.wantMsg, tc.wantFix)
			}
			if res.Healthy() {
				t.Fatal("healthy with a waking master")
			}
		})
	}
}

func TestWakingMasterWithoutReference(t *testing.T) {
	t.Parallel()
	in := Input{Hosts: []HostObs{
		{Name: "a", IP: "127.0.0.1", Port: 1, Status: &instance.Status{}},
		{Name: "b", IP: "127.0.0.2", Port: 1, Status: &instance.Status{}},
	}}
	fs := wakingMasters(in, nil)
	if len(fs) != 1 || fs[0].Host != "" || !strings.Contains(fs[0].Fix, "investigate") {
		t.Fatalf("got %+v", fs)
	}
}
