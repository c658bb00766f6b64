package instance

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// The active-master record (seed 002, MaxScale MXS-214) is one row per
// cluster in mhago.active_master. It is written on the master and reaches
// every server through replication, so it is both the switchover's marker
// event (a replica has caught up exactly when it holds the row with the
// switchover's run id) and the record a waking old master cannot
// contradict: its own copy names itself, every other server's copy names
// the master that replaced it.
const (
	ActiveMasterSchema = "mhago"
	ActiveMasterTable  = "mhago.active_master"
)

// RecordState says how far the operation that wrote the record got.
type RecordState string

// Record states.
const (
	// RecordSwitching: written on the old master during a switchover, after
	// writes were blocked; it names the master to be. It is the marker.
	RecordSwitching RecordState = "switching"
	// RecordActive: written on the master once it accepts writes.
	RecordActive RecordState = "active"
)

// ActiveMaster is the record.
type ActiveMaster struct {
	Cluster   string
	Master    string // config block of the active master
	Addr      string // its ip:port
	RunID     string // the run that wrote the record
	Operation string // failover, switchover
	State     RecordState
	// Prev is the master before; PrevFile, PrevPos and PrevGTID are where
	// the cluster's copy of its history ends (what a rejoining old master
	// may hold, and nothing more).
	Prev     string
	PrevFile string
	PrevPos  uint64
	PrevGTID string
	// File, Pos and GTID are the master's own coordinates at which its
	// replicas started: a rejoining old master starts there too.
	File    string
	Pos     uint64
	GTID    string
	Written time.Time
}

const activeMasterDDL = `CREATE TABLE IF NOT EXISTS ` + ActiveMasterTable + ` (
  cluster VARCHAR(64) NOT NULL PRIMARY KEY,
  master VARCHAR(64) NOT NULL,
  addr VARCHAR(300) NOT NULL,
  run_id VARCHAR(64) NOT NULL,
  operation VARCHAR(32) NOT NULL,
  state VARCHAR(16) NOT NULL,
  prev VARCHAR(64) NOT NULL DEFAULT '',
  prev_file VARCHAR(255) NOT NULL DEFAULT '',
  prev_pos BIGINT UNSIGNED NOT NULL DEFAULT 0,
  prev_gtid TEXT NOT NULL,
  file VARCHAR(255) NOT NULL DEFAULT '',
  pos BIGINT UNSIGNED NOT NULL DEFAULT 0,
  gtid TEXT NOT NULL,
  written DATETIME(6) NOT NULL
) ENGINE=InnoDB`

// WriteActiveMaster creates the schema if needed and writes r on the
// server behind db, into its binlog, so that it replicates. The session
// must be allowed to write under read_only (a switchover writes the marker
// after it blocked everyone else's writes).
func WriteActiveMaster(ctx context.Context, db *sql.DB, name string, r ActiveMaster) error {
	if err := EnsureActiveMasterTable(ctx, db, name); err != nil {
		return err
	}
	return ReplaceActiveMaster(ctx, db, name, r)
}

// EnsureActiveMasterTable creates the schema and table where missing. A
// switchover runs it before it blocks writes, so that the marker itself
// is one row.
func EnsureActiveMasterTable(ctx context.Context, db *sql.DB, name string) error {
	var n int
	err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'active_master'`,
		ActiveMasterSchema).Scan(&n)
	if err == nil && n == 1 {
		return nil // no DDL in the binlog for nothing
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("create %s on %s: %w", ActiveMasterTable, name, Classify(err))
	}
	defer conn.Close()
	for _, q := range []string{"CREATE DATABASE IF NOT EXISTS " + ActiveMasterSchema, activeMasterDDL} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s on %s: %w", ActiveMasterTable, name, Classify(err))
		}
	}
	return nil
}

// ReplaceActiveMaster writes r into the existing table.
func ReplaceActiveMaster(ctx context.Context, db *sql.DB, name string, r ActiveMaster) error {
	_, err := db.ExecContext(ctx, `REPLACE INTO `+ActiveMasterTable+
		` (cluster, master, addr, run_id, operation, state, prev, prev_file, prev_pos, prev_gtid, file, pos, gtid, written)
		 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Cluster, r.Master, r.Addr, r.RunID, r.Operation, string(r.State), r.Prev, r.PrevFile, r.PrevPos, r.PrevGTID,
		r.File, r.Pos, r.GTID, r.Written.UTC())
	if err != nil {
		return fmt.Errorf("write active-master record on %s: %w", name, Classify(err))
	}
	return nil
}

// ReadActiveMaster reads the cluster's record on the server behind db; ok
// is false when the server holds none (no table or no row).
func ReadActiveMaster(ctx context.Context, db *sql.DB, name, cluster string) (r ActiveMaster, ok bool, err error) {
	row := db.QueryRowContext(ctx, `SELECT cluster, master, addr, run_id, operation, state, prev, prev_file, prev_pos, prev_gtid,
		file, pos, gtid, CAST(UNIX_TIMESTAMP(written) * 1000000 AS SIGNED) FROM `+ActiveMasterTable+` WHERE cluster = ?`, cluster)
	var state string
	var micros int64
	err = row.Scan(&r.Cluster, &r.Master, &r.Addr, &r.RunID, &r.Operation, &state, &r.Prev, &r.PrevFile, &r.PrevPos, &r.PrevGTID,
		&r.File, &r.Pos, &r.GTID, &micros)
	switch {
	case errors.Is(err, sql.ErrNoRows), isNoSuchTable(err):
		return ActiveMaster{}, false, nil
	case err != nil:
		return ActiveMaster{}, false, fmt.Errorf("read active-master record on %s: %w", name, Classify(err))
	}
	r.State = RecordState(state)
	r.Written = time.UnixMicro(micros).UTC()
	return r, true, nil
}

// HasMarker reports whether the server behind db has applied the record
// written by run: a replica has then executed everything its master wrote
// before it.
func HasMarker(ctx context.Context, db *sql.DB, name, cluster, run string) (bool, error) {
	var got string
	err := db.QueryRowContext(ctx, `SELECT run_id FROM `+ActiveMasterTable+` WHERE cluster = ?`, cluster).Scan(&got)
	switch {
	case errors.Is(err, sql.ErrNoRows), isNoSuchTable(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("read the marker on %s: %w", name, Classify(err))
	}
	return got == run, nil
}

// isNoSuchTable tells the errors of a server that never got the schema
// (1146 no such table, 1049 unknown database).
func isNoSuchTable(err error) bool {
	code, ok := ErrorCode(err)
	return ok && (code == 1146 || code == 1049)
}
