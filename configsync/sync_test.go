package configsync

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/config"
	"github.com/mhago/mhago/coord"
)

// Manager A's file: comments, host-local settings, its own layout.
const fileA = `# manager A
[server default]
cluster_id={{cluster}}
redis_address={{redis}}
manager_workdir={{dir}}/work
log_level=debug
user=mhago
ssh_key_file={{dir}}/id_a

[server1]
hostname=127.0.0.1
# preferred
candidate_master=1

[server2]
hostname=127.0.0.2

[server3]
hostname=127.0.0.3
`

// Manager B's file for the same cluster: other name, other local settings,
// CRLF, [server default] last, an outdated server list and user.
const fileB = "; manager B keeps its own comments\r\n" +
	"[server2]\r\n" +
	"hostname=127.0.0.2\r\n" +
	"\r\n" +
	"[server1]\r\n" +
	"hostname=127.0.0.1\r\n" +
	"\r\n" +
	"[server default]\r\n" +
	"cluster_id={{cluster}}\r\n" +
	"# local to B\r\n" +
	"manager_workdir={{dir}}/mha\r\n" +
	"redis_address={{redis}}\r\n" +
	"user=root\r\n" +
	"ping_interval=1\r\n"

// TestPushPull: A pushes, B (another file name, other local settings)
// pulls: both end with the same cluster part, B's own lines untouched and
// its old file backed up; then A drops a server and B follows.
func TestPushPull(t *testing.T) {
	c := sharedClient(t)
	ctx := ctxFor(t, 20*time.Second)
	cl := testCluster(t)
	a := newManager(t, "app1.cnf", fileA, shared.addr(), cl)
	b := newManager(t, "mha-app1-if.conf", fileB, shared.addr(), cl)
	bOrig := b.text()

	pub, err := Push(ctx, c, a.cfg(), 0, "")
	if err != nil {
		t.Fatal(err)
	}
	if pub.Version != 1 || pub.Fence != 0 || pub.By == "" || pub.Text != a.part() {
		t.Fatalf("published %+v", pub)
	}
	if a.cfg().ConfigVersion != 1 {
		t.Fatalf("A's file does not record version 1:\n%s", a.text())
	}
	changed, v, err := Pull(ctx, c, b.cfg())
	if err != nil || !changed || v != 1 {
		t.Fatalf("pull: changed %v v %d err %v", changed, v, err)
	}
	if b.part() != a.part() {
		t.Fatalf("cluster parts differ:\nA %q\nB %q", a.part(), b.part())
	}
	assertLocalKept(t, b.text())
	if bak, err := os.ReadFile(BackupPath(b.path, 0)); err != nil || string(bak) != bOrig {
		t.Fatalf("backup of B: %v\n%q", err, bak)
	}
	if bc := b.cfg(); bc.ConfigVersion != 1 || len(bc.Servers) != 3 || bc.Default.User != "mhago" || bc.PingInterval != time.Second {
		t.Fatalf("B loads as version %d, %d servers, user %s, ping %s", bc.ConfigVersion, len(bc.Servers), bc.Default.User, bc.PingInterval)
	}
	// Nothing new: no rewrite.
	if changed, v, err := Pull(ctx, c, b.cfg()); changed || v != 1 || err != nil {
		t.Fatalf("second pull: changed %v v %d err %v", changed, v, err)
	}

	// A drops server3 (as --remove-dead-master-conf does) and pushes.
	if err := config.RemoveServerBlock(a.path, "server3", ""); err != nil {
		t.Fatal(err)
	}
	if pub, err = Push(ctx, c, a.cfg(), 0, ""); err != nil || pub.Version != 2 {
		t.Fatalf("second push: %+v %v", pub, err)
	}
	if changed, v, err := Pull(ctx, c, b.cfg()); !changed || v != 2 || err != nil {
		t.Fatalf("pull of v2: changed %v v %d err %v", changed, v, err)
	}
	if strings.Contains(b.text(), "[server3]") || b.part() != a.part() {
		t.Fatalf("B still lists server3 or differs from A:\n%s", b.text())
	}
	assertLocalKept(t, b.text())
}

