package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

func (c *Cluster) myCnfPath(i int) string { return filepath.Join(c.HostDir(i), "my.cnf") }

// prepareMySQL copies the template datadir and writes host i's my.cnf.
func (c *Cluster) prepareMySQL(ctx context.Context, i int, tmpl string) error {
	for _, d := range []string{c.BinlogDir(i), c.RelayDir(i), c.WorkDir(i), filepath.Join(c.HostDir(i), "tmp")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("host %d: create %s: %w", i, d, err)
		}
	}
	data := filepath.Join(c.HostDir(i), "data")
	if out, err := exec.CommandContext(ctx, "cp", "-a", filepath.Join(tmpl, "data"), data).CombinedOutput(); err != nil {
		return fmt.Errorf("host %d: copy template datadir: %w: %s", i, err, out)
	}
	if err := os.WriteFile(c.myCnfPath(i), []byte(c.myCnf(i)), 0o644); err != nil {
		return fmt.Errorf("host %d: write my.cnf: %w", i, err)
	}
	return nil
}

func (c *Cluster) myCnf(i int) string {
	readOnly := "ON"
	if i == 1 {
		readOnly = "OFF"
	}
	h := c.HostDir(i)
	lines := []string{
		"[mariadbd]",
		"user=root",
		"datadir=" + filepath.Join(h, "data"),
		"tmpdir=" + filepath.Join(h, "tmp"),
		"socket=" + c.Socket(i),
		"pid-file=" + filepath.Join(h, "mysqld.pid"),
		"log_error=" + c.MySQLLog(i),
		"bind-address=" + c.bindAddress(i),
		fmt.Sprintf("port=%d", c.opts.MySQLPort),
		fmt.Sprintf("server_id=%d", i),
		"log_bin=" + filepath.Join(c.BinlogDir(i), "mysql-bin"),
		"relay_log=" + filepath.Join(c.RelayDir(i), "relay-bin"),
		"log_slave_updates=ON",
		"relay_log_purge=0",
		"binlog_format=" + c.opts.BinlogFormat,
		"binlog_checksum=CRC32",
		"gtid_strict_mode=ON",
		"read_only=" + readOnly,
		"innodb_buffer_pool_size=" + innodbBufferPool,
		"innodb_log_file_size=" + innodbLogFileSize,
		"skip-name-resolve",
		"sync_binlog=1",
		"innodb_flush_log_at_trx_commit=1",
		fmt.Sprintf("max_binlog_size=%d", c.opts.MaxBinlogSize),
		"report_host=" + c.IP(i),
		fmt.Sprintf("report_port=%d", c.opts.MySQLPort),
		"performance_schema=OFF",
		"max_connections=300",
		"slave_net_timeout=10",
	}
	if c.opts.ParallelReplication > 0 {
		lines = append(lines, fmt.Sprintf("slave_parallel_threads=%d", c.opts.ParallelReplication), "slave_parallel_mode=conservative")
	}
	if c.opts.MaxRelayLogSize != 0 {
		lines = append(lines, fmt.Sprintf("max_relay_log_size=%d", c.opts.MaxRelayLogSize))
	}
	lines = append(lines, c.dualMasterCnf(i)...)
	return strings.Join(lines, "\n") + "\n"
}

// bindAddress is host i's own address; in netns mode every address of its
// namespace (its own and the VIP, when it holds it), which no other
// namespace can reach but through the bridge.
func (c *Cluster) bindAddress(i int) string {
	if c.opts.Netns {
		return "0.0.0.0"
	}
	return c.IP(i)
}

func (c *Cluster) spawnMySQL(i int) error {
	bin, err := findBinary("mariadbd")
	if err != nil {
		return err
	}
	argv, err := c.inHost(i, []string{bin, "--defaults-file=" + c.myCnfPath(i)})
	if err != nil {
		return err
	}
	p, err := spawn(c.MySQLLog(i), argv)
	if err != nil {
		return fmt.Errorf("host %d mariadbd: %w", i, err)
	}
	return c.setProc(func(st *state) { st.Hosts[i-1].MySQL = p })
}

