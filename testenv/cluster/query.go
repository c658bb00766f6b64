package cluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// DB returns a pooled connection to host i as the admin user (mhago) over
// TCP. The pool is cached and closed by Down.
func (c *Cluster) DB(i int) (*sql.DB, error) {
	if err := c.checkHost(i); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if db, ok := c.dbs[i]; ok {
		return db, nil
	}
	conn, err := mysql.NewConnector(c.adminConfig(i))
	if err != nil {
		return nil, fmt.Errorf("host %d connector: %w", i, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxIdleConns(4)
	db.SetConnMaxIdleTime(30 * time.Second)
	c.dbs[i] = db
	return db, nil
}

func (c *Cluster) closeDBs() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, db := range c.dbs {
		db.Close()
		delete(c.dbs, i)
	}
}

// Exec runs one statement on host i as the admin user.
func (c *Cluster) Exec(ctx context.Context, i int, query string, args ...any) error {
	db, err := c.DB(i)
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, query, args...); err != nil {
		return fmt.Errorf("host %d: %s: %w", i, query, err)
	}
	return nil
}

// SlaveStatus returns SHOW SLAVE STATUS of host i by column name; the map is
// empty when host i is not a replica.
func (c *Cluster) SlaveStatus(ctx context.Context, i int) (map[string]string, error) {
	db, err := c.DB(i)
	if err != nil {
		return nil, err
	}
	m, err := showRow(ctx, db, "SHOW SLAVE STATUS")
	if err != nil {
		return nil, fmt.Errorf("host %d: %w", i, err)
	}
	return m, nil
}

// MasterStatus returns SHOW MASTER STATUS of host i (File, Position, ...).
func (c *Cluster) MasterStatus(ctx context.Context, i int) (map[string]string, error) {
	db, err := c.DB(i)
	if err != nil {
		return nil, err
	}
	m, err := showRow(ctx, db, "SHOW MASTER STATUS")
	if err != nil {
		return nil, fmt.Errorf("host %d: %w", i, err)
	}
	return m, nil
}

// showRow returns the first row of query by column name (NULL as "").
func showRow(ctx context.Context, db *sql.DB, query string) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	m := map[string]string{}
	if !rows.Next() {
		return m, rows.Err()
	}
	vals := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for k := range vals {
		ptrs[k] = &vals[k]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, fmt.Errorf("%s: %w", query, err)
	}
	for k, col := range cols {
		m[col] = string(vals[k])
	}
	return m, rows.Err()
}

// WaitSlaveRunning waits until host i's IO and SQL threads both run.
func (c *Cluster) WaitSlaveRunning(ctx context.Context, i int) error {
	db, err := c.DB(i)
	if err != nil {
		return err
	}
	if err := waitSlaveRunning(ctx, db); err != nil {
		return fmt.Errorf("host %d: %w", i, err)
	}
	return nil
}

func waitSlaveRunning(ctx context.Context, db *sql.DB) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		st, err := showRow(ctx, db, "SHOW SLAVE STATUS")
		if err == nil && st["Slave_IO_Running"] == "Yes" && st["Slave_SQL_Running"] == "Yes" {
			return nil
		}
		if err == nil && st["Last_SQL_Error"] != "" {
			return fmt.Errorf("replication SQL error: %s", st["Last_SQL_Error"])
		}
		if err == nil {
			err = fmt.Errorf("IO running %q (%s), SQL running %q", st["Slave_IO_Running"],
				st["Last_IO_Error"], st["Slave_SQL_Running"])
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for replication threads: %w", errors.Join(ctx.Err(), err))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Sync waits until each replica has applied master's current binlog
// position (MASTER_POS_WAIT, which works in file/pos and GTID modes).
func (c *Cluster) Sync(ctx context.Context, master int, replicas ...int) error {
	mdb, err := c.DB(master)
	if err != nil {
		return err
	}
	for _, r := range replicas {
		rdb, err := c.DB(r)
		if err != nil {
			return err
		}
		if err := syncReplica(ctx, mdb, rdb); err != nil {
			return fmt.Errorf("host %d catching up with host %d: %w", r, master, err)
		}
	}
	return nil
}

func syncReplica(ctx context.Context, master, replica *sql.DB) error {
	st, err := showRow(ctx, master, "SHOW MASTER STATUS")
	if err != nil {
		return err
	}
	if st["File"] == "" {
		return errors.New("master has binary logging off")
	}
	var res sql.NullInt64
	err = replica.QueryRowContext(ctx, "SELECT MASTER_POS_WAIT(?, ?, 30)", st["File"], st["Position"]).Scan(&res)
	switch {
	case err != nil:
		return fmt.Errorf("MASTER_POS_WAIT(%s, %s): %w", st["File"], st["Position"], err)
	case !res.Valid:
		return fmt.Errorf("MASTER_POS_WAIT(%s, %s): replication not running", st["File"], st["Position"])
	case res.Int64 < 0:
		return fmt.Errorf("MASTER_POS_WAIT(%s, %s): timed out after 30s", st["File"], st["Position"])
	}
	return nil
}

// FlushBinaryLogs rotates host i's binary log.
func (c *Cluster) FlushBinaryLogs(ctx context.Context, i int) error {
	return c.Exec(ctx, i, "FLUSH BINARY LOGS")
}

// StopIOThread stops host i's replication IO thread.
func (c *Cluster) StopIOThread(ctx context.Context, i int) error {
	return c.Exec(ctx, i, "STOP SLAVE IO_THREAD")
}

// WaitRead waits, up to limit, until replica i's IO thread has read the
// master's binlog as far as the master had written it when called.
func (c *Cluster) WaitRead(ctx context.Context, master, i int, limit time.Duration) error {
	ms, err := c.MasterStatus(ctx, master)
	if err != nil {
		return err
	}
	want, _ := strconv.ParseInt(ms["Position"], 10, 64)
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		st, err := c.SlaveStatus(ctx, i)
		if err != nil {
			return err
		}
		read, _ := strconv.ParseInt(st["Read_Master_Log_Pos"], 10, 64)
		if st["Master_Log_File"] == ms["File"] && read >= want {
			return nil
		}
	}
	return fmt.Errorf("host %d never read host %d's binlog up to %s:%d", i, master, ms["File"], want)
}

