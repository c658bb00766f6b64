package phases

import (
	"testing"

	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/journal"
)

func TestKeepStopped(t *testing.T) {
	gtid := func(io string) *instance.ReplicaStatus {
		return &instance.ReplicaStatus{UsingGTID: "Slave_Pos", IORunning: io}
	}
	for _, tc := range []struct {
		name   string
		action journal.Action
		r      *instance.ReplicaStatus
		want   bool
	}{
		{"MariaDB GTID, IO thread", undoStartIO, gtid("No"), true},
		{"MariaDB current_pos, IO thread", undoStartIO, &instance.ReplicaStatus{UsingGTID: "Current_Pos"}, true},
		{"MariaDB GTID, SQL thread, IO stopped: would purge", undoStartSQL, gtid("No"), true},
		{"MariaDB GTID, SQL thread, IO running: safe", undoStartSQL, gtid("Yes"), false},
		{"MariaDB file/pos", undoStartIO, &instance.ReplicaStatus{UsingGTID: "No"}, false},
		{"MariaDB file/pos, SQL", undoStartSQL, &instance.ReplicaStatus{UsingGTID: "No"}, false},
		{"MySQL (no Using_Gtid column)", undoStartSQL, &instance.ReplicaStatus{}, false},
		{"not a replica any more", undoStartIO, nil, false},
	} {
		if got := keepStopped(tc.action, tc.r); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