// waitMySQL waits until host i answers a root ping on its socket and
// accepts TCP connections on its address.
func (c *Cluster) waitMySQL(i int) error {
	p := c.Host(i).MySQL
	err := waitFor(p, c.opts.StartTimeout, func() error {
		if err := c.rootPing(i); err != nil {
			return err
		}
		if !tcpOpen(c.MySQLAddr(i)) {
			return fmt.Errorf("%s refuses connections", c.MySQLAddr(i))
		}
		return nil
	})
	if err != nil {
		return processError(fmt.Sprintf("host %d mariadbd (pid %d)", i, p.Pid), c.MySQLLog(i), err)
	}
	return nil
}

func (c *Cluster) rootPing(i int) error {
	db, err := c.rootDB(i)
	if err != nil {
		return err
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return db.PingContext(ctx)
}

// rootDB connects as root over the unix socket (root has no TCP account).
func (c *Cluster) rootDB(i int) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.User = "root"
	cfg.Net = "unix"
	cfg.Addr = c.Socket(i)
	cfg.Timeout = 2 * time.Second
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 30 * time.Second
	cfg.Logger = quietLogger
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("host %d root connector: %w", i, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(1)
	return db, nil
}

// adminConfig is the DSN config of the mhago admin user on host i.
func (c *Cluster) adminConfig(i int) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = "mhago"
	cfg.Passwd = c.opts.Password
	cfg.Net = "tcp"
	cfg.Addr = c.MySQLAddr(i)
	cfg.Timeout = 3 * time.Second
	cfg.ReadTimeout = 30 * time.Second
	cfg.WriteTimeout = 30 * time.Second
	cfg.InterpolateParams = true
	cfg.Logger = quietLogger
	return cfg
}

// AppUser is the application's account: it may only read and insert into
// mhago_test, so read_only (which binds every user without SUPER/READ_ONLY
// ADMIN on MariaDB 10.11) refuses its writes everywhere but on a master,
// as it refuses an application's.
const AppUser = "mhago_app"

// appConfig is the DSN config of AppUser at addr (ip:port).
func (c *Cluster) appConfig(addr string) *mysql.Config {
	cfg := mysql.NewConfig()
	cfg.User = AppUser
	cfg.Passwd = c.opts.AppPassword
	cfg.Net = "tcp"
	cfg.Addr = addr
	cfg.Timeout = time.Second
	cfg.ReadTimeout = 5 * time.Second
	cfg.WriteTimeout = 5 * time.Second
	cfg.InterpolateParams = true
	cfg.Logger = quietLogger
	return cfg
}

// quietLogger silences go-sql-driver's own logging ("unexpected EOF" after
// a kill), which would otherwise print to stderr; errors still reach callers.
var quietLogger mysql.Logger = log.New(io.Discard, "", 0)

// DSN is the go-sql-driver DSN of the admin user on host i.
func (c *Cluster) DSN(i int) string { return c.adminConfig(i).FormatDSN() }

// bootstrapMaster creates the users and the test schema on host 1; the
// replicas start from host 1's first binlog, so all of it replicates.
func (c *Cluster) bootstrapMaster(ctx context.Context) error {
	db, err := c.rootDB(1)
	if err != nil {
		return err
	}
	defer db.Close()
	stmts := []string{
		fmt.Sprintf("CREATE USER 'mhago'@'%s' IDENTIFIED BY %s", c.clientHosts(), quoteString(c.opts.Password)),
		fmt.Sprintf("GRANT ALL PRIVILEGES ON *.* TO 'mhago'@'%s' WITH GRANT OPTION", c.clientHosts()),
		fmt.Sprintf("CREATE USER 'repl'@'%s' IDENTIFIED BY %s", c.clientHosts(), quoteString(c.opts.ReplPassword)),
		fmt.Sprintf("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%s'", c.clientHosts()),
		fmt.Sprintf("CREATE USER '%s'@'%s' IDENTIFIED BY %s", AppUser, c.clientHosts(), quoteString(c.opts.AppPassword)),
		fmt.Sprintf("GRANT SELECT, INSERT ON mhago_test.* TO '%s'@'%s'", AppUser, c.clientHosts()),
		"CREATE DATABASE mhago_test",
		"CREATE TABLE mhago_test.load (id BIGINT AUTO_INCREMENT PRIMARY KEY, worker INT, " +
			"payload VARCHAR(200), created TIMESTAMP(6)) ENGINE=InnoDB",
	}
	for _, s := range stmts {
		if _, err := db.ExecContext(ctx, s); err != nil {
			// The statement text may hold a password: name only its verb.
			return processError("host 1 bootstrap "+strings.Join(strings.Fields(s)[:2], " "), c.MySQLLog(1), err)
		}
	}
	return nil
}

