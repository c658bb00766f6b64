package agentctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/remote"
)

// baseBigTx: the tests of this file start their 2-host clusters here,
// one at a time.
const baseBigTx = 228

// bigRows makes one transaction of about 64 MB: far above MariaDB
// 10.11's default max_allowed_packet of 16 MiB, and mariadb-binlog writes
// its row events as one BINLOG statement of about 90 MB.
const bigRows = 300_000

const defaultPacket = "16777216"

// bigDiff writes one transaction of rows rows on host 1 (INSERT ... SELECT
// from the Sequence engine), saves it from host 1's binlog and copies the
// diff next to host 2's agent.
func (e *applyEnv) bigDiff(rows int, name string) *proto.ExtractResult {
	ctx := context.Background()
	ms, err := e.c.MasterStatus(ctx, 1)
	if err != nil {
		e.t.Fatal(err)
	}
	t0 := time.Now()
	e.exec(1, fmt.Sprintf("INSERT INTO mhago_test.load (worker, payload, created) SELECT 7, REPEAT('b', 200), NOW(6) FROM mhago_test.seq_1_to_%d", rows))
	e.t.Logf("host 1 committed %d rows in one transaction in %s", rows, time.Since(t0).Round(time.Millisecond))
	pos, _ := strconv.ParseInt(ms["Position"], 10, 64)
	src := e.agent(1)
	saved, err := src.Save(ctx, proto.SaveRequest{BinlogDirs: []string{e.c.BinlogDir(1)}, StartFile: ms["File"], StartPos: pos,
		Output: path.Join(src.Dir(), name)})
	if err != nil {
		e.t.Fatal(err)
	}
	if saved.Transactions != 1 || saved.Bytes < 60<<20 {
		e.t.Fatalf("saved %d transactions, %d bytes; want one of 60 MB or more", saved.Transactions, saved.Bytes)
	}
	dst := path.Join(e.agent(2).Dir(), name)
	if _, err := remote.Copy(ctx, src.Client(), saved.Output, e.agent(2).Client(), dst, nil); err != nil {
		e.t.Fatal(err)
	}
	saved.Output = dst
	return saved
}

func (e *applyEnv) settingsFile() string {
	return filepath.Join(e.c.WorkDir(2), fmt.Sprintf("mhago-apply-%d.settings", e.c.Options().MySQLPort))
}

// wantPacket checks host 2's global max_allowed_packet.
func (e *applyEnv) wantPacket(want, when string) {
	e.t.Helper()
	if got := e.variable(2, "max_allowed_packet"); got != want {
		e.t.Fatalf("%s: host 2 max_allowed_packet = %s, want %s", when, got, want)
	}
}

// TestApplyBigTransaction: a diff holding one 64 MB transaction applies
// in one piece; max_allowed_packet was raised for the apply only, and
// MariaDB's missing super_read_only is left alone. While it runs, the
// agent reports how many of its bytes went through.
func TestApplyBigTransaction(t *testing.T) {
	e := newApplyEnv(t, baseBigTx)
	e.wantPacket(defaultPacket, "before")
	d := e.bigDiff(bigRows, "big.binlog")
	req := e.req("big", d.Output)
	req.SkipExecuted = true
	t0 := time.Now()
	var progress []proto.ApplyProgress
	res, err := e.agent(2).Apply(context.Background(), req, func(p proto.ApplyProgress) { progress = append(progress, p) })
	took := time.Since(t0)
	if err != nil {
		t.Fatalf("apply of one %d-byte transaction after %s: %v", d.Bytes, took, err)
	}
	t.Logf("applied one transaction of %d rows, %.1f MB, in %s (%.1f MB/s); settings %v",
		bigRows, float64(res.Bytes)/1e6, took.Round(time.Millisecond), float64(res.Bytes)/1e6/took.Seconds(), res.Settings)
	if res.Transactions != 1 || res.Bytes < 60<<20 || res.SettingsWarning != "" {
		t.Fatalf("apply: %+v", res)
	}
	if len(res.Settings) != 1 || res.Settings[0] != (proto.SettingChange{Variable: proto.VarMaxAllowedPacket, Was: defaultPacket, Set: "1073741824", Restored: true}) {
		t.Fatalf("settings changed for the apply: %+v", res.Settings)
	}
	e.identical()
	e.wantPacket(defaultPacket, "after")
	if _, err := os.Stat(e.settingsFile()); err == nil {
		t.Fatal("settings record left after a finished apply")
	}
	if took > 2*time.Second && len(progress) == 0 {
		t.Fatalf("no progress reported in a %s apply", took)
	}
	for i, p := range progress {
		if p.TotalBytes != res.Bytes || p.TotalTransactions != 1 || p.Bytes <= 0 || p.Bytes > p.TotalBytes || (i > 0 && p.Bytes < progress[i-1].Bytes) {
			t.Fatalf("progress %d of %d: %+v (applied %d bytes)", i+1, len(progress), p, res.Bytes)
		}
	}
	t.Logf("progress lines: %+v", progress)
}

