package agentctl

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/testenv/cluster"
)

// applyEnv is a 2-host cluster where host 1 writes transactions and host 2,
// its replication stopped, receives them only as diffs applied by the agent.
// gtid_strict_mode is off on host 2, so that only the agent's skip of
// executed transactions stands between a second apply and duplicates.
type applyEnv struct {
	t      *testing.T
	c      *cluster.Cluster
	pool   *remote.Pool
	bin    Binary
	agents map[int]*Agent
}

func newApplyEnv(t *testing.T, base int) *applyEnv {
	c := cluster.Start(t, cluster.Options{Base: base, Hosts: 2})
	ctx := context.Background()
	bin, err := builtAgent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool := remote.NewPool(remote.Options{KeyFiles: []string{c.ClientKeyFile()}, KnownHostsFile: c.KnownHostsFile(), ConnectTimeout: 5 * time.Second})
	t.Cleanup(func() { pool.Close() })
	e := &applyEnv{t: t, c: c, pool: pool, bin: bin, agents: map[int]*Agent{}}
	// Durability costs an fsync per transaction; these tests need
	// thousands of them, and no crash of the machine.
	for i := 1; i <= 2; i++ {
		e.exec(i, "SET GLOBAL sync_binlog = 0")
		e.exec(i, "SET GLOBAL innodb_flush_log_at_trx_commit = 0")
	}
	e.exec(2, "STOP SLAVE")
	e.exec(2, "SET GLOBAL gtid_strict_mode = 0")
	return e
}

func (e *applyEnv) exec(i int, q string) {
	if err := e.c.Exec(context.Background(), i, q); err != nil {
		e.t.Fatalf("host %d %s: %v", i, q, err)
	}
}

func (e *applyEnv) client(i int, pool *remote.Pool) *remote.Client {
	cl, err := pool.Client(context.Background(), remote.Target{Name: fmt.Sprintf("host%d", i), Host: e.c.IP(i), Port: e.c.Options().SSHPort, User: "root"})
	if err != nil {
		e.t.Fatal(err)
	}
	return cl
}

func (e *applyEnv) agent(i int) *Agent {
	if a := e.agents[i]; a != nil {
		return a
	}
	a, err := Deploy(context.Background(), e.client(i, e.pool), e.c.WorkDir(i), "test", e.bin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Remove() })
	e.agents[i] = a
	return a
}

// diff writes n single-row transactions on host 1, saves them from its
// binlog and copies the diff next to host 2's agent.
func (e *applyEnv) diff(n int, name string) *proto.ExtractResult {
	return e.diffInto("mhago_test.load (worker, payload, created) VALUES (0, REPEAT('y', 100), NOW(6))", n, name)
}