// quoteString renders s as a SQL string literal.
func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\x00", `\0`)
	return "'" + r.Replace(s) + "'"
}

// quoteIdent renders "db.table" as `db`.`table`.
func quoteIdent(name string) string {
	parts := strings.Split(name, ".")
	for k, p := range parts {
		parts[k] = "`" + strings.ReplaceAll(p, "`", "``") + "`"
	}
	return strings.Join(parts, ".")
}

// startReplication points every replica at host 1 and waits until each has
// applied everything host 1 wrote during bootstrap. In a dual-master
// cluster host 1 then replicates from host 2 as well.
func (c *Cluster) startReplication(ctx context.Context) error {
	if c.opts.Hosts < 2 {
		return nil
	}
	first, err := c.firstBinlog(ctx, 1)
	if err != nil {
		return err
	}
	err = parallel(c.opts.Hosts-1, func(k int) error {
		i := k + 1
		if err := c.changeMaster(ctx, i, 1, first); err != nil {
			return processError(fmt.Sprintf("host %d CHANGE MASTER", i), c.MySQLLog(i), err)
		}
		return c.rootSync(ctx, 1, i)
	})
	if err != nil || !c.opts.DualMaster {
		return err
	}
	return c.closeDualMasterLoop(ctx)
}

// rootSync waits, as root, until replica i runs and has caught up with master.
func (c *Cluster) rootSync(ctx context.Context, master, i int) error {
	mdb, err := c.rootDB(master)
	if err != nil {
		return err
	}
	defer mdb.Close()
	replica, err := c.rootDB(i)
	if err != nil {
		return err
	}
	defer replica.Close()
	if err := waitSlaveRunning(ctx, replica); err != nil {
		return processError(fmt.Sprintf("host %d replication", i), c.MySQLLog(i), err)
	}
	if err := syncReplica(ctx, mdb, replica); err != nil {
		return processError(fmt.Sprintf("host %d catching up with host %d", i, master), c.MySQLLog(i), err)
	}
	return nil
}

func (c *Cluster) firstBinlog(ctx context.Context, i int) (string, error) {
	db, err := c.rootDB(i)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var name, size string
	if err := db.QueryRowContext(ctx, "SHOW BINARY LOGS").Scan(&name, &size); err != nil {
		return "", fmt.Errorf("host %d SHOW BINARY LOGS: %w", i, err)
	}
	return name, nil
}

// changeMaster points host i at master, from master's first binlog (or by
// GTID). It runs as root over the socket: the admin user exists on the
// replica only once replication has applied its creation.
func (c *Cluster) changeMaster(ctx context.Context, i, master int, firstBinlog string) error {
	db, err := c.rootDB(i)
	if err != nil {
		return err
	}
	defer db.Close()
	pos := fmt.Sprintf("MASTER_LOG_FILE=%s, MASTER_LOG_POS=4, MASTER_USE_GTID=no", quoteString(firstBinlog))
	if c.opts.GTID {
		pos = "MASTER_USE_GTID=slave_pos"
	}
	q := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%d, MASTER_USER='repl', "+
		"MASTER_PASSWORD=%s, MASTER_CONNECT_RETRY=1, %s",
		quoteString(c.IP(master)), c.opts.MySQLPort, quoteString(c.opts.ReplPassword), pos)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return fmt.Errorf("host %d CHANGE MASTER TO %s: %w", i, c.IP(master), err)
	}
	if _, err := db.ExecContext(ctx, "START SLAVE"); err != nil {
		return fmt.Errorf("host %d START SLAVE: %w", i, err)
	}
	return nil
}
