package replsql

import (
	"fmt"
	"strconv"
	"time"

	"github.com/mhago/mhago/repl"
)

// Threads names the replication threads a START or STOP acts on.
type Threads int

// The thread choices. The zero value is both threads.
const (
	// BothThreads: the IO (receiver) and SQL (applier) threads.
	BothThreads Threads = iota
	// IOThread: only the thread that reads the master's binlog.
	IOThread
	// SQLThread: only the thread that applies the relay log.
	SQLThread
)

// suffix is the thread option of START/STOP.
func (t Threads) suffix() string {
	switch t {
	case IOThread:
		return " IO_THREAD"
	case SQLThread:
		return " SQL_THREAD"
	}
	return ""
}

// Start returns START SLAVE or START REPLICA for v, for the threads t.
func Start(v repl.Version, t Threads) Statement {
	return plain("START " + replicaWord(v) + t.suffix())
}

// Stop returns STOP SLAVE or STOP REPLICA for v, for the threads t.
func Stop(v repl.Version, t Threads) Statement {
	return plain("STOP " + replicaWord(v) + t.suffix())
}

// Reset returns RESET SLAVE or RESET REPLICA for v: the replica forgets
// its relay logs and position but keeps the connection settings.
func Reset(v repl.Version) Statement { return plain("RESET " + replicaWord(v)) }

// ResetAll returns RESET SLAVE ALL or RESET REPLICA ALL for v, which also
// drops the connection settings: the server replicates from nobody.
func ResetAll(v repl.Version) Statement { return plain("RESET " + replicaWord(v) + " ALL") }

// ShowReplicaStatus returns SHOW SLAVE STATUS or SHOW REPLICA STATUS for v.
func ShowReplicaStatus(v repl.Version) Statement {
	return plain("SHOW " + replicaWord(v) + " STATUS")
}

// ShowBinlogStatus returns the statement showing the server's own binlog
// position: SHOW BINARY LOG STATUS on MySQL 8.2+ (SHOW MASTER STATUS is
// gone in 8.4), SHOW MASTER STATUS on MariaDB and older MySQL.
func ShowBinlogStatus(v repl.Version) Statement {
	if isMySQL(v, 8, 2, 0) {
		return plain("SHOW BINARY LOG STATUS")
	}
	return plain("SHOW MASTER STATUS")
}

// SetGTIDSlavePos returns SET GLOBAL gtid_slave_pos for a MariaDB replica,
// with pos validated and written canonically. The replica's threads must be
// stopped. An empty position is refused: with MASTER_USE_GTID=slave_pos it
// would replicate the new master's whole binlog history. MySQL has no such
// variable (its GTID state is gtid_executed), so v must be MariaDB.
func SetGTIDSlavePos(v repl.Version, pos string) (Statement, error) {
	if !v.MariaDB {
		return Statement{}, fmt.Errorf("set gtid_slave_pos: %w: %s is not MariaDB", ErrInvalidStatement, v)
	}
	p, err := repl.ParseMariaGTIDPos(pos)
	if err != nil {
		return Statement{}, fmt.Errorf("set gtid_slave_pos: %w", err)
	}
	if p.IsEmpty() {
		return Statement{}, fmt.Errorf("set gtid_slave_pos: %w: empty GTID position", ErrInvalidStatement)
	}
	return plain("SET GLOBAL gtid_slave_pos = " + quote(p.String())), nil
}

// SetReadOnly returns SET GLOBAL read_only = 1 or 0, the same on every
// server. On MySQL, turning read_only off also turns super_read_only off
// (WL#6799, FR3).
func SetReadOnly(on bool) Statement {
	return plain("SET GLOBAL read_only = " + onOff(on))
}

// HasSuperReadOnly reports whether v has super_read_only: MySQL 5.7.8 and
// later (WL#6799; in the community server "starting with 5.7.8", Percona,
// "MySQL 101: Using super_read_only"). MariaDB has none: MHA's
// unconditional use of it broke there (issues #105, #142). Percona Server
// 5.6.21+ has it too but reads as MySQL 5.6 here, so it is not named
// there; read_only = 0 still clears it.
func HasSuperReadOnly(v repl.Version) bool { return isMySQL(v, 5, 7, 8) }

// SetSuperReadOnly returns SET GLOBAL super_read_only = 1 or 0, refused
// where the variable does not exist.
func SetSuperReadOnly(v repl.Version, on bool) (Statement, error) {
	if !HasSuperReadOnly(v) {
		return Statement{}, fmt.Errorf("set super_read_only: %w: %s has no super_read_only (MySQL 5.7.8+ only)", ErrInvalidStatement, v)
	}
	return SetSuperReadOnlyReported(on), nil
}

