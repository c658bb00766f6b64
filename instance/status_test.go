package instance

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/go-sql-driver/mysql"
)

func TestParseReplicaStatus(t *testing.T) {
	sbm := int64(7)
	tests := []struct {
		name string
		row  map[string]string
		want ReplicaStatus
	}{
		{
			name: "mariadb classic names",
			row: map[string]string{
				"Master_Host": "127.0.0.11", "Master_Port": "3306", "Master_User": "repl",
				"Master_Log_File": "mysql-bin.000002", "Read_Master_Log_Pos": "1234",
				"Relay_Log_File": "relay-bin.000003", "Relay_Log_Pos": "555",
				"Relay_Master_Log_File": "mysql-bin.000001", "Exec_Master_Log_Pos": "999",
				"Slave_IO_Running": "Yes", "Slave_SQL_Running": "No", "Last_SQL_Errno": "1062",
				"Last_SQL_Error": "dup", "Seconds_Behind_Master": "7", "Using_Gtid": "Slave_Pos",
				"Gtid_IO_Pos": "0-1-42",
			},
			want: ReplicaStatus{MasterHost: "127.0.0.11", MasterPort: 3306, MasterUser: "repl",
				MasterLogFile: "mysql-bin.000002", ReadMasterLogPos: 1234, RelayLogFile: "relay-bin.000003",
				RelayLogPos: 555, RelayMasterLogFile: "mysql-bin.000001", ExecMasterLogPos: 999,
				IORunning: "Yes", SQLRunning: "No", LastSQLErrno: 1062, LastSQLError: "dup",
				SecondsBehindMaster: &sbm, UsingGTID: "Slave_Pos", GTIDIOPos: "0-1-42"},
		},
		{
			name: "mysql 8.4 replica names, NULL lag, multi-line gtid set",
			row: map[string]string{
				"Source_Host": "db1", "Source_Port": "3307", "Source_Log_File": "binlog.000009",
				"Read_Source_Log_Pos": "77", "Relay_Source_Log_File": "binlog.000008", "Exec_Source_Log_Pos": "66",
				"Replica_IO_Running": "Connecting", "Replica_SQL_Running": "Yes", "Auto_Position": "1",
				"Executed_Gtid_Set": "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,\n4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2",
			},
			want: ReplicaStatus{MasterHost: "db1", MasterPort: 3307, MasterLogFile: "binlog.000009",
				ReadMasterLogPos: 77, RelayMasterLogFile: "binlog.000008", ExecMasterLogPos: 66,
				IORunning: "Connecting", SQLRunning: "Yes", AutoPosition: true,
				ExecutedGTIDSet: "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5,4e11fa47-71ca-11e1-9e33-c80aa9429562:1-2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseReplicaStatus(tc.row)
			if fmt.Sprintf("%+v", got.SecondsBehindMaster != nil) != fmt.Sprintf("%+v", tc.want.SecondsBehindMaster != nil) {
				t.Fatalf("lag presence: got %v want %v", got.SecondsBehindMaster, tc.want.SecondsBehindMaster)
			}
			if got.SecondsBehindMaster != nil && *got.SecondsBehindMaster != *tc.want.SecondsBehindMaster {
				t.Fatalf("lag: got %d want %d", *got.SecondsBehindMaster, *tc.want.SecondsBehindMaster)
			}
			got.SecondsBehindMaster, tc.want.SecondsBehindMaster = nil, nil
			if *got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", *got, tc.want)
			}
		})
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		denied     bool
		unreachble bool
	}{
		{"access denied", &mysql.MySQLError{Number: 1045, Message: "Access denied"}, true, false},
		{"host not allowed", fmt.Errorf("ping: %w", &mysql.MySQLError{Number: 1130}), true, false},
		{"too many connections is alive", &mysql.MySQLError{Number: 1040}, false, false},
		{"refused", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, false, true},
		{"invalid conn", mysql.ErrInvalidConn, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Classify(tc.err)
			if errors.Is(err, ErrAccessDenied) != tc.denied {
				t.Errorf("denied: got %v want %v (%v)", !tc.denied, tc.denied, err)
			}
			if errors.Is(err, ErrUnreachable) != tc.unreachble {
				t.Errorf("unreachable: got %v want %v (%v)", !tc.unreachble, tc.unreachble, err)
			}
		})
	}
}

func TestBoolVar(t *testing.T) {
	for in, want := range map[string]bool{"ON": true, "1": true, "on": true, "OFF": false, "0": false, "": false} {
		if boolVar(in) != want {
			t.Errorf("boolVar(%q) = %v", in, !want)
		}
	}
}
