package phases

import (
	"strings"
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

func TestOwnApplierRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    instance.ReplicaStatus
		want string // substring; "" = may start
	}{
		{"MariaDB file/pos", instance.ReplicaStatus{UsingGTID: "No", IORunning: "No"}, ""},
		{"MySQL", instance.ReplicaStatus{IORunning: "No"}, ""},
		{"MySQL auto-position", instance.ReplicaStatus{AutoPosition: true, IORunning: "Connecting"}, ""},
		{"MariaDB slave_pos would purge", instance.ReplicaStatus{UsingGTID: "Slave_Pos", IORunning: "No"}, "discards the relay logs"},
		{"MariaDB current_pos", instance.ReplicaStatus{UsingGTID: "Current_Pos"}, "Using_Gtid=Current_Pos"},
		{"stopped on an error", instance.ReplicaStatus{LastSQLErrno: 1062, LastSQLError: "Duplicate entry"}, "error 1062: Duplicate entry"},
		{"IO thread still runs", instance.ReplicaStatus{IORunning: "Yes"}, "IO thread still runs"},
	} {
		got := ownApplierRefused(&tc.r)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	for _, a := range []journal.Action{undoStopSQL, undoParallel} {
		if keepStopped(a, &instance.ReplicaStatus{UsingGTID: "Slave_Pos"}) {
			t.Errorf("%s is skipped by keepStopped: only starting a thread can purge relay logs", a)
		}
	}
}