// SetSuperReadOnlyReported returns SET GLOBAL super_read_only = 1 or 0
// for a server that reported the variable itself: the node agent reads a
// server's variables, not its version.
func SetSuperReadOnlyReported(on bool) Statement {
	return plain("SET GLOBAL super_read_only = " + onOff(on))
}

// Writable returns the statements that open a new master to writes:
// super_read_only off first where it exists, then read_only off. The
// second alone would also clear super_read_only (WL#6799, FR3); saying it
// first makes the plan and the log name the setting that blocks even
// mhago's admin user.
func Writable(v repl.Version) []Statement {
	var out []Statement
	if s, err := SetSuperReadOnly(v, false); err == nil {
		out = append(out, s)
	}
	return append(out, SetReadOnly(false))
}

func onOff(on bool) string {
	if on {
		return "1"
	}
	return "0"
}

// FailoverLockName is MHA's advisory lock: MHA takes it on every alive
// replica before a failover, and purge_relay_logs holds it while it
// purges, so the two never run at once.
const FailoverLockName = "MHA_Master_High_Availability_Failover"

// GetFailoverLock returns the query taking MHA's failover lock, waiting up
// to wait (whole seconds, rounded up; zero or less does not wait). It
// returns one row: 1 when taken, 0 on timeout, NULL on error. The lock is
// held by the session: run it and RELEASE_LOCK on one connection (a
// *sql.Conn, not the pool). GET_LOCK is the same on every supported
// server.
func GetFailoverLock(wait time.Duration) Statement {
	secs := int64(0)
	if wait > 0 {
		secs = int64((wait + time.Second - 1) / time.Second)
	}
	return plain("SELECT GET_LOCK(" + quote(FailoverLockName) + ", " + strconv.FormatInt(secs, 10) + ")")
}

// ReleaseFailoverLock returns the query releasing MHA's failover lock: 1
// when this session held it, 0 when another does, NULL when nobody does.
func ReleaseFailoverLock() Statement {
	return plain("SELECT RELEASE_LOCK(" + quote(FailoverLockName) + ")")
}

// ParallelApplier is a MariaDB replica's parallel replication setting:
// worker threads for the SQL thread (0: it applies alone) and the mode
// that decides what may run in parallel.
type ParallelApplier struct {
	Threads int
	Mode    string
}

// String is "N threads, mode M".
func (p ParallelApplier) String() string {
	return fmt.Sprintf("slave_parallel_threads=%d, slave_parallel_mode=%s", p.Threads, p.Mode)
}

// parallelModes are MariaDB's slave_parallel_mode values.
var parallelModes = map[string]bool{"none": true, "minimal": true, "conservative": true, "optimistic": true, "aggressive": true}

// ReadParallelApplier returns the query reading a MariaDB replica's
// ParallelApplier (threads, then mode).
func ReadParallelApplier() Statement {
	return plain("SELECT @@global.slave_parallel_threads, @@global.slave_parallel_mode")
}

// SetParallelApplier returns SET GLOBAL of both settings, for MariaDB
// only; the replica's threads must be stopped for the server to accept it.
func SetParallelApplier(v repl.Version, p ParallelApplier) (Statement, error) {
	switch {
	case !v.MariaDB:
		return Statement{}, fmt.Errorf("set parallel applier: %w: %s is not MariaDB", ErrInvalidStatement, v)
	case p.Threads < 0 || p.Threads > 16383:
		return Statement{}, fmt.Errorf("set parallel applier: %w: %d threads", ErrInvalidStatement, p.Threads)
	case !parallelModes[p.Mode]:
		return Statement{}, fmt.Errorf("set parallel applier: %w: mode %q", ErrInvalidStatement, p.Mode)
	}
	return plain(fmt.Sprintf("SET GLOBAL slave_parallel_threads = %d, GLOBAL slave_parallel_mode = '%s'", p.Threads, p.Mode)), nil
}

// ParseParallelApplier reads back ParallelApplier.String's form, as an
// undo record keeps it.
func ParseParallelApplier(s string) (ParallelApplier, error) {
	var p ParallelApplier
	if _, err := fmt.Sscanf(s, "slave_parallel_threads=%d, slave_parallel_mode=%s", &p.Threads, &p.Mode); err != nil || !parallelModes[p.Mode] {
		return p, fmt.Errorf("%w: parallel applier setting %q", ErrInvalidStatement, s)
	}
	return p, nil
}