// assertLocalKept checks B's host-local lines and line endings survived.
func assertLocalKept(t *testing.T, text string) {
	t.Helper()
	for _, want := range []string{
		"; manager B keeps its own comments\r\n[server2]\r\n",
		"# local to B\r\nmanager_workdir=",
		"ping_interval=1\r\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("B lost %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "\n") != strings.Count(text, "\r\n") {
		t.Errorf("B's line endings are mixed:\n%q", text)
	}
}

// TestVersionsOnlyGrow: a pull does not go back to an older version, a
// push from an outdated file is refused, and a Redis that lost its data
// continues from the file's version.
func TestVersionsOnlyGrow(t *testing.T) {
	c := sharedClient(t)
	ctx := ctxFor(t, 20*time.Second)
	cl := testCluster(t)
	a := newManager(t, "a.cnf", fileA, shared.addr(), cl)
	b := newManager(t, "b.cnf", fileB, shared.addr(), cl)
	if _, err := Push(ctx, c, a.cfg(), 0, ""); err != nil {
		t.Fatal(err)
	}
	// B, at version 0 with another part, may not push over version 1.
	before := b.text()
	if _, err := Push(ctx, c, b.cfg(), 0, ""); !errors.Is(err, ErrStaleConfig) || !strings.Contains(err.Error(), "mhago config pull --conf "+b.path) {
		t.Fatalf("push from a stale file: %v", err)
	}
	if b.text() != before {
		t.Fatal("a refused push changed the file")
	}
	// B claims version 5: Redis's 1 is older, the pull refuses.
	if err := os.WriteFile(b.path, []byte(setDefaultKey(before, versionKey, "5")), 0o640); err != nil {
		t.Fatal(err)
	}
	before = b.text()
	if changed, v, err := Pull(ctx, c, b.cfg()); !errors.Is(err, ErrOlderVersion) || changed || v != 5 {
		t.Fatalf("pull of an older version: changed %v v %d err %v", changed, v, err)
	}
	if b.text() != before {
		t.Fatal("a refused pull changed the file")
	}
	// A Redis that lost its data: the counter restarts from B's 5.
	if err := c.Del(ctx, Key("", cl), counterKey("", cl)).Err(); err != nil {
		t.Fatal(err)
	}
	if pub, err := Push(ctx, c, b.cfg(), 0, ""); err != nil || pub.Version != 6 {
		t.Fatalf("push after data loss: %+v %v", pub, err)
	}
	// A run's push carries its fence; an older run's push is refused.
	if pub, err := Push(ctx, c, b.cfg(), 7, "run-7"); err != nil || pub.Version != 7 || pub.Fence != 7 || pub.RunID != "run-7" {
		t.Fatalf("push with fence 7: %+v %v", pub, err)
	}
	if _, err := Push(ctx, c, b.cfg(), 6, "run-6"); !errors.Is(err, ErrStaleFence) {
		t.Fatalf("push with an older fence: %v", err)
	}
	if pub, err := Push(ctx, c, b.cfg(), 0, ""); err != nil || pub.Fence != 7 {
		t.Fatalf("a manual push must carry the fence forward: %+v %v", pub, err)
	}
}

// TestCheckFresh: a file behind Redis with another part is stale; one
// behind only by versions that changed nothing is not.
func TestCheckFresh(t *testing.T) {
	c := sharedClient(t)
	ctx := ctxFor(t, 20*time.Second)
	cl := testCluster(t)
	a := newManager(t, "a.cnf", fileA, shared.addr(), cl)
	b := newManager(t, "b.cnf", fileB, shared.addr(), cl)
	if err := CheckFresh(ctx, c, b.cfg()); err != nil {
		t.Fatalf("nothing pushed yet: %v", err)
	}
	if _, err := Push(ctx, c, a.cfg(), 0, ""); err != nil {
		t.Fatal(err)
	}
	err := CheckFresh(ctx, c, b.cfg())
	if !errors.Is(err, ErrStaleConfig) || !strings.Contains(err.Error(), "mhago config pull --conf "+b.path) {
		t.Fatalf("stale B: %v", err)
	}
	if _, _, err := Pull(ctx, c, b.cfg()); err != nil {
		t.Fatal(err)
	}
	// A pushes again without a change (as a switchover does); B is behind
	// by a version but holds the same part.
	if _, err := Push(ctx, c, a.cfg(), 0, ""); err != nil {
		t.Fatal(err)
	}
	if err := CheckFresh(ctx, c, b.cfg()); err != nil {
		t.Fatalf("B behind by an empty version: %v", err)
	}
	// And B may push on top of it.
	if pub, err := Push(ctx, c, b.cfg(), 0, ""); err != nil || pub.Version != 3 {
		t.Fatalf("push from a file behind by an empty version: %+v %v", pub, err)
	}
	dead := coord.NewClient(coord.Options{Addr: testHost + ":1", Timeout: 200 * time.Millisecond})
	defer dead.Close()
	if err := CheckFresh(ctx, dead, b.cfg()); !errors.Is(err, coord.ErrUnreachable) {
		t.Fatalf("unreachable redis: %v", err)
	}
}