// diffInto is diff with another INSERT target ("table (cols) VALUES (...)").
func (e *applyEnv) diffInto(insert string, n int, name string) *proto.ExtractResult {
	ctx := context.Background()
	ms, err := e.c.MasterStatus(ctx, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	e.exec(1, fmt.Sprintf("BEGIN NOT ATOMIC FOR i IN 1..%d DO INSERT INTO %s; END FOR; END", n, insert))
	pos, _ := strconv.ParseInt(ms["Position"], 10, 64)
	src := e.agent(1)
	saved, err := src.Save(ctx, proto.SaveRequest{BinlogDirs: []string{e.c.BinlogDir(1)}, StartFile: ms["File"], StartPos: pos,
		Output: path.Join(src.Dir(), name)})
	if err != nil {
		e.t.Fatal(err)
	}
	if saved.Transactions != n {
		e.t.Fatalf("saved %d transactions, wrote %d: %+v", saved.Transactions, n, saved)
	}
	dst := path.Join(e.agent(2).Dir(), name)
	if _, err := remote.Copy(ctx, src.Client(), saved.Output, e.agent(2).Client(), dst, nil); err != nil {
		e.t.Fatal(err)
	}
	saved.Output = dst
	return saved
}

// req is an apply of files into host 2.
func (e *applyEnv) req(runID string, files ...string) proto.ApplyRequest {
	return proto.ApplyRequest{Files: files, Host: e.c.IP(2), Port: e.c.Options().MySQLPort, User: "mhago", Password: e.c.Password(),
		Workdir: e.agent(2).Dir(), RunID: runID, LockDir: e.c.WorkDir(2)}
}

func (e *applyEnv) rows(i int) int { return e.count(i, "mhago_test.load") }

func (e *applyEnv) count(i int, table string) int {
	var n int
	e.queryRow(i, "SELECT COUNT(*) FROM "+table, &n)
	return n
}

// queryRow scans the one row of query on host i into dest.
func (e *applyEnv) queryRow(i int, query string, dest any) {
	e.t.Helper()
	db, err := e.c.DB(i)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := db.QueryRow(query).Scan(dest); err != nil {
		e.t.Fatalf("host %d %s: %v", i, query, err)
	}
}

// background starts an apply into host 2 and returns once it has committed
// something, so that what the test does next hits it mid-way whatever the
// machine's load.
func (e *applyEnv) background(ctx context.Context, a *Agent, req proto.ApplyRequest) <-chan applied {
	before := e.rows(2)
	done := make(chan applied, 1)
	go func() {
		res, err := a.Apply(ctx, req, nil)
		done <- applied{res, err}
	}()
	for deadline := time.Now().Add(30 * time.Second); e.rows(2) == before; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			e.t.Fatalf("apply %s committed nothing in 30 s: %v", req.RunID, (<-done).err)
		}
	}
	return done
}

// applied is the outcome of an apply run in the background.
type applied struct {
	res *proto.ApplyResult
	err error
}

// identical checks host 2 holds exactly host 1's rows.
func (e *applyEnv) identical() {
	e.t.Helper()
	ctx := context.Background()
	ids1, err1 := e.c.RowIDs(ctx, 1, "mhago_test.load")
	ids2, err2 := e.c.RowIDs(ctx, 2, "mhago_test.load")
	if err := errors.Join(err1, err2); err != nil {
		e.t.Fatal(err)
	}
	if !slices.Equal(ids1, ids2) {
		e.t.Fatalf("host 2 has %d rows, host 1 %d", len(ids2), len(ids1))
	}
	if err := e.c.CompareChecksums(ctx, 1, 2); err != nil {
		e.t.Fatal(err)
	}
}

func (e *applyEnv) variable(i int, name string) string {
	var v string
	e.queryRow(i, "SELECT @@GLOBAL."+name, &v)
	return v
}

