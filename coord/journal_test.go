package coord

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/mhago/mhago/journal"
)

// Another manager host reads a run's journal from Redis, as the run wrote
// it, through the same Writer the run uses.
func TestJournalMirrorIsReadableByAnotherManager(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	cluster := testApp(t)
	m := NewJournalMirror(c, "t", cluster)
	w, err := journal.Create(ctx, t.TempDir(), "c", "run-1", journal.Begin{Operation: "failover", ManagerHost: "mgr1"}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Append(ctx, journal.Record{Kind: journal.KindPhase, Phase: "2 dead master shutdown"})
	w.Decide(ctx, "3.3", "election", map[string]string{"new_master": "server2"})
	w.Append(ctx, journal.Record{Kind: journal.KindNoReturn})
	if err := w.MirrorErr(); err != nil {
		t.Fatal(err)
	}
	r, err := NewJournalMirror(c, "t", cluster).Replay(ctx)
	if err != nil || r == nil {
		t.Fatalf("replay from redis: %v %v", r, err)
	}
	if r.Run != "run-1" || r.Begin.ManagerHost != "mgr1" || !r.PastNoReturn || r.Ended {
		t.Fatalf("replay %+v", r)
	}
	if err := w.Finish(ctx, "success", nil); err != nil {
		t.Fatal(err)
	}
	r, _ = m.Replay(ctx)
	if !r.Ended || r.Outcome != "success" {
		t.Fatalf("after finish: ended %v outcome %q", r.Ended, r.Outcome)
	}
	// The next run's first record replaces the list.
	w2, err := journal.Create(ctx, t.TempDir(), "c", "run-2", journal.Begin{}, m, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer w2.Close()
	if r, _ := m.Replay(ctx); r.Run != "run-2" || len(r.Records) != 1 {
		t.Fatalf("after a new run: %s with %d records", r.Run, len(r.Records))
	}
}

func TestJournalMirrorEmpty(t *testing.T) {
	c := needRedis(t)
	r, err := NewJournalMirror(c, "t", testApp(t)).Replay(ctxFor(t, 5*time.Second))
	if r != nil || err != nil {
		t.Fatalf("no journal: %v %v", r, err)
	}
}

// A run resuming an earlier run of this host whose process is gone takes
// its lock over at once instead of waiting for the TTL; any other holder
// is still refused.
func TestAcquireTakesOverADeadHolder(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 10*time.Second)
	cluster := testApp(t)
	deadCtx, kill := context.WithCancel(ctx)
	dead, err := Acquire(deadCtx, c, LockOptions{Cluster: cluster, Owner: testOwner("dead-run")})
	if err != nil {
		t.Fatal(err)
	}
	kill() // renewal stops; the key stays until its TTL, like a SIGKILLed mhago
	_, err = Acquire(ctx, c, LockOptions{Cluster: cluster, Owner: testOwner("other"),
		TakeOver: func(h Holder) bool { return h.RunID == "someone-else" }})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("a holder not ours to take: %v", err)
	}
	l, err := Acquire(ctx, c, LockOptions{Cluster: cluster, Owner: testOwner("resume"),
		TakeOver: func(h Holder) bool { return h.RunID == "dead-run" }})
	if err != nil {
		t.Fatalf("take over: %v", err)
	}
	defer l.Release(ctx)
	if l.Fence() <= dead.Fence() {
		t.Errorf("fence %d not above the dead run's %d", l.Fence(), dead.Fence())
	}
	if err := dead.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Errorf("the dead run's release: %v, want lock lost", err)
	}
}

func TestLastFailoverRoundTrip(t *testing.T) {
	c := needRedis(t)
	ctx := ctxFor(t, 5*time.Second)
	cluster := testApp(t)
	if l, err := GetLastFailover(ctx, c, "t", cluster); l != nil || err != nil {
		t.Fatalf("none yet: %v %v", l, err)
	}
	want := LastFailover{RunID: "r1", ManagerHost: "mgr2", Outcome: "success", Ended: time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC)}
	if err := SetLastFailover(ctx, c, "t", cluster, want); err != nil {
		t.Fatal(err)
	}
	got, err := GetLastFailover(ctx, c, "t", cluster)
	if err != nil || *got != want {
		t.Fatalf("got %+v %v, want %+v", got, err, want)
	}
}