// TestWatchSurvivesRedisRestart: a watch pulls what is pushed; its Redis
// is killed and started again (empty, no persistence); a version pushed
// while the watch has no subscription (so its announcement cannot reach
// it) is pulled all the same once the watch is back.
func TestWatchSurvivesRedisRestart(t *testing.T) {
	needRedis(t, sharedErr)
	srv, err := startRedis(testPort + 1)
	needRedis(t, err)
	t.Cleanup(srv.stop)
	c := coord.NewClient(coord.Options{Addr: srv.addr(), Timeout: time.Second})
	t.Cleanup(func() { c.Close() })
	ctx := ctxFor(t, 60*time.Second)
	cl := testCluster(t)
	a := newManager(t, "a.cnf", fileA, srv.addr(), cl)
	b := newManager(t, "b.cnf", fileB, srv.addr(), cl)

	got := make(chan int64, 10)
	var logs syncBuffer
	wctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- WatchWith(wctx, c, b.cfg(), WatchOptions{
			OnChange: func(v int64) error { got <- v; return nil },
			Log:      slog.New(slog.NewTextHandler(&logs, nil)), MinBackoff: time.Second, MaxBackoff: time.Second, Idle: time.Second,
		})
	}()
	waitSubscribed(t, ctx, c, Key("", cl), 1)
	if _, err := Push(ctx, c, a.cfg(), 0, ""); err != nil {
		t.Fatal(err)
	}
	expectVersion(t, got, 1)

	srv.stop()
	if _, err := Push(ctx, c, a.cfg(), 0, ""); !errors.Is(err, coord.ErrUnreachable) {
		t.Fatalf("push while redis is down: %v", err)
	}
	if err := config.RemoveServerBlock(a.path, "server3", ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.start(); err != nil {
		t.Fatal(err)
	}
	// The watch waits a second before it reconnects: nobody listens yet.
	if n := c.PubSubNumSub(ctx, Key("", cl)).Val()[Key("", cl)]; n != 0 {
		t.Fatalf("%d subscribers right after the restart; the test cannot show a missed announcement", n)
	}
	pub, err := Push(ctx, c, a.cfg(), 0, "")
	if err != nil || pub.Version != 2 {
		t.Fatalf("push after the restart: %+v %v", pub, err)
	}
	expectVersion(t, got, 2)
	if b.part() != a.part() || strings.Contains(b.text(), "[server3]") {
		t.Fatalf("B after the restart:\n%s", b.text())
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("watch ended with %v", err)
	}
	if !strings.Contains(logs.String(), "reconnecting") {
		t.Errorf("the watch did not log its reconnect:\n%s", logs.String())
	}
}

func expectVersion(t *testing.T, got <-chan int64, want int64) {
	t.Helper()
	select {
	case v := <-got:
		if v != want {
			t.Fatalf("watch pulled version %d, want %d", v, want)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("watch did not pull version %d", want)
	}
}

// waitSubscribed waits until key's channel has n subscribers.
func waitSubscribed(t *testing.T, ctx context.Context, c *coord.Client, key string, n int64) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c.PubSubNumSub(ctx, key).Val()[key] == n {
			return
		}
	}
	t.Fatalf("channel %s never had %d subscribers", key, n)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
