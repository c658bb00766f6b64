package decide

import (
	"strings"
	"testing"

	"github.com/mhago/mhago/repl"
)

func TestCurrentMaster(t *testing.T) {
	t.Parallel()
	rs := func(name, master, record string, writable bool) RejoinServer {
		return RejoinServer{Name: name, Alive: true, Writable: writable, Master: master, Record: record}
	}
	down := RejoinServer{Name: "server3"}
	tests := []struct {
		name     string
		servers  []RejoinServer
		topology string
		want     string
		wantErr  string
	}{
		{"the replicas' master, the waking old master writable too",
			[]RejoinServer{rs("server1", "", "server1", true), rs("server2", "", "server2", true), rs("server3", "server2", "server2", false), rs("server4", "server2", "server2", false)},
			"server2", "server2", ""},
		{"records and topology unknown",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "", "", true), rs("server3", "server2", "", false)},
			"", "server2", ""},
		{"a replica still pointing at the host does not vote",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "", "", true), rs("server3", "server2", "", false), rs("server4", "server1", "", false)},
			"", "server2", ""},
		{"two servers: the other writable root",
			[]RejoinServer{rs("server1", "", "server1", true), rs("server2", "", "server2", true)},
			"", "server2", ""},
		{"two servers, the other read-only: no master",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "", "", false)},
			"", "", "0 other writable servers"},
		{"replicas split",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "", "", true), rs("server3", "", "", true), rs("server4", "server2", "", false), rs("server5", "server3", "", false)},
			"", "", "split between server2 and server3"},
		{"the replicas' master is down",
			[]RejoinServer{rs("server1", "", "", true), {Name: "server2"}, rs("server3", "server2", "", false)},
			"", "", "server2, which does not answer"},
		{"the replicas' master is itself a replica",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "server4", "", false), rs("server3", "server2", "", false), rs("server4", "", "", true), rs("server5", "server2", "", false)},
			"", "", "itself replicates from server4"},
		{"the Redis topology disagrees",
			[]RejoinServer{rs("server1", "", "", true), rs("server2", "", "", true), rs("server3", "server2", "", false)},
			"server4", "", "Redis topology names server4"},
		{"the other servers' records disagree with the replication",
			[]RejoinServer{rs("server1", "", "server1", true), rs("server2", "", "server4", true), rs("server3", "server2", "server4", false)},
			"", "", "records name server4"},
		{"the host's own record naming itself does not count, a dead replica neither",
			[]RejoinServer{rs("server1", "", "server1", true), rs("server2", "", "server2", true), down, rs("server4", "server2", "server2", false)},
			"", "server2", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CurrentMaster(tc.servers, "server1", tc.topology)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want error with %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestMariaGTIDDivergence(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, host, master string
		want               []string
		wantTx             uint64
	}{
		{"clean: the host's last GTID reached the master", "0-1-105", "0-1-105,0-2-110", nil, 0},
		{"the master's sequence passed the host's, but not the host's own transactions",
			"0-1-107", "0-1-105,0-2-110", []string{"0-1-106..0-1-107"}, 2},
		{"one extra transaction", "0-2-50,0-1-106", "0-1-105,0-2-50,0-3-60", []string{"0-1-106"}, 1},
		{"a domain the master never saw", "0-1-105,1-1-3", "0-1-105", []string{"1-1-1..1-1-3"}, 3},
		{"the host is behind: nothing extra", "0-1-100", "0-1-105,0-2-110", nil, 0},
		{"empty host", "", "0-2-5", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := ParseMariaGTIDState(tc.host)
			if err != nil {
				t.Fatal(err)
			}
			m, err := ParseMariaGTIDState(tc.master)
			if err != nil {
				t.Fatal(err)
			}
			d := MariaGTIDDivergence(h, m)
			if strings.Join(d.Items, ",") != strings.Join(tc.want, ",") || d.Transactions != tc.wantTx || d.Diverged() != (tc.want != nil) {
				t.Fatalf("got %v (%d), want %v (%d)", d.Items, d.Transactions, tc.want, tc.wantTx)
			}
		})
	}
	if _, err := ParseMariaGTIDState("0-1-x"); err == nil {
		t.Fatal("a bad state parsed")
	}
}

func TestMySQLGTIDDivergence(t *testing.T) {
	t.Parallel()
	const a, b = "3e11fa47-71ca-11e1-9e33-c80aa9429562", "4e11fa47-71ca-11e1-9e33-c80aa9429562"
	tests := []struct {
		name, host, master, want string
		wantTx                   uint64
	}{
		{"clean", a + ":1-100", a + ":1-100," + b + ":1-20", "", 0},
		{"errant", a + ":1-103", a + ":1-100," + b + ":1-20", a + ":101-103", 3},
		{"errant in a gap", a + ":1-100:150", a + ":1-100", a + ":150", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, err := repl.ParseMySQLGTIDSet(tc.host)
			if err != nil {
				t.Fatal(err)
			}
			m, err := repl.ParseMySQLGTIDSet(tc.master)
			if err != nil {
				t.Fatal(err)
			}
			d := MySQLGTIDDivergence(h, m)
			if strings.Join(d.Items, ",") != tc.want || d.Transactions != tc.wantTx {
				t.Fatalf("got %v (%d), want %q (%d)", d.Items, d.Transactions, tc.want, tc.wantTx)
			}
		})
	}
}

func TestFilePosDivergence(t *testing.T) {
	t.Parallel()
	from := repl.Coordinates{File: "mysql-bin.000001", Pos: 1234}
	to := repl.Coordinates{File: "mysql-bin.000002", Pos: 900}
	clean := FilePosDivergence(BinlogExtra{From: from, To: to, Events: 0})
	if clean.Diverged() || !strings.Contains(clean.Describe(), "nothing the cluster lacks (file/pos)") {
		t.Fatalf("a binlog with only headers past the end diverged: %+v", clean)
	}
	d := FilePosDivergence(BinlogExtra{From: from, To: to, Events: 8, Transactions: 2, FirstGTID: "0-1-106", LastGTID: "0-1-107"})
	want := "mysql-bin.000001:1234 to mysql-bin.000002:900: 2 transactions (8 events), GTIDs 0-1-106..0-1-107"
	if !d.Diverged() || d.Items[0] != want || d.Transactions != 2 {
		t.Fatalf("got %+v, want %q", d, want)
	}
	if got := d.Describe(); got != "2 transactions the cluster never received: "+want {
		t.Fatalf("describe: %q", got)
	}
}
