package instance

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
)

// Read collects the Status of the server behind db. name is used in errors.
// The server's version picks the SHOW statements (SHOW REPLICA STATUS and
// SHOW BINARY LOG STATUS on MySQL 8.4, which has no SLAVE/MASTER forms).
func Read(ctx context.Context, db *sql.DB, name string) (*Status, error) {
	st := &Status{}
	if err := readVariables(ctx, db, st); err != nil {
		return nil, fmt.Errorf("read variables on %s: %w", name, Classify(err))
	}
	v, err := repl.ParseVersion(st.Version)
	if err != nil {
		return nil, fmt.Errorf("server version of %s: %w", name, err)
	}
	if st.LogBin {
		q := replsql.ShowBinlogStatus(v)
		b, err := readBinlogStatus(ctx, db, q)
		if err != nil {
			return nil, fmt.Errorf("%s on %s: %w", q, name, Classify(err))
		}
		st.Binlog = b
	}
	q := replsql.ShowReplicaStatus(v)
	rs, err := readReplicaStatus(ctx, db, q)
	if err != nil {
		return nil, fmt.Errorf("%s on %s: %w", q, name, Classify(err))
	}
	st.Replica = rs
	return st, nil
}

// readVariables reads global variables by name; unknown ones are simply
// absent, which is how MariaDB and MySQL differences are told apart without
// the "Unknown system variable" failures MHA hit.
func readVariables(ctx context.Context, db *sql.DB, st *Status) error {
	vars, err := globalVariables(ctx, db, "version", "server_id", "log_bin", "log_slave_updates",
		"read_only", "super_read_only", "relay_log_purge", "gtid_binlog_pos", "gtid_slave_pos",
		"gtid_current_pos", "gtid_strict_mode", "gtid_mode", "gtid_executed", "log_replica_updates",
		"auto_increment_increment", "auto_increment_offset", "gtid_domain_id")
	if err != nil {
		return err
	}
	st.Version = vars["version"]
	st.MariaDB = strings.Contains(strings.ToLower(st.Version), "mariadb")
	id, _ := strconv.ParseUint(vars["server_id"], 10, 32)
	st.ServerID = uint32(id)
	st.LogBin = boolVar(vars["log_bin"])
	st.LogSlaveUpdates = boolVar(vars["log_slave_updates"]) || boolVar(vars["log_replica_updates"])
	st.ReadOnly = boolVar(vars["read_only"])
	if v, ok := vars["super_read_only"]; ok {
		b := boolVar(v)
		st.SuperReadOnly = &b
	}
	st.RelayLogPurge = boolVar(vars["relay_log_purge"])
	st.GTIDBinlogPos, st.GTIDSlavePos, st.GTIDCurrentPos = vars["gtid_binlog_pos"], vars["gtid_slave_pos"], vars["gtid_current_pos"]
	st.GTIDStrictMode = boolVar(vars["gtid_strict_mode"])
	st.GTIDMode = vars["gtid_mode"]
	st.ExecutedGTIDSet = oneLine(vars["gtid_executed"])
	st.AutoIncrementIncrement, _ = strconv.Atoi(vars["auto_increment_increment"])
	st.AutoIncrementOffset, _ = strconv.Atoi(vars["auto_increment_offset"])
	domain, _ := strconv.ParseUint(vars["gtid_domain_id"], 10, 32)
	st.GTIDDomainID = uint32(domain)
	return nil
}

// globalVariables returns the named global variables that exist.
func globalVariables(ctx context.Context, db *sql.DB, names ...string) (map[string]string, error) {
	ph := strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")
	args := make([]any, len(names))
	for i, n := range names {
		args[i] = n
	}
	rows, err := db.QueryContext(ctx, "SELECT LOWER(VARIABLE_NAME), VARIABLE_VALUE FROM information_schema.GLOBAL_VARIABLES WHERE LOWER(VARIABLE_NAME) IN ("+ph+")", args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var k string
		var v sql.NullString
		if err := rows.Scan(&k, &v); err != nil {
			return nil, err
		}
		out[k] = v.String
	}
	return out, rows.Err()
}