// TestApplyBigTransactionCrash: the agent and its client are SIGKILLed
// while the big transaction is sent. max_allowed_packet stays raised and
// its original value recorded; status reports it, status with
// credentials puts it back. After a second crash, the next apply puts it
// back, then applies the transaction, and restores it again.
func TestApplyBigTransactionCrash(t *testing.T) {
	e := newApplyEnv(t, baseBigTx)
	ctx := context.Background()
	d := e.bigDiff(bigRows, "crash.binlog")

	e.crashMidApply("crash1", d.Output)
	st, err := e.status()
	if err != nil || st.Running != nil || st.SettingsLeft == nil || st.SettingsLeft.RunID != "crash1" ||
		st.SettingsLeft.Changes[0].Restored || st.SettingsLeft.Changes[0].Was != defaultPacket {
		t.Fatalf("status after the crash: %+v %v", st, err)
	}
	e.wantPacket("1073741824", "status without credentials")
	withCreds := proto.StatusRequest{Workdir: e.agent(2).Dir(), LockDir: e.c.WorkDir(2), Port: e.c.Options().MySQLPort,
		Host: e.c.IP(2), User: "mhago", Password: e.c.Password()}
	st, err = e.agent(2).Status(ctx, withCreds)
	if err != nil || st.SettingsLeft == nil || !st.SettingsLeft.Changes[0].Restored {
		t.Fatalf("status with credentials: %+v %v", st, err)
	}
	e.wantPacket(defaultPacket, "status with credentials")
	if _, err := os.Stat(e.settingsFile()); err == nil {
		t.Fatal("settings record left after status put the values back")
	}

	e.crashMidApply("crash2", d.Output)
	req := e.req("after", d.Output)
	req.SkipExecuted = true
	t0 := time.Now()
	res, err := e.agent(2).Apply(ctx, req, nil)
	if err != nil {
		t.Fatalf("apply after the crash: %v", err)
	}
	t.Logf("apply after the crash took %s: settings left %+v, settings %v", time.Since(t0).Round(time.Millisecond), res.SettingsLeft, res.Settings)
	if res.SettingsLeft == nil || res.SettingsLeft.RunID != "crash2" || !res.SettingsLeft.Changes[0].Restored ||
		len(res.Settings) != 1 || res.Settings[0].Was != defaultPacket || !res.Settings[0].Restored || res.Transactions+res.Skipped != 1 {
		t.Fatalf("apply after the crash: %+v", res)
	}
	e.identical()
	e.wantPacket(defaultPacket, "after the next apply")
	if _, err := os.Stat(e.settingsFile()); err == nil {
		t.Fatal("settings record left after the next apply")
	}
}

// crashMidApply starts an apply of file into host 2, waits until its
// client has connected (with max_allowed_packet raised) and SIGKILLs the
// agent, then its client and decoder, as a host losing them would. The
// record of the original value must survive.
func (e *applyEnv) crashMidApply(runID, file string) {
	e.t.Helper()
	done := make(chan applied, 1)
	go func() {
		res, err := e.agent(2).Apply(context.Background(), e.req(runID, file), nil)
		done <- applied{res, err}
	}()
	r := e.runningLong(func(r *proto.RunningApply) bool { return r.RunID == runID && len(r.PIDs) == 3 && r.ConnectionID != 0 })
	e.wantPacket("1073741824", "during the apply")
	// agent, decoder, client: one that already exited because another
	// died first (the agent's pipe kills its partner) is no failure; the
	// row count below proves nothing was committed.
	for _, pid := range r.PIDs {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			e.t.Fatalf("kill pid %d of the apply: %v", pid, err)
		}
	}
	if out := <-done; out.err == nil {
		e.t.Fatalf("the apply finished before it was killed: %+v", out.res)
	}
	e.lockFreed()
	b, err := os.ReadFile(e.settingsFile())
	var rec proto.ApplySettings
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil || rec.RunID != runID || len(rec.Changes) != 1 || rec.Changes[0].Was != defaultPacket {
		e.t.Fatalf("settings record after the crash: %s %v", b, err)
	}
	e.wantPacket("1073741824", "after the crash")
	if n := e.rows(2); n != e.rows(1)-bigRows {
		e.t.Fatalf("host 2 has %d rows after the crash: part of the transaction was committed", n)
	}
}

// runningLong is running with a bound for a loaded machine: the apply
// first joins 64 MB of diff, then starts its client.
func (e *applyEnv) runningLong(ok func(*proto.RunningApply) bool) *proto.RunningApply {
	var last *proto.RunningApply
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
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

// lockFreed waits until no process of a killed apply holds the lock.
func (e *applyEnv) lockFreed() {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st, err := e.status(); err == nil && st.Running == nil {
			return
		}
	}
	e.t.Fatal("the killed apply's lock is still held after 10 s")
}
