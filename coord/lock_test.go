package coord

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func testOwner(run string) Holder {
	return Holder{Host: "mgr-" + run, PID: 4242, RunID: run, Command: "mhago failover",
		Since: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestAcquireRelease(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	o := LockOptions{KeyPrefix: "t", Cluster: testApp(t), Owner: testOwner("r1")}
	l, err := Acquire(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	if want := "t:{" + o.Cluster + "}:failover-lock"; l.Key() != want {
		t.Fatalf("key %q, want %q", l.Key(), want)
	}
	ttl := c.PTTL(ctx, l.Key()).Val()
	if ttl <= 25*time.Second || ttl > DefaultLockTTL {
		t.Fatalf("PTTL %s, want about the default %s", ttl, DefaultLockTTL)
	}
	if l.Holder() != o.Owner {
		t.Fatalf("holder %+v, want %+v", l.Holder(), o.Owner)
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if n := c.Exists(ctx, l.Key()).Val(); n != 0 {
		t.Fatal("lock key still exists after Release")
	}
	if err := l.Release(ctx); err != nil {
		t.Fatalf("second Release: %v", err)
	}
}

func TestSecondAcquireNamesHolder(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	first, err := Acquire(ctx, c, LockOptions{Cluster: app, Owner: testOwner("run-one")})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Release(ctx)

	_, err = Acquire(ctx, c, LockOptions{Cluster: app, Owner: testOwner("run-two")})
	var le *LockedError
	if !errors.Is(err, ErrLocked) || !errors.As(err, &le) {
		t.Fatalf("second Acquire: %v, want a *LockedError", err)
	}
	if le.Holder != first.Holder() {
		t.Fatalf("LockedError holder %+v, want %+v", le.Holder, first.Holder())
	}
	if le.TTLLeft <= 0 || le.TTLLeft > DefaultLockTTL {
		t.Fatalf("TTLLeft %s", le.TTLLeft)
	}
	for _, want := range []string{"host mgr-run-one", "pid 4242", "run run-one",
		"since 2026-01-02T03:04:05Z", "expires in 30 s", "`redis-cli DEL mhago:{" + app + "}:failover-lock`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
}

func TestLockedErrorMessage(t *testing.T) {
	h := testOwner("r9")
	tests := []struct {
		name string
		err  *LockedError
		want []string
	}{
		{"holder", &LockedError{Key: "k", Holder: h, TTLLeft: 2100 * time.Millisecond},
			[]string{"held by host mgr-r9 pid 4242 run r9 since 2026-01-02T03:04:05Z (mhago failover)",
				"wait for it to finish", "expires in 3 s", "`redis-cli DEL k` only if you are sure"}},
		{"no expiry", &LockedError{Key: "k", Holder: h, TTLLeft: -1},
			[]string{"has no expiry", "`redis-cli DEL k`"}},
		{"foreign value", newLockedError("k", "someone", 5*time.Second),
			[]string{`unknown owner (value "someone")`, "expires in 5 s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, w := range tt.want {
				if !strings.Contains(tt.err.Error(), w) {
					t.Errorf("%q lacks %q", tt.err, w)
				}
			}
		})
	}
}

func TestLockTTL(t *testing.T) {
	tests := []struct{ in, want time.Duration }{
		{0, DefaultLockTTL},
		{time.Second, MinLockTTL},
		{3 * time.Second, 3 * time.Second},
		{10*time.Second + 1, 10 * time.Second},
	}
	for _, tt := range tests {
		if got := lockTTL(tt.in); got != tt.want {
			t.Errorf("lockTTL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestReleaseByNonOwnerKeepsLock(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	o := LockOptions{Cluster: testApp(t), Owner: testOwner("owner")}
	l, err := Acquire(ctx, c, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release(ctx)

	other, err := newLock(c, o, "another-token") // same key and holder, other token
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("non-owner Release: %v, want ErrLockLost", err)
	}
	if got := c.Get(ctx, l.Key()).Val(); got != l.value {
		t.Fatalf("lock value after non-owner release = %q, want ours", got)
	}
}

func TestRenewalOutlivesTTL(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 15*time.Second)
	l, err := Acquire(ctx, c, LockOptions{Cluster: testApp(t), TTL: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(4 * time.Second)
	if got := c.Get(ctx, l.Key()).Val(); got != l.value {
		t.Fatalf("after 4 s with TTL 3 s the lock holds %q, want ours", got)
	}
	if ttl := c.PTTL(ctx, l.Key()).Val(); ttl <= time.Second {
		t.Fatalf("PTTL %s: renewal is not keeping up", ttl)
	}
	if l.Err() != nil {
		t.Fatalf("lock reported lost: %v", l.Err())
	}
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
}

// A manager that dies stops renewing; its lock must expire so another
// manager can take over.
func TestDeadOwnerLockExpires(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 15*time.Second)
	app := testApp(t)
	deadCtx, die := context.WithCancel(ctx)
	dead, err := Acquire(deadCtx, c, LockOptions{Cluster: app, TTL: 3 * time.Second, Owner: testOwner("dead")})
	if err != nil {
		t.Fatal(err)
	}
	die() // renewal stops, no release: as if the process was killed

	start := time.Now()
	for {
		l, err := Acquire(ctx, c, LockOptions{Cluster: app, Owner: testOwner("next")})
		if err == nil {
			t.Logf("took over after %s", time.Since(start).Round(time.Millisecond))
			if l.Fence() <= dead.Fence() {
				t.Errorf("fence %d not above the dead owner's %d", l.Fence(), dead.Fence())
			}
			_ = l.Release(ctx)
			return
		}
		if !errors.Is(err, ErrLocked) {
			t.Fatal(err)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("lock of a dead owner still held after %s: %v", time.Since(start), err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestOnLostWhenKeyDeleted(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	lostErr := make(chan error, 2)
	l, err := Acquire(ctx, c, LockOptions{Cluster: testApp(t), TTL: 3 * time.Second,
		OnLost: func(err error) { lostErr <- err }})
	if err != nil {
		t.Fatal(err)
	}
	c.Del(ctx, l.Key())
	select {
	case err := <-lostErr:
		if !errors.Is(err, ErrLockLost) {
			t.Fatalf("OnLost got %v, want ErrLockLost", err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("OnLost not called within 3 s of the key's deletion")
	}
	select {
	case <-l.Lost():
	default:
		t.Fatal("Lost() not closed")
	}
	if err := l.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Release of a lost lock: %v, want ErrLockLost", err)
	}
	select {
	case err := <-lostErr:
		t.Fatalf("OnLost called twice: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
}

// When Redis itself goes away, the lock is lost once its TTL has passed.
func TestOnLostWhenRedisDies(t *testing.T) {
	needRedis(t)
	srv, err := startRedis(testPort + 1)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.stop()
	c := NewClient(Options{Addr: srv.addr, Timeout: time.Second})
	defer c.Close()
	ctx := ctxFor(t, 15*time.Second)
	lostErr := make(chan error, 1)
	_, err = Acquire(ctx, c, LockOptions{Cluster: testApp(t), TTL: 3 * time.Second,
		OnLost: func(err error) { lostErr <- err }})
	if err != nil {
		t.Fatal(err)
	}
	srv.stop()
	start := time.Now()
	select {
	case err := <-lostErr:
		if !errors.Is(err, ErrLockLost) || !errors.Is(err, ErrUnreachable) {
			t.Fatalf("OnLost got %v, want ErrLockLost and ErrUnreachable", err)
		}
		if waited := time.Since(start); waited > 3*time.Second+500*time.Millisecond {
			t.Errorf("lost reported %s after Redis died, later than the TTL", waited)
		}
		t.Logf("lost after %s: %v", time.Since(start).Round(time.Millisecond), err)
	case <-time.After(6 * time.Second):
		t.Fatal("OnLost not called within 6 s of Redis dying")
	}
}

func TestFenceGrows(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	app := testApp(t)
	var last int64
	for i := range 3 {
		l, err := Acquire(ctx, c, LockOptions{Cluster: app})
		if err != nil {
			t.Fatal(err)
		}
		if l.Fence() <= last {
			t.Fatalf("acquisition %d: fence %d not above %d", i, l.Fence(), last)
		}
		last = l.Fence()
		if err := l.Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAcquireRaceOneWinner(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 20*time.Second)
	app := testApp(t)
	for round := range 20 {
		locks, errs := raceAcquire(ctx, c, app, 2)
		if len(locks) != 1 {
			t.Fatalf("round %d: %d winners, errors %v", round, len(locks), errs)
		}
		for _, err := range errs {
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("round %d: loser got %v, want ErrLocked", round, err)
			}
		}
		if err := locks[0].Release(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func raceAcquire(ctx context.Context, c *Client, app string, n int) ([]*Lock, []error) {
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		locks []*Lock
		errs  []error
	)
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			l, err := Acquire(ctx, c, LockOptions{Cluster: app, Owner: testOwner(fmt.Sprint("racer", i))})
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
			} else {
				locks = append(locks, l)
			}
		})
	}
	close(start)
	wg.Wait()
	return locks, errs
}

func TestUnreachableIsQuick(t *testing.T) {
	needRedis(t) // the dead address is only meaningful next to a live one
	c := NewClient(Options{Addr: fmt.Sprintf("%s:%d", testHost, deadPort)})
	defer c.Close()
	ctx := ctxFor(t, 10*time.Second)
	calls := map[string]func() error{
		"Acquire": func() error { _, err := Acquire(ctx, c, LockOptions{Cluster: "x"}); return err },
		"PublishTopology": func() error {
			return PublishTopology(ctx, c, "", "x", Topology{})
		},
		"ReadTopology": func() error { _, err := ReadTopology(ctx, c, "", "x"); return err },
		"WatchTopology": func() error {
			return WatchTopology(ctx, c, "", "x", func(Topology) {})
		},
	}
	for name, call := range calls {
		start := time.Now()
		err := call()
		if !errors.Is(err, ErrUnreachable) {
			t.Errorf("%s: %v, want ErrUnreachable", name, err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %s to fail", name, d)
		}
		t.Logf("%s failed in %s: %v", name, time.Since(start).Round(time.Millisecond), err)
	}
}

// After the run's context is cancelled (operator interrupt), renewal stops
// but Release with a fresh context still removes the lock.
func TestReleaseAfterContextCancel(t *testing.T) {
	c := needRedis(t)
	runCtx, cancel := context.WithCancel(context.Background())
	l, err := Acquire(runCtx, c, LockOptions{Cluster: testApp(t)})
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	ctx := ctxFor(t, 5*time.Second)
	if err := l.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, l.Key()).Val() != 0 {
		t.Fatal("lock key survives Release after cancel")
	}
}
