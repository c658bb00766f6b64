package agentctl

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/mhago/mhago/binlog"
	"github.com/mhago/mhago/instance"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/testenv/cluster"
)

// env is a test cluster with agents deployed on its hosts.
type env struct {
	t      *testing.T
	c      *cluster.Cluster
	pool   *remote.Pool
	bin    Binary
	agents map[int]*Agent
}

func newEnv(t *testing.T, opts cluster.Options) *env {
	c := cluster.Start(t, opts)
	ctx := context.Background()
	bin, err := builtAgent(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pool := remote.NewPool(remote.Options{KeyFiles: []string{c.ClientKeyFile()}, KnownHostsFile: c.KnownHostsFile(), ConnectTimeout: 5 * time.Second})
	t.Cleanup(func() { pool.Close() })
	return &env{t: t, c: c, pool: pool, bin: bin, agents: map[int]*Agent{}}
}

func (e *env) agent(i int) *Agent {
	if a := e.agents[i]; a != nil {
		return a
	}
	ctx := context.Background()
	cl, err := e.pool.Client(ctx, remote.Target{Name: fmt.Sprintf("host%d", i), Host: e.c.IP(i), Port: e.c.Options().SSHPort, User: "root"})
	if err != nil {
		e.t.Fatal(err)
	}
	a, err := Deploy(ctx, cl, e.c.WorkDir(i), "test", e.bin)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { a.Remove() })
	e.agents[i] = a
	return a
}

func (e *env) db(i int) *sql.DB {
	db, err := e.c.DB(i)
	if err != nil {
		e.t.Fatal(err)
	}
	return db
}

func (e *env) replica(i int) *instance.ReplicaStatus {
	st, err := instance.Read(context.Background(), e.db(i), fmt.Sprint(i))
	if err != nil || st.Replica == nil {
		e.t.Fatalf("host %d: not a replica: %v", i, err)
	}
	return st.Replica
}

// waitRows waits until host i has more than n rows in the load table.
func (e *env) waitRows(i, n int) {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		var got int
		if err := e.db(i).QueryRow("SELECT COUNT(*) FROM mhago_test.load").Scan(&got); err == nil && got > n {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatalf("host %d never reached %d rows", i, n)
}

// settleAndStopSQL waits until host i's SQL thread has executed all it can
// (everything read, or idle at a relay log that ends mid-transaction), then
// stops it, as a failover does before applying diffs.
func (e *env) settleAndStopSQL(i int) *instance.ReplicaStatus {
	ctx := context.Background()
	var last string
	stable := time.Now()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		r := e.replica(i)
		pos := fmt.Sprintf("%s:%d", r.RelayMasterLogFile, r.ExecMasterLogPos)
		if pos != last {
			last, stable = pos, time.Now()
		}
		caughtUp := r.RelayMasterLogFile == r.MasterLogFile && r.ExecMasterLogPos == r.ReadMasterLogPos
		if caughtUp || !r.SQLRunningYes() || time.Since(stable) > time.Second {
			if err := e.c.Exec(ctx, i, "STOP SLAVE SQL_THREAD"); err != nil {
				e.t.Fatal(err)
			}
			return e.replica(i)
		}
	}
	e.t.Fatalf("host %d SQL thread never settled", i)
	return nil
}

// execDiff extracts what host i read but did not execute, from its own
// relay logs; "" when it executed everything.
func (e *env) execDiff(i int, r *instance.ReplicaStatus) string {
	if r.RelayMasterLogFile == r.MasterLogFile && r.ExecMasterLogPos == r.ReadMasterLogPos {
		return ""
	}
	ctx := context.Background()
	dir, prefix, err := instance.RelayLogLocation(ctx, e.db(i))
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.agent(i).Diff(ctx, proto.FindRequest{RelayDir: dir, RelayPrefix: prefix, ServerID: uint32(i),
		FromFile: r.RelayLogFile, FromPos: int64(r.RelayLogPos), Output: path.Join(e.agent(i).Dir(), "exec.binlog")})
	if err != nil {
		e.t.Fatalf("exec diff on host %d: %v", i, err)
	}
	e.t.Logf("host %d exec diff from %s:%d: %+v", i, r.RelayLogFile, r.RelayLogPos, res.Extract)
	return res.Extract.Output
}