// TestApplySkipExecuted: the same diff applied twice with SkipExecuted is
// applied once: the second apply leaves every transaction out. The rows go
// to a table without a key, where nothing else would stop a replay: a
// third, plain apply duplicates them all, as MHA's replay would have.
// The replayed transactions keep their GTIDs, which is what the skip reads.
func TestApplySkipExecuted(t *testing.T) {
	e := newApplyEnv(t, 200)
	ctx := context.Background()
	for i := 1; i <= 2; i++ {
		e.exec(i, "CREATE TABLE mhago_test.nokey (v INT, payload VARCHAR(200)) ENGINE=InnoDB")
	}
	d := e.diffInto("mhago_test.nokey VALUES (i, REPEAT('k', 100))", 2000, "twice.binlog")
	req := e.req("first", d.Output)
	req.SkipExecuted = true
	first, err := e.agent(2).Apply(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Tracked || first.Transactions != 2000 || first.Skipped != 0 || first.LastGTID != d.LastGTID {
		t.Fatalf("first apply: %+v", first)
	}
	if state := e.variable(2, "gtid_binlog_state"); !strings.Contains(state, d.LastGTID) {
		t.Fatalf("host 2 gtid_binlog_state %q lacks the replayed %s: mariadb-binlog | mariadb lost the GTIDs", state, d.LastGTID)
	}
	e.identical()
	req.RunID = "second"
	second, err := e.agent(2).Apply(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	if second.Transactions != 0 || second.Events != 0 || second.Skipped != 2000 ||
		second.SkippedFirstGTID != d.FirstGTID || second.SkippedLastGTID != d.LastGTID || !strings.Contains(second.Executed, d.LastGTID) {
		t.Fatalf("second apply: %+v", second)
	}
	e.identical()
	if _, err := e.agent(2).Apply(ctx, e.req("plain", d.Output), nil); err != nil {
		t.Fatal(err)
	}
	if n := e.count(2, "mhago_test.nokey"); n != 4000 {
		t.Fatalf("a plain replay left %d rows, not 4000: the test does not show what the skip prevents", n)
	}
}

// TestApplyCutThenResume: an apply killed mid-way (the manager's call was
// cancelled) is completed by a SkipExecuted apply of the same diff, which
// applies exactly what the first did not.
func TestApplyCutThenResume(t *testing.T) {
	e := newApplyEnv(t, 204)
	d := e.diff(10000, "cut.binlog")
	before := e.rows(2)
	ctx, cancel := context.WithCancel(context.Background())
	done := e.background(ctx, e.agent(2), e.req("cut", d.Output))
	cancel()
	if out := <-done; out.err == nil {
		t.Fatalf("the cut apply finished: %+v", out.res)
	}
	cut := e.rows(2) - before
	if cut <= 0 || cut >= 10000 {
		t.Fatalf("the cut apply applied %d of 10000 transactions: not cut in the middle", cut)
	}
	// The killed apply left its pid file; the lock died with its processes.
	left, err := os.ReadFile(filepath.Join(e.c.WorkDir(2), fmt.Sprintf("mhago-apply-%d.pid", e.c.Options().MySQLPort)))
	if err != nil || !strings.Contains(string(left), `"run_id":"cut"`) || !strings.Contains(string(left), `"connection_id":`) {
		t.Fatalf("pid file of the killed apply: %s %v", left, err)
	}
	// SIGKILLed processes let go of the lock a moment after the call
	// returned; status, now answered by the agent's session within a
	// millisecond, must see it free soon, and not report a dead apply.
	e.lockFreed()
	req := e.req("resume", d.Output)
	req.SkipExecuted = true
	res, err := e.agent(2).Apply(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cut after %d transactions; resumed: %+v", cut, res)
	// A COMMIT in flight when the client was killed may land after the
	// count above: the resume waits for it, so it may skip one more.
	if res.Skipped < cut || res.Transactions == 0 || res.Skipped+res.Transactions != 10000 || e.rows(2)-before != 10000 {
		t.Fatalf("resume skipped %d and applied %d after a cut at %d; host 2 gained %d rows", res.Skipped, res.Transactions, cut, e.rows(2)-before)
	}
	e.identical()
}

// TestApplyConcurrent: two applies of one diff into one server at once:
// the second waits for the lock, then finds everything executed. The first
// is held on a table lock until the second is seen at the apply lock, so
// neither can finish before the other starts, however loaded the machine.
func TestApplyConcurrent(t *testing.T) {
	e := newApplyEnv(t, 208)
	d := e.diff(1000, "both.binlog")
	ctx := context.Background()
	db, err := e.c.DB(2)
	if err != nil {
		t.Fatal(err)
	}
	hold, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer hold.Close()
	if _, err := hold.ExecContext(ctx, "LOCK TABLES mhago_test.load WRITE"); err != nil {
		t.Fatal(err)
	}
	reqA, reqB := e.req("a", d.Output), e.req("b", d.Output)
	reqA.SkipExecuted, reqB.SkipExecuted, reqB.WaitRunningMS = true, true, 60000
	doneA, doneB := make(chan applied, 1), make(chan applied, 1)
	go func() { res, err := e.agent(2).Apply(ctx, reqA, nil); doneA <- applied{res, err} }()
	a := e.running(func(r *proto.RunningApply) bool { return r.RunID == "a" && len(r.PIDs) == 3 })
	go func() { res, err := e.agent(2).Apply(ctx, reqB, nil); doneB <- applied{res, err} }()
	e.waitOpenedBy(filepath.Join(e.c.WorkDir(2), fmt.Sprintf("mhago-apply-%d.lock", e.c.Options().MySQLPort)), a.PIDs)
	if _, err := hold.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	ra, rb := <-doneA, <-doneB
	if ra.err != nil || ra.res.Waited != nil || ra.res.Transactions != 1000 || ra.res.Skipped != 0 {
		t.Fatalf("a: %+v %v", ra.res, ra.err)
	}
	if rb.err != nil || rb.res.Waited == nil || rb.res.Waited.RunID != "a" || rb.res.Stopped || rb.res.Transactions != 0 || rb.res.Skipped != 1000 {
		t.Fatalf("b did not wait for a and skip everything: %+v %v", rb.res, rb.err)
	}
	e.identical()
}

// waitOpenedBy returns once a process not in holders has path open: a
// second apply has reached the lock the holders hold.
func (e *applyEnv) waitOpenedBy(path string, holders []int) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
		for _, fd := range fds {
			pid, _ := strconv.Atoi(strings.Split(fd, "/")[2])
			if target, err := os.Readlink(fd); err == nil && target == path && !slices.Contains(holders, pid) {
				return
			}
		}
	}
	e.t.Fatalf("no second apply opened %s in 30 s", path)
}

// TestApplyOrphanStopped: the manager's SSH connection drops mid-apply;
// mariadb-binlog | mariadb goes on applying on the host. status sees it,
// an apply without StopRunning refuses to race it, one with StopRunning
// kills it and applies the rest exactly once.
func TestApplyOrphanStopped(t *testing.T) {
	e := newApplyEnv(t, 212)
	d := e.diff(20000, "orphan.binlog")
	before := e.rows(2)
	lost := remote.NewPool(remote.Options{KeyFiles: []string{e.c.ClientKeyFile()}, KnownHostsFile: e.c.KnownHostsFile(), ConnectTimeout: 5 * time.Second})
	orphan := &Agent{client: e.client(2, lost), dir: e.agent(2).Dir(), bin: e.agent(2).bin}
	gone := e.background(context.Background(), orphan, e.req("orphan", d.Output))
	lost.Close() // as if the manager had been SIGKILLed
	if out := <-gone; out.err == nil {
		t.Fatalf("the apply finished before its connection dropped: %+v", out.res)
	}
	ctx := context.Background()
	running := e.running(func(r *proto.RunningApply) bool { return len(r.PIDs) == 3 && r.ConnectionID != 0 })
	if running.RunID != "orphan" {
		t.Fatalf("status does not show the orphaned apply: %+v", running)
	}
	for _, pid := range running.PIDs {
		if syscall.Kill(pid, 0) != nil {
			t.Fatalf("pid %d of the orphaned apply is not running", pid)
		}
	}
	req := e.req("next", d.Output)
	req.SkipExecuted = true
	if _, err := e.agent(2).Apply(ctx, req, nil); !errors.Is(err, ErrApplyRunning) || !strings.Contains(err.Error(), "run orphan") {
		t.Fatalf("an apply raced the orphan: %v", err)
	}
	req.StopRunning = true
	res, err := e.agent(2).Apply(ctx, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after stopping the orphan: %+v", res)
	if !res.Stopped || res.Waited == nil || res.Waited.RunID != "orphan" || res.Skipped == 0 || res.Transactions == 0 ||
		res.Skipped+res.Transactions != 20000 || res.Skipped != e.rows(2)-before-res.Transactions {
		t.Fatalf("stop and resume: %+v", res)
	}
	for _, pid := range running.PIDs {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("pid %d of the orphaned apply survived", pid)
		}
	}
	e.identical()
	if st, err := e.status(); err != nil || st.Running != nil {
		t.Fatalf("status after the apply: %+v %v", st, err)
	}
}

func (e *applyEnv) status() (*proto.StatusResult, error) {
	return e.agent(2).Status(context.Background(), proto.StatusRequest{Workdir: e.agent(2).Dir(), LockDir: e.c.WorkDir(2), Port: e.c.Options().MySQLPort})
}

// running polls host 2's status until an apply holds the lock and its pid
// file satisfies ok (the pid file is completed just after the client starts).
func (e *applyEnv) running(ok func(*proto.RunningApply) bool) *proto.RunningApply {
	var last *proto.RunningApply
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		st, err := e.status()
		if err != nil {
			e.t.Fatal(err)
		}
		if last = st.Running; last != nil && ok(last) {
			return last
		}
	}
	e.t.Fatalf("status never showed the expected running apply; last %+v", last)
	return nil
}

