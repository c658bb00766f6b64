package journal

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// memMirror is an in-memory mirror that can be made to fail.
type memMirror struct {
	mu   sync.Mutex
	recs []Record
	down bool
}

func (m *memMirror) Reset(ctx context.Context, first Record) error {
	return m.Replace(ctx, []Record{first})
}

func (m *memMirror) Append(_ context.Context, rec Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errors.New("connection refused")
	}
	m.recs = append(m.recs, rec)
	return nil
}

func (m *memMirror) Replace(_ context.Context, recs []Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.down {
		return errors.New("connection refused")
	}
	m.recs = append([]Record(nil), recs...)
	return nil
}

func (m *memMirror) Load(context.Context) ([]Record, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Record(nil), m.recs...), nil
}

func (m *memMirror) Where() string { return "memory" }

func (m *memMirror) setDown(down bool) {
	m.mu.Lock()
	m.down = down
	m.mu.Unlock()
}

func create(t *testing.T, dir string, m Mirror, onErr func(error)) *Writer {
	t.Helper()
	w, err := Create(context.Background(), dir, "c1", "20261126-010203-abcdef", Begin{Operation: "failover", ManagerHost: "mgr1", PID: 42}, m, onErr)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestReplayTellsWhereARunStopped(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := create(t, dir, nil, nil)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.Append(ctx, Record{Kind: KindPhase, Phase: "2 dead master shutdown"}))
	must(w.Append(ctx, Record{Kind: KindUndo, Host: "server2", Action: "start_io_thread"}))
	must(w.Append(ctx, Record{Kind: KindUndo, Host: "server3", Action: "start_io_thread"}))
	must(w.Append(ctx, Record{Kind: KindUndone, Host: "server2", Action: "start_io_thread"}))
	must(w.Decide(ctx, "3.3", "election", map[string]string{"new_master": "server2"}))
	must(w.Append(ctx, Record{Kind: KindNoReturn}))
	must(w.Append(ctx, Record{Kind: KindPhase, Phase: "4 replica recovery"}))
	must(w.Append(ctx, Record{Kind: KindStep, Host: "server3", Action: "apply"}))
	must(w.Append(ctx, Record{Kind: KindStep, Host: "server4", Action: "apply"}))
	must(w.Append(ctx, Record{Kind: KindStepEnd, Host: "server4", Action: "apply"}))
	must(w.Close())

	r, err := Read(Path(dir, "c1", "20261126-010203-abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Ended || !r.PastNoReturn || r.LastPhase != "4 replica recovery" || r.LastPhaseEnded {
		t.Fatalf("replay %+v", r)
	}
	var el struct {
		NewMaster string `json:"new_master"`
	}
	if ok, err := r.Decision("election", &el); !ok || err != nil || el.NewMaster != "server2" {
		t.Fatalf("decision: %v %v %+v", ok, err, el)
	}
	if len(r.PendingUndo) != 1 || r.PendingUndo[0].Host != "server3" {
		t.Fatalf("pending undo %v", r.PendingUndo)
	}
	stopped := r.StoppedAt()
	for _, want := range []string{"run 20261126-010203-abcdef (failover on mgr1, pid 42", `stopped in phase "4 replica recovery"`,
		"unfinished: apply on server3", "had passed the point of no return"} {
		if !strings.Contains(stopped, want) {
			t.Errorf("StoppedAt() = %q, lacks %q", stopped, want)
		}
	}
	if strings.Contains(stopped, "server4") {
		t.Errorf("a finished step is listed as unfinished: %s", stopped)
	}
}

// A crash in the middle of a write leaves a torn last line: the record it
// would have been was never fsynced, so the step never started. Any other
// broken line means the file was damaged, and nothing is guessed.
func TestTornTailIsIgnoredCorruptionIsNot(t *testing.T) {
	dir := t.TempDir()
	w := create(t, dir, nil, nil)
	w.Append(context.Background(), Record{Kind: KindPhase, Phase: "lock"})
	w.Close()
	path := Path(dir, "c1", "20261126-010203-abcdef")
	good, _ := os.ReadFile(path)
	os.WriteFile(path, append(append([]byte(nil), good...), `{"seq":3,"kind":"ph`...), 0o600)
	r, err := Read(path)
	if err != nil || !r.TornTail || r.LastPhase != "lock" {
		t.Fatalf("torn tail: %+v %v", r, err)
	}
	lines := strings.SplitAfter(string(good), "\n")
	os.WriteFile(path, []byte(lines[0]+"garbage\n"+lines[1]), 0o600)
	if _, err := Read(path); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("corrupt middle line: %v", err)
	}
}

func TestMirrorCatchesUpAfterAnOutage(t *testing.T) {
	ctx := context.Background()
	m := &memMirror{}
	var heard []error
	w := create(t, t.TempDir(), m, func(err error) { heard = append(heard, err) })
	m.setDown(true)
	w.Append(ctx, Record{Kind: KindPhase, Phase: "a"})
	w.Append(ctx, Record{Kind: KindPhase, Phase: "b"})
	if w.MirrorErr() == nil || len(heard) != 1 {
		t.Fatalf("mirror error %v, heard %d times; want once", w.MirrorErr(), len(heard))
	}
	if err := w.SyncMirror(ctx); err == nil {
		t.Fatal("SyncMirror succeeded against a down mirror")
	}
	m.setDown(false)
	w.Append(ctx, Record{Kind: KindPhase, Phase: "c"})
	recs, _ := m.Load(ctx)
	if len(recs) != 4 || recs[3].Phase != "c" || w.MirrorErr() != nil {
		t.Fatalf("mirror after recovery holds %d records: %+v", len(recs), recs)
	}
	r, err := Parse("memory", recs)
	if err != nil || r.LastPhase != "c" {
		t.Fatalf("mirror replay: %+v %v", r, err)
	}
}