// waitRead waits until host i's IO thread has read at least as far as
// latest. Not exactly as far: the master may still append a
// Binlog_checkpoint (no data) after latest was read, and host i may read it.
func (e *env) waitRead(i int, latest *instance.ReplicaStatus) {
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		r := e.replica(i)
		c := binlog.CompareBinlogNames(r.MasterLogFile, latest.MasterLogFile)
		if c > 0 || c == 0 && r.ReadMasterLogPos >= latest.ReadMasterLogPos {
			return
		}
	}
	e.t.Fatalf("host %d IO thread never read up to %s:%d", i, latest.MasterLogFile, latest.ReadMasterLogPos)
}

// endWithTransaction writes single rows until the master's newest binlog
// holds a transaction: when the last write triggers a rotation, the new file
// has only header events, and there would be no transaction to cut.
func (e *env) endWithTransaction() []int64 {
	var acked []int64
	for range 20 {
		files, err := binlog.ListBinlogs(e.c.BinlogDir(1), "mysql-bin")
		if err != nil || len(files) == 0 {
			e.t.Fatalf("list master binlogs: %v", err)
		}
		sum, err := binlog.ScanFile(files[len(files)-1], nil)
		if err != nil {
			e.t.Fatal(err)
		}
		if sum.Transactions > 0 {
			return acked
		}
		acked = append(acked, e.load(1).Acked...)
	}
	e.t.Fatal("the master's newest binlog never held a transaction")
	return nil
}