// TestApplyFailsFast: a client that stops (duplicate key, server killed)
// fails the apply within seconds with its own ERROR line, although the
// decoder still has megabytes to write.
func TestApplyFailsFast(t *testing.T) {
	e := newApplyEnv(t, 216)
	ctx := context.Background()
	d := e.diff(2000, "dup.binlog")
	if _, err := e.agent(2).Apply(ctx, e.req("once", d.Output), nil); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err := e.agent(2).Apply(ctx, e.req("again", d.Output), nil)
	var ae *Error
	if !errors.As(err, &ae) || ae.Code != proto.CodeApplyFailed || !strings.Contains(ae.Message, "ERROR 1062") || time.Since(t0) > 5*time.Second {
		t.Fatalf("duplicate apply after %s: %v", time.Since(t0), err)
	}
	t.Logf("duplicate apply failed after %s: %v", time.Since(t0).Round(time.Millisecond), err)
	if len(ae.Message) > 1000 {
		t.Errorf("error message of %d bytes", len(ae.Message))
	}

	big := e.diff(10000, "big.binlog")
	failed := e.background(ctx, e.agent(2), e.req("killed", big.Output))
	t0 = time.Now()
	if err := e.c.KillMySQL(2); err != nil {
		t.Fatal(err)
	}
	select {
	case out := <-failed:
		err := out.err
		if !errors.As(err, &ae) || ae.Code != proto.CodeApplyFailed ||
			!(strings.Contains(ae.Message, "ERROR 2013") || strings.Contains(ae.Message, "ERROR 2006")) {
			t.Fatalf("apply into a killed server: %v", err)
		}
		t.Logf("apply failed %s after the server was killed: %v", time.Since(t0).Round(time.Millisecond), err)
	case <-time.After(5 * time.Second):
		t.Fatal("apply still running 5 s after its server was killed")
	}
}