func TestFinishArchivesCloseUnfinishedEnds(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	w := create(t, dir, nil, nil)
	w.Append(ctx, Record{Kind: KindUndo, Host: "server2", Action: "start_io_thread"})
	w.Close()
	r, _ := Read(Path(dir, "c1", "20261126-010203-abcdef"))
	if err := CloseUnfinished(Path(dir, "c1", "20261126-010203-abcdef"), r, EndAbandoned, "by run 2"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(Path(dir, "c1", "20261126-010203-abcdef")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("journal still in place: %v", err)
	}
	last, err := Latest(dir, "c1")
	if err != nil || !last.Ended || last.Outcome != EndAbandoned || last.EndErr != "by run 2" {
		t.Fatalf("archived: %+v %v", last, err)
	}
	w2, err := Create(ctx, dir, "c1", "20261126-020000-000000", Begin{}, nil, nil)
	if err != nil {
		t.Fatalf("a new run after the old one was closed: %v", err)
	}
	if err := w2.Finish(ctx, "success", nil); err != nil {
		t.Fatal(err)
	}
	if last, _ := Latest(dir, "c1"); last.Run != "20261126-020000-000000" || last.Outcome != "success" {
		t.Fatalf("latest is %s %s", last.Run, last.Outcome)
	}
}

func TestCreateRefusesAnExistingJournal(t *testing.T) {
	dir := t.TempDir()
	create(t, dir, nil, nil).Close()
	if _, err := Create(context.Background(), dir, "c1", "20261126-010203-abcdef", Begin{}, nil, nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Create of one run: %v", err)
	}
}

// A run that resumes another writes its own journal first, then closes
// the other: after a crash in between both are unfinished, and the newer
// one, which names the older in Begin.Resumes, is the one to finish.
func TestCurrentPrefersTheResumingRun(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	create(t, dir, nil, nil).Close()
	w2, err := Create(ctx, dir, "c1", "20261126-020000-000000", Begin{Operation: "resume", Resumes: "20261126-010203-abcdef"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w2.Close()
	w3, _ := Create(ctx, dir, "other", "20261126-030000-000000", Begin{}, nil, nil)
	w3.Close()
	active, err := Active(dir, "c1")
	if err != nil || len(active) != 2 {
		t.Fatalf("active: %d %v", len(active), err)
	}
	cur, old := Current(active)
	if cur.Run != "20261126-020000-000000" || len(old) != 1 || old[0].Run != "20261126-010203-abcdef" {
		t.Fatalf("current %s, superseded %v", cur.Run, old)
	}
}

func TestLockHostNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	l, err := LockHost(dir, "c1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = LockHost(dir, "c1")
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("second lock: %v", err)
	}
	l.Unlock()
	l2, err := LockHost(dir, "c1")
	if err != nil {
		t.Fatalf("after unlock: %v", err)
	}
	l2.Unlock()
}

// TestLockHostHolderStillStarting: a holder that took the lock an instant
// ago and has not written its pid yet is waited for a moment, and named
// "unknown" when it never writes one; never an empty pid.
func TestLockHostHolderStillStarting(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c1.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(100*time.Millisecond, func() { f.WriteAt([]byte("4242\n"), 0) })
	if _, err := LockHost(dir, "c1"); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid 4242 ") {
		t.Fatalf("holder writing its pid late: %v", err)
	}
	f.Truncate(0)
	if _, err := LockHost(dir, "c1"); !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "pid unknown (it has just started)") {
		t.Fatalf("holder without a pid: %v", err)
	}
}

// TestLazyPhaseRecords: phase records are written without an fsync of
// their own, yet read back like any other once the file is closed, and
// only phase records are lazy.
func TestLazyPhaseRecords(t *testing.T) {
	for k, want := range map[Kind]bool{KindPhase: true, KindPhaseEnd: true, KindUndo: false, KindDecision: false, KindNoReturn: false, KindStep: false, KindEnd: false} {
		if lazy(k) != want {
			t.Errorf("lazy(%s) = %t, want %t", k, !want, want)
		}
	}
	dir := t.TempDir()
	w := create(t, dir, nil, nil)
	ctx := context.Background()
	for _, rec := range []Record{{Kind: KindPhase, Phase: "2 block writes"}, {Kind: KindPhaseEnd, Phase: "2 block writes"}, {Kind: KindPhase, Phase: "2 marker"}} {
		if err := w.Append(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Read(w.Path())
	if err != nil {
		t.Fatal(err)
	}
	if r.LastPhase != "2 marker" || r.LastPhaseEnded {
		t.Fatalf("replay stopped at %q (ended %t), want the lazy record of phase 2 marker", r.LastPhase, r.LastPhaseEnded)
	}
}
