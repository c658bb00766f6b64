package decide

import (
	"fmt"

	"github.com/mhago/mhago/repl"
)

// replicaWords reports whether the server wants the REPLICA/SOURCE
// statement words: MySQL 8.0.22+. MariaDB and older MySQL get SLAVE/MASTER,
// which every MariaDB version accepts.
func replicaWords(v repl.Version) bool { return !v.MariaDB && v.AtLeast(8, 0, 22) }

// replicaStmt fills "SLAVE" or "REPLICA" into format.
func replicaStmt(v repl.Version, format string) string {
	if replicaWords(v) {
		return fmt.Sprintf(format, "REPLICA")
	}
	return fmt.Sprintf(format, "SLAVE")
}

// StartReplica returns START SLAVE or START REPLICA for v.
func StartReplica(v repl.Version) string { return replicaStmt(v, "START %s") }

// StopReplica returns STOP SLAVE or STOP REPLICA for v.
func StopReplica(v repl.Version) string { return replicaStmt(v, "STOP %s") }

// ResetReplicaAll returns RESET SLAVE ALL or RESET REPLICA ALL for v,
// which drops the connection settings and relay logs (MySQL 5.5.16+).
func ResetReplicaAll(v repl.Version) string { return replicaStmt(v, "RESET %s ALL") }

// StopIOThread returns the statement stopping only the IO thread.
func StopIOThread(v repl.Version) string { return replicaStmt(v, "STOP %s IO_THREAD") }

// StopSQLThread returns the statement stopping only the SQL thread.
func StopSQLThread(v repl.Version) string { return replicaStmt(v, "STOP %s SQL_THREAD") }

// StartSQLThread returns the statement starting only the SQL thread, which
// MHA uses to apply what a replica already received.
func StartSQLThread(v repl.Version) string { return replicaStmt(v, "START %s SQL_THREAD") }

// ShowReplicaStatus returns SHOW SLAVE STATUS or SHOW REPLICA STATUS for v.
func ShowReplicaStatus(v repl.Version) string { return replicaStmt(v, "SHOW %s STATUS") }

// ShowBinlogStatus returns the statement showing the server's own binlog
// position: SHOW BINARY LOG STATUS on MySQL 8.2+ (SHOW MASTER STATUS is
// gone in 8.4), SHOW MASTER STATUS elsewhere.
func ShowBinlogStatus(v repl.Version) string {
	if !v.MariaDB && v.AtLeast(8, 2, 0) {
		return "SHOW BINARY LOG STATUS"
	}
	return "SHOW MASTER STATUS"
}

// SetGTIDSlavePos returns SET GLOBAL gtid_slave_pos for a MariaDB replica,
// with pos validated and written canonically. The replica's threads must be
// stopped. An empty position is refused: with MASTER_USE_GTID=slave_pos it
// would replicate the new master's whole binlog history.
func SetGTIDSlavePos(pos string) (string, error) {
	p, err := repl.ParseMariaGTIDPos(pos)
	if err != nil {
		return "", fmt.Errorf("set gtid_slave_pos: %w", err)
	}
	if p.IsEmpty() {
		return "", fmt.Errorf("set gtid_slave_pos: %w: empty GTID position", ErrInvalidStatement)
	}
	return "SET GLOBAL gtid_slave_pos = '" + p.String() + "'", nil
}
