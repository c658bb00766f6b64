package phases

import (
	"github.com/mhago/mhago/nodeagent/proto"
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
		got := ownApplierRefused(&tc.r, &proto.ExtractResult{Bytes: 100})
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	fp := &instance.ReplicaStatus{UsingGTID: "No"}
	if got := ownApplierRefused(fp, &proto.ExtractResult{OpenTail: 3}); !strings.Contains(got, "ends inside a transaction") {
		t.Errorf("relay log ending mid-transaction: %q", got)
	}
	if got := ownApplierRefused(fp, nil); got == "" {
		t.Error("no description of the exec diff, and the SQL thread may run")
	}
	if got := ownApplierRefused(nil, &proto.ExtractResult{}); got == "" {
		t.Error("not a replica any more, and the SQL thread may run")
	}
}

func TestReached(t *testing.T) {
	target := &instance.ReplicaStatus{MasterLogFile: "b.000004", ReadMasterLogPos: 500}
	for _, tc := range []struct {
		r    *instance.ReplicaStatus
		want bool
	}{
		{&instance.ReplicaStatus{RelayMasterLogFile: "b.000004", ExecMasterLogPos: 500}, true},
		{&instance.ReplicaStatus{RelayMasterLogFile: "b.000004", ExecMasterLogPos: 499}, false},
		{&instance.ReplicaStatus{RelayMasterLogFile: "b.000003", ExecMasterLogPos: 900}, false},
		{nil, false},
	} {
		if got := reached(tc.r, target); got != tc.want {
			t.Errorf("reached(%+v) = %v", tc.r, got)
		}
	}
}
