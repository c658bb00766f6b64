package replsql_test

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/repl"
	"github.com/mhago/mhago/replsql"
	"github.com/mhago/mhago/testenv/cluster"
)

// liveReplica drives host 2 (a replica of host 1) of a real MariaDB
// cluster with the statements package replsql builds.
type liveReplica struct {
	ctx context.Context
	c   *cluster.Cluster
	v   repl.Version
}

func startLiveReplica(t *testing.T) *liveReplica {
	c := cluster.Start(t, cluster.Options{Base: 92, Hosts: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	r := &liveReplica{ctx: ctx, c: c}
	v, err := repl.ParseVersion(r.query(t, 2, "SELECT VERSION()"))
	if err != nil {
		t.Fatal(err)
	}
	r.v = v
	return r
}

// exec runs a built statement on host i; a failure shows its redacted text.
func (r *liveReplica) exec(t *testing.T, i int, s replsql.Statement) {
	t.Helper()
	if err := r.c.Exec(r.ctx, i, s.SQL()); err != nil {
		t.Fatalf("host%d: %s: %v", i, s, s.RedactError(err))
	}
}

// execText runs a test's own statement (setup, not a builder's) on host i.
func (r *liveReplica) execText(t *testing.T, i int, q string) {
	t.Helper()
	if err := r.c.Exec(r.ctx, i, q); err != nil {
		t.Fatalf("host%d: %s: %v", i, q, err)
	}
}

func (r *liveReplica) query(t *testing.T, i int, q string) string {
	t.Helper()
	db, err := r.c.DB(i)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := db.QueryRowContext(r.ctx, q).Scan(&s); err != nil {
		t.Fatalf("host%d: %s: %v", i, q, err)
	}
	return s
}

// status reads host 2's replica status with the statement ShowReplicaStatus
// builds.
func (r *liveReplica) status(t *testing.T) *instance.ReplicaStatus {
	t.Helper()
	db, err := r.c.DB(2)
	if err != nil {
		t.Fatal(err)
	}
	row, err := oneRow(r.ctx, db, replsql.ShowReplicaStatus(r.v).SQL())
	if err != nil {
		t.Fatalf("host2: %s: %v", replsql.ShowReplicaStatus(r.v), err)
	}
	if row == nil {
		return nil
	}
	return instance.ParseReplicaStatus(row)
}

// waitRunning waits until both threads of host 2 run and it has caught up
// with host 1's binlog position.
func (r *liveReplica) waitRunning(t *testing.T, want repl.Coordinates) *instance.ReplicaStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := r.status(t)
		if st != nil && st.IORunningYes() && st.SQLRunningYes() &&
			st.RelayMasterLogFile == want.File && st.ExecMasterLogPos >= want.Pos {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("host2 never caught up to %s: %+v", want, st)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// masterPos reads host 1's binlog position with ShowBinlogStatus.
func (r *liveReplica) masterPos(t *testing.T) repl.Coordinates {
	t.Helper()
	db, err := r.c.DB(1)
	if err != nil {
		t.Fatal(err)
	}
	row, err := oneRow(r.ctx, db, replsql.ShowBinlogStatus(r.v).SQL())
	if err != nil || row == nil {
		t.Fatalf("host1: %s: %v (row %v)", replsql.ShowBinlogStatus(r.v), err, row)
	}
	pos, err := strconv.ParseUint(row["Position"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return repl.Coordinates{File: row["File"], Pos: pos}
}

// repoint points host 2 at host 1 again with p, runs extra, and starts
// replication, as a failover does with every replica.
func (r *liveReplica) repoint(t *testing.T, p replsql.ChangeMasterParams, extra ...replsql.Statement) {
	t.Helper()
	r.exec(t, 2, replsql.Stop(r.v, replsql.BothThreads))
	r.exec(t, 2, replsql.ResetAll(r.v))
	if st := r.status(t); st != nil {
		t.Fatalf("after %s host2 still has a replica status: %+v", replsql.ResetAll(r.v), st)
	}
	cm, err := replsql.ChangeMaster(p)
	if err != nil {
		t.Fatal(err)
	}
	r.exec(t, 2, cm)
	for _, x := range extra {
		r.exec(t, 2, x)
	}
	r.exec(t, 2, replsql.Start(r.v, replsql.BothThreads))
}

func (r *liveReplica) params(t *testing.T, mode replsql.Mode, user, password string) replsql.ChangeMasterParams {
	host, port := splitAddr(t, r.c.MySQLAddr(1))
	p := replsql.ChangeMasterParams{Version: r.v, Host: host, Port: port, User: user, Password: password, PasswordSet: true, Mode: mode,
		GetPublicKey: replsql.CanGetPublicKey(r.v)}
	if mode == replsql.ModeFilePos {
		pos := r.masterPos(t)
		p.File, p.Pos = pos.File, pos.Pos
	}
	return p
}

// write inserts a row on host 1 and returns host 1's position after it.
func (r *liveReplica) write(t *testing.T, note string) repl.Coordinates {
	t.Helper()
	r.execText(t, 1, "CREATE TABLE IF NOT EXISTS mhago_test.replsql_probe (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64))")
	r.execText(t, 1, fmt.Sprintf("INSERT INTO mhago_test.replsql_probe (note) VALUES ('%s')", note))
	return r.masterPos(t)
}

func TestStatementsOnMariaDB(t *testing.T) {
	r := startLiveReplica(t)
	r.execText(t, 1, "CREATE DATABASE IF NOT EXISTS mhago_test")

	// A replication user whose name and password need escaping proves the
	// quoting end to end: the IO thread logs in only with the exact
	// password. The user is created with hand-written literals, so that a
	// quoting bug cannot cancel itself out.
	const user, password = `repl_q'x`, `p'a\ss"w0rd`
	r.execText(t, 1, `CREATE USER 'repl_q''x'@'127.%' IDENTIFIED BY 'p''a\\ss"w0rd'`)
	r.execText(t, 1, `GRANT REPLICATION SLAVE ON *.* TO 'repl_q''x'@'127.%'`)
	r.waitRunning(t, r.masterPos(t))

	t.Run("file/pos CHANGE MASTER with an escaped password replicates", func(t *testing.T) {
		r.repoint(t, r.params(t, replsql.ModeFilePos, user, password))
		st := r.waitRunning(t, r.write(t, "filepos"))
		if st.MasterUser != user || st.UsingGTID != "No" {
			t.Errorf("Master_User=%q Using_Gtid=%q, want %q and No", st.MasterUser, st.UsingGTID, user)
		}
		checkDetectedMode(t, st, decide.ModeFilePos)
	})
	t.Run("quoted literals read back as the original strings", func(t *testing.T) {
		for _, want := range []string{user, password, `\`, `''`, `\'`, "a\nb\tc", `%_`, "ünï€ode", `\\'\`} {
			if got := r.query(t, 1, "SELECT "+replsql.Quote(want)); got != want {
				t.Errorf("SELECT %s = %q, want %q", replsql.Quote(want), got, want)
			}
		}
	})
	t.Run("SQL thread stops and starts alone", func(t *testing.T) {
		r.exec(t, 2, replsql.Stop(r.v, replsql.IOThread))
		r.exec(t, 2, replsql.Stop(r.v, replsql.SQLThread))
		if st := r.status(t); st.IORunningYes() || st.SQLRunningYes() {
			t.Fatalf("threads still running: IO=%s SQL=%s", st.IORunning, st.SQLRunning)
		}
		r.exec(t, 2, replsql.Start(r.v, replsql.SQLThread))
		if st := r.status(t); st.IORunningYes() || !st.SQLRunningYes() {
			t.Fatalf("want only the SQL thread running: IO=%s SQL=%s", st.IORunning, st.SQLRunning)
		}
	})
	t.Run("MariaDB GTID CHANGE MASTER after SET gtid_slave_pos replicates", func(t *testing.T) {
		r.exec(t, 2, replsql.Stop(r.v, replsql.BothThreads))
		set, err := replsql.SetGTIDSlavePos(r.v, r.query(t, 2, "SELECT @@global.gtid_slave_pos"))
		if err != nil {
			t.Fatal(err)
		}
		r.repoint(t, r.params(t, replsql.ModeMariaGTID, user, password), set)
		st := r.waitRunning(t, r.write(t, "gtid"))
		if st.UsingGTID != "Slave_Pos" {
			t.Errorf("Using_Gtid=%q, want Slave_Pos", st.UsingGTID)
		}
		checkDetectedMode(t, st, decide.ModeMariaGTID)
		if got := r.query(t, 2, "SELECT COUNT(*) FROM mhago_test.replsql_probe"); got != "2" {
			t.Errorf("host2 has %s probe rows, want 2", got)
		}
	})
}

// TestLockAndReadOnlyOnMariaDB runs MHA's failover lock and the read_only
// statements on a real server: the lock belongs to one session, and
// Writable opens a server that SetReadOnly closed.
func TestLockAndReadOnlyOnMariaDB(t *testing.T) {
	r := startLiveReplica(t)
	db, err := r.c.DB(2)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the failover lock is held by one session", func(t *testing.T) {
		a, b := conn(t, r.ctx, db), conn(t, r.ctx, db)
		steps := []struct {
			c    *sql.Conn
			s    replsql.Statement
			want string
		}{
			{a, replsql.GetFailoverLock(time.Second), "1"},
			{b, replsql.GetFailoverLock(0), "0"}, // held by a
			{b, replsql.ReleaseFailoverLock(), "0"},
			{a, replsql.ReleaseFailoverLock(), "1"},
			{b, replsql.GetFailoverLock(0), "1"},
			{b, replsql.ReleaseFailoverLock(), "1"},
			{b, replsql.ReleaseFailoverLock(), "NULL"}, // held by nobody
		}
		for i, st := range steps {
			var got sql.NullString
			if err := st.c.QueryRowContext(r.ctx, st.s.SQL()).Scan(&got); err != nil {
				t.Fatalf("step %d: %s: %v", i, st.s, err)
			}
			if v := map[bool]string{true: got.String, false: "NULL"}[got.Valid]; v != st.want {
				t.Fatalf("step %d: %s = %s, want %s", i, st.s, v, st.want)
			}
		}
	})
	t.Run("Writable undoes SetReadOnly", func(t *testing.T) {
		r.exec(t, 2, replsql.SetReadOnly(true))
		if got := r.query(t, 2, "SELECT @@global.read_only"); got != "1" {
			t.Fatalf("read_only = %s after %s", got, replsql.SetReadOnly(true))
		}
		if _, err := replsql.SetSuperReadOnly(r.v, true); err == nil {
			t.Errorf("SetSuperReadOnly built a statement for %s, which has no super_read_only", r.v)
		}
		for _, s := range replsql.Writable(r.v) {
			r.exec(t, 2, s)
		}
		if got := r.query(t, 2, "SELECT @@global.read_only"); got != "0" {
			t.Fatalf("read_only = %s after %s", got, replsql.Join(replsql.Writable(r.v)))
		}
	})
}

func conn(t *testing.T, ctx context.Context, db *sql.DB) *sql.Conn {
	t.Helper()
	c, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func checkDetectedMode(t *testing.T, st *instance.ReplicaStatus, want decide.Mode) {
	t.Helper()
	mode, notes, err := decide.DetectMode([]decide.ModeInput{{Name: "host2", Flavor: repl.FlavorMariaDB, UsingGTID: st.UsingGTID}})
	if err != nil || mode != want || notes != nil {
		t.Errorf("DetectMode from the live status = %v, %q, %v; want %v", mode, notes, err, want)
	}
}

// oneRow returns the first row of q by column name, nil when q has none.
func oneRow(ctx context.Context, db *sql.DB, q string) (map[string]string, error) {
	rows, err := instance.QueryRows(ctx, db, q)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return rows[0], nil
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	var host string
	var port int
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			host = addr[:i]
			p, err := strconv.Atoi(addr[i+1:])
			if err != nil {
				t.Fatal(err)
			}
			port = p
			break
		}
	}
	return host, port
}
