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
  operation VARCHAR(16) NOT NULL,
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
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("write active-master record on %s: %w", name, Classify(err))
	}
	defer conn.Close()
	stmts := []string{"CREATE DATABASE IF NOT EXISTS " + ActiveMasterSchema, activeMasterDDL}
	for _, q := range stmts {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("create %s on %s: %w", ActiveMasterTable, name, Classify(err))
		}
	}
	_, err = conn.ExecContext(ctx, `REPLACE INTO `+ActiveMasterTable+
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
		file, pos, gtid, written FROM `+ActiveMasterTable+` WHERE cluster = ?`, cluster)
	var state, written string
	err = row.Scan(&r.Cluster, &r.Master, &r.Addr, &r.RunID, &r.Operation, &state, &r.Prev, &r.PrevFile, &r.PrevPos, &r.PrevGTID,
		&r.File, &r.Pos, &r.GTID, &written)
	switch {
	case errors.Is(err, sql.ErrNoRows), isNoSuchTable(err):
		return ActiveMaster{}, false, nil
	case err != nil:
		return ActiveMaster{}, false, fmt.Errorf("read active-master record on %s: %w", name, Classify(err))
	}
	r.State = RecordState(state)
	// The connections do not ask the driver to parse times (parseTime):
	// DATETIME(6) arrives as text.
	if r.Written, err = time.Parse("2006-01-02 15:04:05.999999", written); err != nil {
		return ActiveMaster{}, false, fmt.Errorf("read active-master record on %s: written %q: %w", name, written, err)
	}
	return r, true, nil
}

// HasMarker reports whether the server behind db has applied the record
// written by run: a replica has then executed everything its master wrote
// before it.
func HasMarker(ctx context.Context, db *sql.DB, name, cluster, run string) (bool, error) {
	r, ok, err := ReadActiveMaster(ctx, db, name, cluster)
	if err != nil || !ok {
		return false, err
	}
	return r.RunID == run, nil
}

// isNoSuchTable tells the errors of a server that never got the schema
// (1146 no such table, 1049 unknown database).
func isNoSuchTable(err error) bool {
	code, ok := ErrorCode(err)
	return ok && (code == 1146 || code == 1049)
}