// TestLoginAndTools: the replication user's password proven from a
// replica's host against the master; a wrong one is a result (1045) that
// does not show the password; status finds the apply tools.
func TestLoginAndTools(t *testing.T) {
	e := newApplyEnv(t, 220)
	ctx := context.Background()
	a := e.agent(2)
	req := proto.LoginRequest{Host: e.c.IP(1), Port: e.c.Options().MySQLPort, User: "repl", Password: e.c.ReplPassword(), Workdir: a.Dir()}
	res, err := a.Login(ctx, req)
	if err != nil || !res.OK {
		t.Fatalf("login with the right password: %+v %v", res, err)
	}
	req.Password = "wrong-" + e.c.ReplPassword()
	res, err = a.Login(ctx, req)
	if err != nil || res.OK || res.ErrorCode != 1045 || !strings.HasPrefix(res.Message, "ERROR 1045") || strings.Contains(res.Message, req.Password) {
		t.Fatalf("login with a wrong password: %+v %v", res, err)
	}
	if left, _ := filepath.Glob(filepath.Join(a.Dir(), ".client-*")); len(left) > 0 {
		t.Fatalf("option files with the password left behind: %v", left)
	}
	st, err := a.Status(ctx, proto.StatusRequest{Workdir: a.Dir(), Tools: true})
	if err != nil || filepath.Base(st.Decoder) != "mariadb-binlog" || filepath.Base(st.Client) != "mariadb" || st.ToolsError != "" {
		t.Fatalf("status tools: %+v %v", st, err)
	}
	st, err = a.Status(ctx, proto.StatusRequest{Workdir: a.Dir(), Tools: true, ClientBindir: "/nonexistent"})
	if err != nil || st.Decoder != "" || !strings.Contains(st.ToolsError, "/nonexistent") {
		t.Fatalf("status tools in a wrong client_bindir: %+v %v", st, err)
	}
}