// StopSQLThread stops host i's replication SQL thread.
func (c *Cluster) StopSQLThread(ctx context.Context, i int) error {
	return c.Exec(ctx, i, "STOP SLAVE SQL_THREAD")
}

// StartSlave starts both replication threads on host i.
func (c *Cluster) StartSlave(ctx context.Context, i int) error {
	return c.Exec(ctx, i, "START SLAVE")
}

// userTablesQuery lists base tables outside the system schemas.
const userTablesQuery = `SELECT table_schema, table_name FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
ORDER BY table_schema, table_name`

// Checksums returns CHECKSUM TABLE ... EXTENDED of every user table on host
// i, keyed by "db.table".
func (c *Cluster) Checksums(ctx context.Context, i int) (map[string]string, error) {
	db, err := c.DB(i)
	if err != nil {
		return nil, err
	}
	tables, err := queryPairs(ctx, db, userTablesQuery)
	if err != nil {
		return nil, fmt.Errorf("host %d list tables: %w", i, err)
	}
	sums := map[string]string{}
	for _, t := range tables {
		name := t[0] + "." + t[1]
		var tbl string
		var sum sql.NullString
		if err := db.QueryRowContext(ctx, "CHECKSUM TABLE "+quoteIdent(name)+" EXTENDED").Scan(&tbl, &sum); err != nil {
			return nil, fmt.Errorf("host %d CHECKSUM TABLE %s: %w", i, name, err)
		}
		sums[name] = sum.String
	}
	return sums, nil
}

func queryPairs(ctx context.Context, db *sql.DB, query string) ([][2]string, error) {
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var p [2]string
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// CompareChecksums compares the user tables of the given hosts (all hosts if
// none given) against the first; the error names each differing host and
// table.
func (c *Cluster) CompareChecksums(ctx context.Context, hosts ...int) error {
	if len(hosts) == 0 {
		for i := 1; i <= c.opts.Hosts; i++ {
			hosts = append(hosts, i)
		}
	}
	ref, err := c.Checksums(ctx, hosts[0])
	if err != nil {
		return err
	}
	var diffs []string
	for _, h := range hosts[1:] {
		sums, err := c.Checksums(ctx, h)
		if err != nil {
			return err
		}
		diffs = append(diffs, diffChecksums(hosts[0], h, ref, sums)...)
	}
	if len(diffs) > 0 {
		sort.Strings(diffs)
		return fmt.Errorf("checksums differ: %s", strings.Join(diffs, "; "))
	}
	return nil
}

func diffChecksums(refHost, host int, ref, sums map[string]string) []string {
	var diffs []string
	for t, want := range ref {
		got, ok := sums[t]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("host %d lacks table %s (present on host %d)", host, t, refHost))
		case got != want:
			diffs = append(diffs, fmt.Sprintf("host %d table %s checksum %s, host %d has %s", host, t, got, refHost, want))
		}
	}
	for t := range sums {
		if _, ok := ref[t]; !ok {
			diffs = append(diffs, fmt.Sprintf("host %d has extra table %s (absent on host %d)", host, t, refHost))
		}
	}
	return diffs
}

// RowIDs returns the sorted id column of table ("db.table") on host i.
func (c *Cluster) RowIDs(ctx context.Context, i int, table string) ([]int64, error) {
	db, err := c.DB(i)
	if err != nil {
		return nil, err
	}
	rows, err := db.QueryContext(ctx, "SELECT id FROM "+quoteIdent(table)+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("host %d read ids of %s: %w", i, table, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("host %d read ids of %s: %w", i, table, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SyncReplicas waits until every running replica (or only hosts, when
// given: a test leaves out a replica it hung or left behind) has caught up
// with the host it replicates from (found by its Master_Host), whatever
// the topology.
func (c *Cluster) SyncReplicas(ctx context.Context, hosts ...int) error {
	if len(hosts) == 0 {
		for i := 1; i <= c.opts.Hosts; i++ {
			hosts = append(hosts, i)
		}
	}
	for _, i := range hosts {
		if !c.MySQLRunning(i) {
			continue
		}
		st, err := c.SlaveStatus(ctx, i)
		if err != nil {
			return err
		}
		if len(st) == 0 {
			continue
		}
		m := c.hostByIP(st["Master_Host"])
		if m == 0 {
			return fmt.Errorf("host %d replicates from unknown host %q", i, st["Master_Host"])
		}
		if err := c.Sync(ctx, m, i); err != nil {
			return err
		}
	}
	return nil
}

func (c *Cluster) hostByIP(ip string) int {
	for i := 1; i <= c.opts.Hosts; i++ {
		if c.IP(i) == ip {
			return i
		}
	}
	return 0
}
