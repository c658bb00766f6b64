package cluster

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sshRun runs `true` on host i with the system ssh client and strict host
// key checking against the env's known_hosts.
func sshRun(c *Cluster, i int) ([]byte, error) {
	cmd := exec.Command("ssh", "-F", "/dev/null", "-i", c.ClientKeyFile(),
		"-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"-o", "UserKnownHostsFile="+c.KnownHostsFile(), "-o", "GlobalKnownHostsFile=/dev/null",
		"-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=5",
		"-p", fmt.Sprint(c.Options().SSHPort), "root@"+c.IP(i), "true")
	return cmd.CombinedOutput()
}

func slaveStatus(t *testing.T, c *Cluster, i int) map[string]string {
	t.Helper()
	st, err := c.SlaveStatus(testCtx(t), i)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestFilePosCluster(t *testing.T) {
	t.Parallel()
	c := Start(t, Options{Base: 20, MaxBinlogSize: 64 << 10})
	ctx := testCtx(t)

	t.Run("replication runs in file/pos mode", func(t *testing.T) {
		for i := 2; i <= 4; i++ {
			st := slaveStatus(t, c, i)
			if st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes" ||
				st["Using_Gtid"] != "No" || st["Master_Host"] != c.IP(1) {
				t.Errorf("host %d slave status: io=%s sql=%s gtid=%s master=%s", i, st["Slave_IO_Running"],
					st["Slave_SQL_Running"], st["Using_Gtid"], st["Master_Host"])
			}
		}
		if st := slaveStatus(t, c, 1); len(st) != 0 {
			t.Errorf("host 1 should not be a replica: %v", st)
		}
	})
	t.Run("row replicates and checksums match", func(t *testing.T) {
		if err := c.Exec(ctx, 1, "INSERT INTO mhago_test.load (worker, payload) VALUES (0, 'marker')"); err != nil {
			t.Fatal(err)
		}
		if err := c.Sync(ctx, 1, 2, 3, 4); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			db, _ := c.DB(i)
			var n int
			if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM mhago_test.load WHERE payload='marker'").Scan(&n); err != nil || n != 1 {
				t.Errorf("host %d marker rows = %d, err %v", i, n, err)
			}
		}
		if err := c.CompareChecksums(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ssh login with key and known_hosts", func(t *testing.T) {
		for i := 1; i <= 4; i++ {
			if out, err := sshRun(c, i); err != nil {
				t.Errorf("ssh host %d: %v: %s", i, err, out)
			}
		}
	})
	t.Run("load acks ids present on master and replicas", func(t *testing.T) { testLoad(t, c) })
	t.Run("faults", func(t *testing.T) { testFaults(t, c) })
	t.Run("master crash keeps acked rows", func(t *testing.T) { testCrashDuringLoad(t, c) })
}