// TestDeployUnusableWorkdir: a remote_workdir on a noexec mount, or on a
// full filesystem, is refused with an error that says so.
func TestDeployUnusableWorkdir(t *testing.T) {
	c := cluster.Start(t, cluster.Options{Base: 224, Hosts: 1})
	ctx := context.Background()
	bin, err := builtAgent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool := remote.NewPool(remote.Options{KeyFiles: []string{c.ClientKeyFile()}, KnownHostsFile: c.KnownHostsFile(), ConnectTimeout: 5 * time.Second})
	t.Cleanup(func() { pool.Close() })
	cl, err := pool.Client(ctx, remote.Target{Name: "host1", Host: c.IP(1), Port: c.Options().SSHPort, User: "root"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("noexec", func(t *testing.T) {
		dir := tmpfs(t, "noexec,size=16m")
		_, err := Deploy(ctx, cl, dir, "noexec", bin)
		if !errors.Is(err, ErrNoExec) || !strings.Contains(err.Error(), "mounted noexec?") || !strings.Contains(err.Error(), dir) {
			t.Fatalf("deploy into a noexec mount: %v", err)
		}
		if left, _ := os.ReadDir(dir); len(left) > 0 {
			t.Errorf("deploy left %v behind", left)
		}
	})
	// Another user of the host made mhago-<run id> first (the run id is in
	// the Redis lock), or the agent cache: the agent is not run from it.
	t.Run("planted", func(t *testing.T) {
		refusesPlanted(t, cl, bin, "mhago-planted")
		refusesPlanted(t, cl, bin, cacheDirName)
		if _, err := Deploy(ctx, cl, t.TempDir(), "clean", bin); err != nil {
			t.Fatalf("deploy into a fresh workdir: %v", err)
		}
	})
	t.Run("cache", func(t *testing.T) { testDeployCache(t, cl, bin) })
	t.Run("full", func(t *testing.T) {
		dir := tmpfs(t, "size=4m")
		fill(t, dir, 3<<20)
		_, err := Deploy(ctx, cl, dir, "full", bin)
		if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "bytes free") {
			t.Fatalf("deploy into a full filesystem: %v", err)
		}
		if err := CheckSpace(cl, dir, 10<<20); !errors.Is(err, ErrNoSpace) {
			t.Fatalf("CheckSpace of 10 MB in a 1 MB free filesystem: %v", err)
		}
		if err := CheckSpace(cl, dir, 100<<10); err != nil {
			t.Fatalf("CheckSpace of 100 kB: %v", err)
		}
		// A write that runs out of space midway says so, not SSH_FX_FAILURE.
		err = upload(ctx, cl, make([]byte, 2<<20), path.Join(dir, "big"), 2<<20)
		if !errors.Is(err, ErrNoSpace) || !strings.Contains(err.Error(), "no space left") {
			t.Fatalf("upload into a full filesystem: %v", err)
		}
	})
}

// tmpfs mounts a fresh tmpfs with opts in the test's directory and unmounts
// it at the end (the tests run as root, as the cluster does).
func tmpfs(t *testing.T, opts string) string {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mount tmpfs: %v: %s", err, out)
		}
		t.Skipf("cannot mount a tmpfs here (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file of n bytes into dir.
func fill(t *testing.T, dir string, n int) {
	if err := os.WriteFile(filepath.Join(dir, "filler"), make([]byte, n), 0o600); err != nil {
		t.Fatal(err)
	}
}

// testDeployCache: the agent is pushed once into remote_workdir's cache and
// then reused; a cached copy whose content or permissions changed is pushed
// again (its SHA-256 is checked before every start); old agents are
// pruned. (A cache directory not the SSH user's own: "planted".)
func testDeployCache(t *testing.T, cl *remote.Client, bin Binary) {
	ctx := context.Background()
	workdir := t.TempDir()
	cached := filepath.Join(workdir, cacheDirName, bin.SHA256[:16], "mhago-agent")
	deploy := func(run string) *Agent {
		t.Helper()
		a, err := Deploy(ctx, cl, workdir, run, bin)
		if err != nil {
			t.Fatalf("deploy %s: %v", run, err)
		}
		if _, err := a.Call(ctx, proto.CmdVersion, proto.Request{}); err != nil {
			t.Fatalf("deploy %s: version: %v", run, err)
		}
		if err := a.Remove(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(workdir, "mhago-"+run)); !os.IsNotExist(err) {
			t.Errorf("Remove left the run directory: %v", err)
		}
		return a
	}
	inode := func() uint64 {
		fi, err := os.Stat(cached)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	if a := deploy("first"); a.Cached() {
		t.Fatal("the first deploy into an empty workdir says the agent was cached")
	}
	pushed := inode()
	if a := deploy("second"); !a.Cached() || inode() != pushed {
		t.Errorf("second deploy: cached %v, file replaced %v", a.Cached(), inode() != pushed)
	}

	// Same size, other content: the check on the host catches it.
	if err := os.WriteFile(cached, make([]byte, len(bin.Data)), 0o700); err != nil {
		t.Fatal(err)
	}
	if a := deploy("tampered"); a.Cached() {
		t.Error("a cached agent with other content was used")
	}
	if data, _ := os.ReadFile(cached); !bytes.Equal(data, bin.Data) {
		t.Error("the tampered cached agent was not pushed again")
	}
	os.Chmod(cached, 0o777)
	if a := deploy("loose"); a.Cached() {
		t.Error("a world-writable cached agent was used")
	}
	if fi, _ := os.Stat(cached); fi.Mode().Perm() != 0o700 {
		t.Errorf("pushed again with mode %04o", fi.Mode().Perm())
	}

	// Old agents beyond the newest two go once a day old.
	root := filepath.Join(workdir, cacheDirName)
	old := time.Now().Add(-48 * time.Hour)
	for _, name := range []string{"0000000000000001", "0000000000000002", "0000000000000003"} {
		os.Mkdir(filepath.Join(root, name), 0o700)
		when := old.Add(time.Duration(name[15]-'0') * time.Minute)
		os.Chtimes(filepath.Join(root, name), when, when)
	}
	deploy("prune")
	left, _ := os.ReadDir(root)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	if want := []string{"0000000000000003", bin.SHA256[:16]}; !slices.Equal(names, want) {
		t.Errorf("after prune the cache holds %v, want %v", names, want)
	}
}

// refusesPlanted: a directory named name in remote_workdir that another
// user made (or made a symlink, or left group-writable) makes Deploy
// refuse with ErrNotPrivate naming it.
func refusesPlanted(t *testing.T, cl *remote.Client, bin Binary, name string) {
	t.Helper()
	for kind, plant := range map[string]func(string) error{
		"other owner":    func(d string) error { return os.Chown(d, 65534, 65534) },
		"group writable": func(d string) error { return os.Chmod(d, 0o770) },
		"symlink": func(d string) error {
			os.Remove(d)
			return os.Symlink(t.TempDir(), d)
		},
	} {
		workdir := t.TempDir()
		dir := filepath.Join(workdir, name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := plant(dir); err != nil {
			t.Fatal(err)
		}
		_, err := Deploy(context.Background(), cl, workdir, "planted", bin)
		if !errors.Is(err, ErrNotPrivate) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "remove it") {
			t.Errorf("%s %s: deploy: %v", name, kind, err)
		}
	}
}
