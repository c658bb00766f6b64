package phases

import (
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

func TestBuildActiveMaster(t *testing.T) {
	t.Parallel()
	at := func(s string) repl.Coordinates {
		c, err := repl.ParseCoordinates(s)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	base := activeMasterInput{Cluster: "c1", RunID: "r1", Master: "server2", Addr: "127.0.0.2:3306", Dead: "server1",
		Read:      []repl.Coordinates{at("mysql-bin.000003:500"), at("mysql-bin.000004:120"), at("mysql-bin.000003:9000")},
		NewMaster: newMasterPosition{File: "mysql-bin.000001", Pos: 777, GTID: "0-1-105"}, Now: time.Unix(100, 0)}
	tests := []struct {
		name      string
		saved     *proto.ExtractResult
		wantEnd   string
		wantSaved bool
	}{
		{"nothing saved: the latest replica's read position", nil, "mysql-bin.000004:120", false},
		{"an empty save: the same", &proto.ExtractResult{Output: "/w/s.binlog", Events: 0, StopFile: "mysql-bin.000004", StopOffset: 120},
			"mysql-bin.000004:120", false},
		{"a saved binlog: where it ends", &proto.ExtractResult{Output: "/w/s.binlog", Events: 9, Transactions: 3, StopFile: "mysql-bin.000005", StopOffset: 400},
			"mysql-bin.000005:400", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := base
			in.Saved, in.SavedHost = tc.saved, "server1"
			d := buildActiveMaster(in)
			r := d.Record
			if got := (repl.Coordinates{File: r.PrevFile, Pos: r.PrevPos}).String(); got != tc.wantEnd {
				t.Fatalf("history ends at %s, want %s", got, tc.wantEnd)
			}
			if r.Master != "server2" || r.Prev != "server1" || r.File != "mysql-bin.000001" || r.Pos != 777 || r.GTID != "0-1-105" ||
				r.PrevGTID != "0-1-105" || r.Operation != "failover" || r.State != "active" || !r.Written.Equal(time.Unix(100, 0)) {
				t.Fatalf("record %+v", r)
			}
			if (d.Saved != nil) != tc.wantSaved {
				t.Fatalf("saved %+v, want %v", d.Saved, tc.wantSaved)
			}
			if d.Saved != nil && (d.Saved.Host != "server1" || d.Saved.Path != "/w/s.binlog" || d.Saved.Transactions != 3 || d.Saved.Stop != tc.wantEnd) {
				t.Fatalf("saved %+v", d.Saved)
			}
		})
	}
}