func testLoad(t *testing.T, c *Cluster) {
	ctx := testCtx(t)
	l, err := c.StartLoad(ctx, LoadOptions{Host: 1, Rows: 400, Duration: 30 * time.Second, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	res := l.Wait()
	if res.Errors != 0 || len(res.Acked) != 400 {
		t.Fatalf("load: %d acked, %d errors, last %v", len(res.Acked), res.Errors, res.LastErr)
	}
	if !slices.IsSorted(res.Acked) || res.MaxAcked != res.Acked[len(res.Acked)-1] {
		t.Errorf("acked ids not sorted or MaxAcked %d wrong", res.MaxAcked)
	}
	if err := c.Sync(ctx, 1, 2, 3, 4); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 4; i++ {
		assertHasIDs(t, c, i, res.Acked)
	}
	if err := c.CompareChecksums(ctx); err != nil {
		t.Fatal(err)
	}
	logs, _ := filepath.Glob(filepath.Join(c.BinlogDir(1), "mysql-bin.0*"))
	if len(logs) < 2 {
		t.Errorf("max_binlog_size 64K should have rotated host 1's binlog, files: %v", logs)
	}
}

func assertHasIDs(t *testing.T, c *Cluster, host int, acked []int64) {
	t.Helper()
	ids, err := c.RowIDs(testCtx(t), host, "mhago_test.load")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		if _, found := slices.BinarySearch(ids, id); !found {
			t.Fatalf("host %d lacks acked id %d (%d rows present)", host, id, len(ids))
		}
	}
}

func testFaults(t *testing.T, c *Cluster) {
	ctx := testCtx(t)
	t.Run("stop SQL thread", func(t *testing.T) {
		if err := c.StopSQLThread(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if st := slaveStatus(t, c, 3); st["Slave_SQL_Running"] != "No" || st["Slave_IO_Running"] != "Yes" {
			t.Errorf("after stop-sql: io=%s sql=%s", st["Slave_IO_Running"], st["Slave_SQL_Running"])
		}
		if err := c.StopIOThread(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if st := slaveStatus(t, c, 3); st["Slave_IO_Running"] != "No" {
			t.Errorf("after stop-io: io=%s", st["Slave_IO_Running"])
		}
		if err := c.StartSlave(ctx, 3); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitSlaveRunning(ctx, 3); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("stop sshd closes port", func(t *testing.T) {
		if err := c.StopSSHD(4); err != nil {
			t.Fatal(err)
		}
		assertRefused(t, c.SSHAddr(4))
		if err := c.StartSSHD(4); err != nil {
			t.Fatal(err)
		}
		if out, err := sshRun(c, 4); err != nil {
			t.Fatalf("ssh after restart: %v: %s", err, out)
		}
	})
	t.Run("rotate host key", func(t *testing.T) { testRotateHostKey(t, c) })
	t.Run("kill mysql refuses TCP", func(t *testing.T) {
		old := c.Host(4).MySQL
		if err := c.KillMySQL(4); err != nil {
			t.Fatal(err)
		}
		if old.Alive() {
			t.Fatalf("pid %d still alive", old.Pid)
		}
		assertRefused(t, c.MySQLAddr(4))
		if err := c.StartMySQL(4); err != nil {
			t.Fatal(err)
		}
		if err := c.WaitSlaveRunning(ctx, 4); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("flush binary logs", func(t *testing.T) {
		before, _ := c.MasterStatus(ctx, 1)
		if err := c.FlushBinaryLogs(ctx, 1); err != nil {
			t.Fatal(err)
		}
		after, _ := c.MasterStatus(ctx, 1)
		if before["File"] == after["File"] {
			t.Errorf("binlog still %s after flush", after["File"])
		}
	})
}

func testRotateHostKey(t *testing.T, c *Cluster) {
	known, err := os.ReadFile(c.KnownHostsFile())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RotateHostKey(testCtx(t), 2); err != nil {
		t.Fatal(err)
	}
	key, err := c.HostPublicKey(2)
	if err != nil {
		t.Fatal(err)
	}
	line := fmt.Sprintf("[%s]:%d ", c.IP(2), c.Options().SSHPort)
	if !strings.Contains(string(known), line) || strings.Contains(string(known), key) {
		t.Fatalf("known_hosts should list host 2 with its old key only:\n%s\nnew key %s", known, key)
	}
	after, _ := os.ReadFile(c.KnownHostsFile())
	if string(after) != string(known) {
		t.Error("RotateHostKey changed known_hosts")
	}
	out, err := sshRun(c, 2)
	if err == nil || !strings.Contains(string(out), "HOST IDENTIFICATION HAS CHANGED") {
		t.Fatalf("ssh to rotated host should fail on a changed key: err %v, out %s", err, out)
	}
}

func assertRefused(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections", addr)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("%s: want connection refused, got %v", addr, err)
	}
}

// testCrashDuringLoad kills the master mid-load: the load stops on its first
// error and, after crash recovery, every acked id is on host 1.
func testCrashDuringLoad(t *testing.T, c *Cluster) {
	ctx := testCtx(t)
	l, err := c.StartLoad(ctx, LoadOptions{Host: 1, Rows: 100000, Duration: 20 * time.Second, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	if err := c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	res := l.Wait()
	if res.Errors == 0 || res.LastErr == nil || len(res.Acked) == 0 || len(res.Acked) >= 100000 {
		t.Fatalf("load should stop on the kill: %d acked, %d errors, last %v", len(res.Acked), res.Errors, res.LastErr)
	}
	t.Logf("acked %d rows before the kill; last error: %v", len(res.Acked), res.LastErr)
	if err := c.StartMySQL(1); err != nil {
		t.Fatal(err)
	}
	assertHasIDs(t, c, 1, res.Acked)
}

func TestGTIDCluster(t *testing.T) {
	t.Parallel()
	c := Start(t, Options{Base: 30, Hosts: 3, GTID: true})
	ctx := testCtx(t)
	for i := 2; i <= 3; i++ {
		if st := slaveStatus(t, c, i); st["Using_Gtid"] != "Slave_Pos" || st["Slave_SQL_Running"] != "Yes" {
			t.Errorf("host %d: Using_Gtid=%s sql=%s", i, st["Using_Gtid"], st["Slave_SQL_Running"])
		}
	}
	if err := c.Exec(ctx, 1, "INSERT INTO mhago_test.load (worker, payload) VALUES (0, 'gtid')"); err != nil {
		t.Fatal(err)
	}
	if err := c.SyncReplicas(ctx); err != nil {
		t.Fatal(err)
	}
	var want string
	db1, _ := c.DB(1)
	if err := db1.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&want); err != nil || want == "" {
		t.Fatalf("host 1 gtid_binlog_pos %q: %v", want, err)
	}
	for i := 2; i <= 3; i++ {
		db, _ := c.DB(i)
		var got string
		if err := db.QueryRowContext(ctx, "SELECT @@gtid_slave_pos").Scan(&got); err != nil || got != want {
			t.Errorf("host %d gtid_slave_pos %q, want %q (err %v)", i, got, want, err)
		}
	}
	if err := c.CompareChecksums(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestDownLeavesNothing(t *testing.T) {
	t.Parallel()
	RequireBinaries(t)
	dir := fmt.Sprintf("/tmp/mhago-230-%s", randomHex(4))
	c, err := Up(testCtx(t), Options{Base: 230, Hosts: 2, Dir: dir}) // clear of other packages' bases
	if err != nil {
		t.Fatal(err)
	}
	procs := c.Procs()
	if len(procs) != 5 {
		t.Fatalf("want redis + 2x(mysql, sshd), got %v", procs)
	}
	if _, err := Open(dir, nil); err != nil {
		t.Fatalf("state.json should reopen: %v", err)
	}
	t0 := time.Now()
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
	t.Logf("down took %s", time.Since(t0))
	for _, p := range procs {
		if p.Alive() {
			t.Errorf("pid %d alive after Down", p.Pid)
		}
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("dir %s still there: %v", dir, err)
	}
	for _, addr := range []string{c.MySQLAddr(1), c.SSHAddr(2), c.RedisAddr()} {
		assertRefused(t, addr)
	}
	if err := c.Down(); err != nil {
		t.Errorf("second Down: %v", err)
	}
}

// TestUpFailureNamesHostAndLog occupies host 2's ssh port: Up must fail
// naming host 2's sshd and its log, and leave no process running.
func TestUpFailureNamesHostAndLog(t *testing.T) {
	t.Parallel()
	RequireBinaries(t)
	ln, err := net.Listen("tcp", LoopbackIP(52)+":2222")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := fmt.Sprintf("/tmp/mhago-50-%s", randomHex(4))
	_, err = Up(testCtx(t), Options{Base: 50, Hosts: 2, Dir: dir, StartTimeout: 10 * time.Second})
	if err == nil {
		t.Fatal("Up succeeded with host 2's ssh port taken")
	}
	msg := err.Error()
	if !strings.Contains(msg, "host 2 sshd") || !strings.Contains(msg, filepath.Join(dir, "host2", "sshd.log")) ||
		!strings.Contains(msg, "Address already in use") {
		t.Errorf("error should name host 2 sshd, its log and the bind failure:\n%s", msg)
	}
	c, err := Open(dir, nil)
	if err != nil {
		t.Fatalf("failed Up should keep state.json: %v", err)
	}
	for _, p := range c.Procs() {
		if p.Alive() {
			t.Errorf("pid %d alive after failed Up", p.Pid)
		}
	}
	if err := c.Down(); err != nil {
		t.Fatal(err)
	}
}