// load runs a bounded load to completion.
func (e *env) load(rows int) cluster.LoadResult {
	l, err := e.c.StartLoad(context.Background(), cluster.LoadOptions{Rows: rows, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	res := l.Wait()
	if res.LastErr != nil || len(res.Acked) != rows {
		e.t.Fatalf("load: %d of %d acked: %v", len(res.Acked), rows, res.LastErr)
	}
	return res
}

// file is a diff file on a host.
type file struct {
	host int
	path string
}

// apply copies the files to host target (in order) and applies them there
// in one session.
func (e *env) apply(target int, files ...file) *proto.ApplyResult {
	ctx := context.Background()
	dst := e.agent(target)
	var paths []string
	for n, f := range files {
		if f.path == "" {
			continue
		}
		p := f.path
		if f.host != target {
			p = path.Join(dst.Dir(), fmt.Sprintf("from-%d-%d-%s", f.host, n, path.Base(f.path)))
			var last int64
			if _, err := remote.Copy(ctx, e.agent(f.host).Client(), f.path, dst.Client(), p, func(done, total int64) { last = done }); err != nil {
				e.t.Fatal(err)
			}
			if last == 0 {
				e.t.Errorf("copy of %s reported no progress", f.path)
			}
		}
		paths = append(paths, p)
	}
	res, err := dst.Apply(ctx, proto.ApplyRequest{Files: paths, Host: e.c.IP(target), Port: e.c.Options().MySQLPort,
		User: "mhago", Password: e.c.Password(), Workdir: dst.Dir()}, nil)
	if err != nil {
		e.t.Fatalf("apply on host %d: %v", target, err)
	}
	e.t.Logf("applied on host %d: %+v", target, res)
	return res
}

// TestRelayLogDiffs: a replica whose SQL thread stopped during load and one
// whose IO thread stopped during load both end identical to the latest
// replica once their relay-log diffs are applied.
func TestRelayLogDiffs(t *testing.T) {
	e := newEnv(t, cluster.Options{Base: 60, MaxBinlogSize: 64 << 10})
	ctx := context.Background()
	acked := e.load(500).Acked
	l, err := e.c.StartLoad(ctx, cluster.LoadOptions{Rows: 2000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRows(3, 700)
	if err := e.c.StopSQLThread(ctx, 3); err != nil {
		t.Fatal(err)
	}
	e.waitRows(4, 1200)
	if err := e.c.StopIOThread(ctx, 4); err != nil {
		t.Fatal(err)
	}
	acked = append(acked, l.Wait().Acked...)
	acked = append(acked, e.load(300).Acked...) // host 4 surely misses these
	slices.Sort(acked)
	if err := e.c.Sync(ctx, 1, 2); err != nil {
		t.Fatal(err)
	}
	e.waitRead(3, e.replica(2))
	for _, i := range []int{2, 3} { // freeze, as a failover's phase 2 does
		if err := e.c.StopIOThread(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	e.settleAndStopSQL(2)
	r3 := e.replica(3)
	r4 := e.settleAndStopSQL(4)

	exec3 := e.execDiff(3, r3)
	if exec3 == "" {
		t.Fatalf("host 3 executed everything: its SQL thread stopped too late")
	}
	exec4 := e.execDiff(4, r4)
	dir2, prefix2, err := instance.RelayLogLocation(ctx, e.db(2))
	if err != nil {
		t.Fatal(err)
	}
	read4, err := e.agent(2).Diff(ctx, proto.FindRequest{RelayDir: dir2, RelayPrefix: prefix2, ServerID: 2,
		MasterFile: r4.MasterLogFile, MasterPos: uint32(r4.ReadMasterLogPos), Output: path.Join(e.agent(2).Dir(), "read-4.binlog")})
	if err != nil {
		t.Fatal(err)
	}
	if read4.AllApplied || read4.Extract.Transactions == 0 {
		t.Fatalf("read diff for host 4 is empty: %+v", read4)
	}
	t.Logf("host 4 read %s:%d found at %s:%d on host 2: %+v", r4.MasterLogFile, r4.ReadMasterLogPos, read4.RelayFile, read4.RelayOffset, read4.Extract)

	e.apply(3, file{3, exec3})
	e.apply(4, file{4, exec4}, file{2, read4.Extract.Output})
	if err := e.c.CompareChecksums(ctx, 1, 2, 3, 4); err != nil {
		t.Fatalf("after applying diffs: %v", err)
	}
	for _, i := range []int{3, 4} {
		ids, _ := e.c.RowIDs(ctx, i, "mhago_test.load")
		if !slices.Equal(ids, acked) {
			t.Errorf("host %d has %d rows, want the %d acknowledged", i, len(ids), len(acked))
		}
	}
}

// TestSaveDeadMasterBinlog: replicas whose IO threads stopped during load are
// completed from the killed master's binlog, saved across rotations; a
// truncated last event is reported and only complete transactions applied.
func TestSaveDeadMasterBinlog(t *testing.T) {
	e := newEnv(t, cluster.Options{Base: 70, Hosts: 3, MaxBinlogSize: 8192})
	ctx := context.Background()
	l, err := e.c.StartLoad(ctx, cluster.LoadOptions{Rows: 1000, Workers: 4, Duration: 60 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	e.waitRows(2, 300)
	for _, i := range []int{2, 3} {
		if err := e.c.StopIOThread(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	acked := l.Wait().Acked
	acked = append(acked, e.load(300).Acked...)
	acked = append(acked, e.endWithTransaction()...)
	slices.Sort(acked)
	if err := e.c.KillMySQL(1); err != nil {
		t.Fatal(err)
	}
	r2 := e.settleAndStopSQL(2)
	r3 := e.settleAndStopSQL(3)
	exec2, exec3 := e.execDiff(2, r2), e.execDiff(3, r3)

	saved, err := e.agent(1).Save(ctx, proto.SaveRequest{BinlogDirs: []string{"/nonexistent", e.c.BinlogDir(1)},
		StartFile: r2.MasterLogFile, StartPos: int64(r2.ReadMasterLogPos), Output: path.Join(e.agent(1).Dir(), "saved.binlog")})
	if err != nil {
		t.Fatal(err)
	}
	if saved.StopFile == r2.MasterLogFile {
		t.Fatalf("the master's binlog did not rotate after the replica's read position: %+v", saved)
	}
	t.Logf("saved from %s:%d: %+v", r2.MasterLogFile, r2.ReadMasterLogPos, saved)
	e.apply(2, file{2, exec2}, file{1, saved.Output})
	ids2, _ := e.c.RowIDs(ctx, 2, "mhago_test.load")
	if missing := missingIDs(acked, ids2); len(missing) > 0 {
		t.Fatalf("%d acknowledged rows missing on host 2 after applying the saved binlog: %v", len(missing), missing[:min(5, len(missing))])
	}

	// Crash the master while it writes the commit event of its newest
	// binlog's last transaction, and save again for host 3.
	lost := crashMidCommit(t, filepath.Join(e.c.BinlogDir(1), saved.StopFile))
	cut, err := e.agent(1).Save(ctx, proto.SaveRequest{BinlogDirs: []string{e.c.BinlogDir(1)},
		StartFile: r3.MasterLogFile, StartPos: int64(r3.ReadMasterLogPos), Output: path.Join(e.agent(1).Dir(), "cut.binlog")})
	if err != nil {
		t.Fatal(err)
	}
	if cut.Truncated != lost.cut.String() {
		t.Fatalf("save reported truncated %q, want %q: %+v", cut.Truncated, lost.cut, cut)
	}
	// The saved piece keeps the unfinished transaction (a later piece could
	// end it); apply, where nothing follows, trims it.
	gtids := fileGTIDs(t, cut.Output)
	if len(gtids) < 2 || gtids[len(gtids)-1] != lost.gtid {
		t.Fatalf("saved piece should end with the unfinished transaction %s, has GTIDs ...%v", lost.gtid, gtids[max(0, len(gtids)-3):])
	}
	a3 := e.apply(3, file{3, exec3}, file{1, cut.Output})
	if a3.Trimmed != lost.events || a3.LastGTID != gtids[len(gtids)-2] {
		t.Errorf("apply should trim the %d events of %s and end at %s: %+v", lost.events, lost.gtid, gtids[len(gtids)-2], a3)
	}
	ids3, _ := e.c.RowIDs(ctx, 3, "mhago_test.load")
	// The unfinished transaction inserted exactly one row: that row is lost
	// (with 4 writers it need not be the highest id).
	if len(ids3) != len(ids2)-1 || len(missingIDs(ids3, ids2)) != 0 {
		t.Fatalf("host 3 has %d rows, want host 2's %d rows minus one; missing %v", len(ids3), len(ids2), missingIDs(ids2, ids3))
	}
}

// unfinished is a transaction whose commit event a crash cut.
type unfinished struct {
	gtid   string
	events int              // its complete data events: what apply trims
	cut    binlog.Truncated // its commit event, as a reader reports it
}

// crashMidCommit makes file end as if its server died while writing the
// commit event of the file's last transaction: the file is cut 7 bytes short
// of that event's end, and whatever followed it is gone.
//
// The cut is placed by reading the events, not by dropping the file's last
// bytes: MariaDB's binlog background thread writes a Binlog_checkpoint
// whenever an older binlog's commits are durable in InnoDB, and it may land
// after the last transaction. Cutting the file's tail then cut that header
// event and left every transaction whole.
func crashMidCommit(t *testing.T, file string) unfinished {
	t.Helper()
	var cur, last unfinished
	var commit *binlog.Event
	_, err := binlog.ScanFile(file, func(ev binlog.Event) error {
		switch {
		case ev.Type.IsHeader():
		case ev.TxBoundary:
			cur.cut = binlog.Truncated{At: ev.Offset, Have: ev.End - ev.Offset - 7, Need: ev.End - ev.Offset}
			last, commit, cur = cur, &ev, unfinished{}
		case ev.GTID != "":
			cur = unfinished{gtid: ev.GTID, events: 1}
		default:
			cur.events++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", file, err)
	}
	if commit == nil || last.gtid == "" || last.cut.Have <= binlog.HeaderLen {
		t.Fatalf("%s ends with no GTID transaction whose commit event can be cut: %+v", file, last)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(file, commit.End-7); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: cut at %d inside the commit event %d-%d of %s; %d bytes after that event dropped",
		filepath.Base(file), commit.End-7, commit.Offset, commit.End, last.gtid, fi.Size()-commit.End)
	return last
}

// fileGTIDs lists the GTIDs of a binlog file's transactions, in order.
func fileGTIDs(t *testing.T, file string) []string {
	t.Helper()
	var out []string
	if _, err := binlog.ScanFile(file, func(ev binlog.Event) error {
		if ev.GTID != "" {
			out = append(out, ev.GTID)
		}
		return nil
	}); err != nil {
		t.Fatalf("scan %s: %v", file, err)
	}
	return out
}

func missingIDs(want, have []int64) []int64 {
	var out []int64
	for _, id := range want {
		if _, ok := slices.BinarySearch(have, id); !ok {
			out = append(out, id)
		}
	}
	return out
}
