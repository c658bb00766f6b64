package decide

import (
	"strings"
	"testing"
	"time"
)

func TestBlockingWrites(t *testing.T) {
	sec := time.Second
	tests := []struct {
		name string
		s    SessionView
		want string // substring of the one refusal, "" for none
	}{
		{"idle transaction that wrote", SessionView{ID: 7, User: "app", Command: "Sleep", TrxAge: 2 * sec, TrxRows: 3}, "connection 7 (app) has a transaction open for 2s that changed 3 rows"},
		{"young transaction", SessionView{User: "app", Command: "Sleep", TrxAge: sec, TrxRows: 3}, ""},
		{"old read-only transaction", SessionView{User: "app", Command: "Sleep", TrxAge: 9 * sec}, ""},
		{"long UPDATE", SessionView{ID: 8, User: "app", Command: "Query", Time: 3 * sec, Info: "UPDATE t SET a=1", TrxAge: -1}, "runs a write for 3s"},
		{"long SELECT", SessionView{User: "app", Command: "Query", Time: 30 * sec, Info: " select sleep(60)", TrxAge: -1}, ""},
		{"replication SQL thread", SessionView{User: "system user", Command: "Query", Time: 30 * sec, Info: "INSERT", TrxAge: 5 * sec, TrxRows: 9}, ""},
		{"binlog dump", SessionView{User: "repl", Command: "Binlog Dump", Time: 999 * sec, TrxAge: -1}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := BlockingWrites([]SessionView{tc.s}, sec)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Fatalf("refused: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Fatalf("got %v, want %q", got, tc.want)
			}
		})
	}
}

func TestLongQueries(t *testing.T) {
	ss := []SessionView{
		{ID: 1, User: "app", Command: "Query", Time: 11 * time.Second, Info: "SELECT big"},
		{ID: 2, User: "app", Command: "Sleep", Time: 99 * time.Second},
		{ID: 3, User: "system user", Command: "Query", Time: 99 * time.Second},
		{ID: 4, User: "app", Command: "Query", Time: 10 * time.Second},
	}
	got := LongQueries(ss, 10*time.Second)
	if len(got) != 1 || !strings.HasPrefix(got[0], "connection 1 (app) has run for 11s") {
		t.Fatalf("got %v", got)
	}
}

func TestReplicaProblems(t *testing.T) {
	ok := ReplicaLagView{Name: "s2", IORunning: true, SQLRunning: true, LagKnown: true}
	tests := []struct {
		name string
		r    ReplicaLagView
		want string
	}{
		{"healthy", ok, ""},
		{"io stopped", func() ReplicaLagView { r := ok; r.IORunning = false; return r }(), "s2: replication is not running (IO false, SQL true)"},
		{"lag unknown", func() ReplicaLagView { r := ok; r.LagKnown = false; return r }(), "Seconds_Behind_Master is NULL"},
		{"lagging", func() ReplicaLagView { r := ok; r.Lag = 31 * time.Second; return r }(), "31s behind its master (limit 30s)"},
		{"at the limit", func() ReplicaLagView { r := ok; r.Lag = 30 * time.Second; return r }(), ""},
		{"ignores mhago", func() ReplicaLagView { r := ok; r.IgnoreDB = "junk, MHAGO"; return r }(), "Replicate_Ignore_DB names mhago"},
		{"do db without mhago", func() ReplicaLagView { r := ok; r.DoDB = "app"; return r }(), "Replicate_Do_DB does not name mhago"},
		{"do db with mhago", func() ReplicaLagView { r := ok; r.DoDB = "app,mhago"; return r }(), ""},
		{"wild ignore all", func() ReplicaLagView { r := ok; r.WildIgnoreTable = "%.%"; return r }(), "Replicate_Wild_Ignore_Table"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ReplicaProblems([]ReplicaLagView{tc.r}, 30*time.Second)
			switch {
			case tc.want == "" && len(got) != 0:
				t.Fatalf("problems: %v", got)
			case tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)):
				t.Fatalf("got %v, want %q", got, tc.want)
			}
		})
	}
}

func TestWritersToEnd(t *testing.T) {
	ss := []SessionView{
		{ID: 1, User: "app", Command: "Sleep", TrxAge: 0, TrxRows: 1},                        // stranded: cannot commit
		{ID: 2, User: "app", Command: "Query", Info: "INSERT INTO t VALUES (1)", TrxAge: -1}, // running write
		{ID: 3, User: "app", Command: "Query", Info: "SELECT 1", TrxAge: -1},
		{ID: 4, User: "app", Command: "Sleep", TrxAge: -1},
		{ID: 5, User: "system user", Command: "Query", Info: "INSERT", TrxAge: 0, TrxRows: 5},
	}
	kill, running := WritersToEnd(ss, false)
	if len(kill) != 1 || kill[0].ID != 1 || running != 1 {
		t.Fatalf("before the wait: kill %v, running %d", kill, running)
	}
	kill, running = WritersToEnd(ss, true)
	if len(kill) != 2 || kill[1].ID != 2 || running != 0 {
		t.Fatalf("after the wait: kill %v, running %d", kill, running)
	}
}
