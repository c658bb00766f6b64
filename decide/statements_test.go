package decide

import (
	"errors"
	"testing"

	"github.com/mhago/mhago/repl"
)

func TestReplicaStatements(t *testing.T) {
	t.Parallel()
	type stmts struct{ start, stop, reset, stopIO, stopSQL, startSQL, status, binlog string }
	slave := stmts{"START SLAVE", "STOP SLAVE", "RESET SLAVE ALL", "STOP SLAVE IO_THREAD", "STOP SLAVE SQL_THREAD",
		"START SLAVE SQL_THREAD", "SHOW SLAVE STATUS", "SHOW MASTER STATUS"}
	replica := stmts{"START REPLICA", "STOP REPLICA", "RESET REPLICA ALL", "STOP REPLICA IO_THREAD", "STOP REPLICA SQL_THREAD",
		"START REPLICA SQL_THREAD", "SHOW REPLICA STATUS", "SHOW MASTER STATUS"}
	replica84 := replica
	replica84.binlog = "SHOW BINARY LOG STATUS"
	tests := []struct {
		version string
		want    stmts
	}{
		{"5.7.44-log", slave},
		{"8.0.21", slave},
		{"8.0.22", replica},
		{"8.0.36-0ubuntu0.22.04.1", replica},
		{"8.2.0", replica84},
		{"8.4.3", replica84},
		{"9.1.0", replica84},
		{"10.11.19-MariaDB-0+deb12u1-log", slave},
		{"11.4.2-MariaDB", slave},
	}
	for _, tc := range tests {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			v := version(tc.version)
			got := stmts{StartReplica(v), StopReplica(v), ResetReplicaAll(v), StopIOThread(v), StopSQLThread(v),
				StartSQLThread(v), ShowReplicaStatus(v), ShowBinlogStatus(v)}
			if got != tc.want {
				t.Errorf("statements for %s =\n%+v\nwant\n%+v", tc.version, got, tc.want)
			}
		})
	}
}

func TestSetGTIDSlavePos(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pos, want string
		wantErr         bool
	}{
		{"one domain", "0-1-42", "SET GLOBAL gtid_slave_pos = '0-1-42'", false},
		{"domains are written canonically", " 1-2-7 ,\n0-1-42 ", "SET GLOBAL gtid_slave_pos = '0-1-42,1-2-7'", false},
		{"empty position is refused", "", "", true},
		{"garbage is refused", "0-1-x'; DROP TABLE t; --", "", true},
		{"two GTIDs in one domain are refused", "0-1-4,0-2-5", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := SetGTIDSlavePos(tc.pos)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Fatalf("SetGTIDSlavePos(%q) = %q, %v; want %q, error %v", tc.pos, got, err, tc.want, tc.wantErr)
			}
			var pe *repl.ParseError
			if tc.wantErr && tc.pos != "" && !errors.As(err, &pe) {
				t.Errorf("error %v does not wrap *repl.ParseError", err)
			}
		})
	}
}
