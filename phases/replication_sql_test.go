package phases

import (
	"testing"

	"github.com/mhago/mhago/instance"
)

func TestKeepIOStopped(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    *instance.ReplicaStatus
		want bool
	}{
		{"MariaDB slave_pos", &instance.ReplicaStatus{UsingGTID: "Slave_Pos"}, true},
		{"MariaDB current_pos", &instance.ReplicaStatus{UsingGTID: "Current_Pos"}, true},
		{"MariaDB file/pos", &instance.ReplicaStatus{UsingGTID: "No"}, false},
		{"MySQL (no Using_Gtid column)", &instance.ReplicaStatus{}, false},
		{"not a replica any more", nil, false},
	} {
		if got := keepIOStopped(tc.r); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