func readBinlogStatus(ctx context.Context, db *sql.DB, q replsql.Statement) (*BinlogStatus, error) {
	rows, err := QueryRows(ctx, db, q.SQL())
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	r := rows[0]
	return &BinlogStatus{File: r["File"], Pos: atou(r["Position"]), DoDB: r["Binlog_Do_DB"], IgnoreDB: r["Binlog_Ignore_DB"]}, nil
}

func readReplicaStatus(ctx context.Context, db *sql.DB, q replsql.Statement) (*ReplicaStatus, error) {
	rows, err := QueryRows(ctx, db, q.SQL())
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	// A replica that was reset without ALL keeps a row with an empty host.
	if strings.TrimSpace(rows[0]["Master_Host"]+rows[0]["Source_Host"]) == "" {
		return nil, nil
	}
	return ParseReplicaStatus(rows[0]), nil
}

// QueryRows runs a SHOW statement and returns each row as column name to
// value; NULL columns are left out.
func QueryRows(ctx context.Context, db *sql.DB, q string) ([]map[string]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]string, len(cols))
		for i, c := range cols {
			if vals[i].Valid {
				m[c] = vals[i].String
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ReplUserGrant reports whether user exists with the REPLICATION SLAVE
// privilege, as MHA checks before it trusts a candidate. hosts lists the
// account host parts found.
func ReplUserGrant(ctx context.Context, db *sql.DB, user string) (ok bool, hosts []string, err error) {
	rows, err := db.QueryContext(ctx, "SELECT Host, Repl_slave_priv FROM mysql.user WHERE User = ?", user)
	if err != nil {
		return false, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var host, priv string
		if err := rows.Scan(&host, &priv); err != nil {
			return false, nil, err
		}
		hosts = append(hosts, host)
		ok = ok || priv == "Y"
	}
	return ok, hosts, rows.Err()
}

// RelayLogLocation returns the directory and base name of the server's relay
// logs, from @@relay_log_basename (MySQL 5.6+, MariaDB 10.x).
func RelayLogLocation(ctx context.Context, db *sql.DB) (dir, prefix string, err error) {
	var base sql.NullString
	if err := db.QueryRowContext(ctx, "SELECT @@global.relay_log_basename").Scan(&base); err != nil {
		return "", "", Classify(err)
	}
	if !base.Valid || base.String == "" {
		return "", "", fmt.Errorf("relay_log_basename is empty")
	}
	i := strings.LastIndex(base.String, "/")
	return base.String[:i], base.String[i+1:], nil
}

// ReadParallelApplier reads a MariaDB replica's parallel applier setting.
func ReadParallelApplier(ctx context.Context, db *sql.DB) (replsql.ParallelApplier, error) {
	var p replsql.ParallelApplier
	err := db.QueryRowContext(ctx, replsql.ReadParallelApplier().SQL()).Scan(&p.Threads, &p.Mode)
	return p, err
}

// BinlogPosition is the server's own binlog write position and its GTID
// position (gtid_binlog_pos on MariaDB, gtid_executed on MySQL): the two
// queries a switchover needs while writes are blocked, instead of a whole
// Read.
func BinlogPosition(ctx context.Context, db *sql.DB, name string, v repl.Version) (*BinlogStatus, string, error) {
	q := replsql.ShowBinlogStatus(v)
	b, err := readBinlogStatus(ctx, db, q)
	if err != nil {
		return nil, "", fmt.Errorf("%s on %s: %w", q, name, Classify(err))
	}
	if b == nil {
		return nil, "", fmt.Errorf("%s on %s: no binlog (log_bin=OFF)", q, name)
	}
	vars, err := globalVariables(ctx, db, "gtid_binlog_pos", "gtid_executed")
	if err != nil {
		return nil, "", fmt.Errorf("GTID position of %s: %w", name, Classify(err))
	}
	if v.MariaDB {
		return b, vars["gtid_binlog_pos"], nil
	}
	return b, vars["gtid_executed"], nil
}

// GTIDBinlogState is MariaDB's @@gtid_binlog_state: the last GTID each
// server wrote in each domain, as this server's binlog holds them.
func GTIDBinlogState(ctx context.Context, db *sql.DB, name string) (string, error) {
	vars, err := globalVariables(ctx, db, "gtid_binlog_state")
	if err != nil {
		return "", fmt.Errorf("read gtid_binlog_state on %s: %w", name, Classify(err))
	}
	return vars["gtid_binlog_state"], nil
}
