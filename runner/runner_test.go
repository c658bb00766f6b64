package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
)

// fake is the state of a fake operation: it records what ran.
type fake struct {
	mu       sync.Mutex
	ran      []string
	undone   []string
	failUndo map[string]bool
	run      *Runner[*fake]
}

func (f *fake) did(what string) {
	f.mu.Lock()
	f.ran = append(f.ran, what)
	f.mu.Unlock()
}

func (f *fake) history() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.ran...)
}

// fakeLock is a lock the test loses at will.
type fakeLock struct {
	fence    int64
	lost     chan struct{}
	once     sync.Once
	released bool
}

func newFakeLock(fence int64) *fakeLock { return &fakeLock{fence: fence, lost: make(chan struct{})} }

func (l *fakeLock) Lost() <-chan struct{} { return l.lost }
func (l *fakeLock) Err() error {
	select {
	case <-l.lost:
		return errors.New("key taken over")
	default:
		return nil
	}
}
func (l *fakeLock) Fence() int64                  { return l.fence }
func (l *fakeLock) Release(context.Context) error { l.released = true; return nil }
func (l *fakeLock) lose()                         { l.once.Do(func() { close(l.lost) }) }

// harness builds a runner over fake steps with a real journal file.
type harness struct {
	t       *testing.T
	dir     string
	f       *fake
	rep     *report.Report
	locks   []*fakeLock
	lockErr error // for the second and later Lock calls
	warned  []string
	mirror  journal.Mirror
}

func newHarness(t *testing.T) *harness {
	return &harness{t: t, dir: t.TempDir(), f: &fake{failUndo: map[string]bool{}},
		rep: report.New("app", "/etc/app.cnf", "run1", report.ModeFailover, time.Now())}
}

func (h *harness) runner(steps []Step[*fake], dry bool) *Runner[*fake] {
	r := New(Config[*fake]{
		Steps: steps, State: h.f, DryRun: dry, Timeout: 2 * time.Second, Report: h.rep,
		Warn: func(s string) { h.warned = append(h.warned, s) },
		Lock: func(context.Context) (Lock, error) {
			if len(h.locks) > 0 && h.lockErr != nil {
				return nil, h.lockErr
			}
			l := newFakeLock(int64(len(h.locks) + 1))
			h.locks = append(h.locks, l)
			return l, nil
		},
		Begin: func(ctx context.Context, fence int64) (*journal.Writer, error) {
			return journal.Create(ctx, h.dir, "c1", "run1", journal.Begin{Operation: "failover", Fence: fence}, h.mirror, nil)
		},
		Undo: func(_ context.Context, f *fake, u journal.Undo) error {
			if f.failUndo[u.Host] {
				return fmt.Errorf("%s is down", u.Host)
			}
			f.mu.Lock()
			f.undone = append(f.undone, u.String())
			f.mu.Unlock()
			return nil
		},
		Refused: func(err error) bool { return errors.Is(err, errRefused) },
	})
	h.f.run = r
	return r
}

func (h *harness) replay() *journal.Replay {
	h.t.Helper()
	r, err := journal.Read(journal.Path(h.dir, "c1", "run1"))
	if err != nil || r == nil {
		h.t.Fatalf("read journal: %v %v", r, err)
	}
	return r
}

var errRefused = errors.New("master is alive")

func read(name string) Step[*fake] {
	return Step[*fake]{Name: name, Kind: Read, Run: func(_ context.Context, f *fake) error { f.did(name); return nil }}
}

// change is a Change step that records an undo for host, then acts.
func change(name, host string) Step[*fake] {
	return Step[*fake]{Name: name, Kind: Change, Run: func(ctx context.Context, f *fake) error {
		if err := f.run.WillChange(ctx, journal.Undo{Host: host, Action: "start_io_thread"}); err != nil {
			return err
		}
		f.did(name)
		return nil
	}}
}

func failing(name string, err error) Step[*fake] {
	return Step[*fake]{Name: name, Kind: Change, Run: func(context.Context, *fake) error { return err }}
}

func lockStep() Step[*fake] { return Step[*fake]{Name: "lock", Kind: TakeLock} }
func ponr() Step[*fake]     { return Step[*fake]{Name: "point of no return", Kind: NoReturn} }

func (h *harness) phaseStatus(name string) string {
	for _, p := range h.rep.Phases {
		if p.Name == name {
			return p.Status
		}
	}
	return "absent"
}

func TestDryRunRunsReadStepsAndPlansTheRest(t *testing.T) {
	h := newHarness(t)
	planned := []string{}
	plan := func(name string) func(*fake) { return func(*fake) { planned = append(planned, name) } }
	steps := []Step[*fake]{read("observe"), lockStep(), {Name: "stop io", Kind: Change, Run: nil, Plan: plan("stop io")},
		{Name: "decide", Kind: Read, Run: func(_ context.Context, f *fake) error { f.did("decide"); return nil }, Plan: plan("decide")},
		ponr(), {Name: "promote", Kind: Change, Plan: plan("promote")}}
	if err := h.runner(steps, true).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.f.history(); !slices.Equal(got, []string{"observe", "decide"}) {
		t.Errorf("ran %v, want only the read steps", got)
	}
	if !slices.Equal(planned, []string{"stop io", "decide", "promote"}) {
		t.Errorf("planned %v", planned)
	}
	if len(h.locks) != 0 || h.rep.PointOfNoReturnPassed {
		t.Errorf("a dry run took the lock (%d) or passed the point of no return", len(h.locks))
	}
	if r, _ := journal.Read(journal.Path(h.dir, "c1", "run1")); r != nil {
		t.Errorf("a dry run wrote a journal")
	}
	if h.phaseStatus("stop io") != report.PhaseSkipped || h.phaseStatus("observe") != report.PhaseOK {
		t.Errorf("phase statuses: %+v", h.rep.Phases)
	}
}

func TestAbortRevertsNewestFirstAndEndsTheJournal(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("hook exited 1")
	r := h.runner([]Step[*fake]{lockStep(), change("stop io A", "A"), change("stop io B", "B"), failing("fence", boom), ponr()}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAborted) || !errors.Is(err, boom) || errors.Is(err, ErrAfterPONR) {
		t.Fatalf("err = %v, want aborted wrapping the hook's error", err)
	}
	if want := []string{"start_io_thread on B", "start_io_thread on A"}; !slices.Equal(h.f.undone, want) {
		t.Fatalf("undone %v, want %v", h.f.undone, want)
	}
	if r.Unfinished(err) {
		t.Fatal("a fully reverted abort leaves its journal unfinished")
	}
	if err := r.Finish(context.Background(), "aborted", err); err != nil {
		t.Fatal(err)
	}
	if !h.locks[0].released {
		t.Error("lock not released")
	}
	old, err := journal.Latest(h.dir, "c1")
	if err != nil || old == nil || !old.Ended || old.Outcome != "aborted" || len(old.PendingUndo) != 0 {
		t.Fatalf("archived journal: %+v %v", old, err)
	}
}

func TestFailedUndoIsIncompleteAndStaysInTheJournal(t *testing.T) {
	h := newHarness(t)
	h.f.failUndo["A"] = true
	r := h.runner([]Step[*fake]{lockStep(), change("stop io A", "A"), change("stop io B", "B"), failing("fence", errors.New("no"))}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAbortIncomplete) || errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "A is down") {
		t.Fatalf("err = %v, want incomplete naming A", err)
	}
	if err := r.Finish(context.Background(), "aborted", err); err != nil {
		t.Fatal(err)
	}
	rp := h.replay()
	if rp.Ended || len(rp.PendingUndo) != 1 || rp.PendingUndo[0] != (journal.Undo{Host: "A", Action: "start_io_thread"}) {
		t.Fatalf("journal ended %v, pending %v; want unfinished with A's undo", rp.Ended, rp.PendingUndo)
	}
	if s := rp.StoppedAt(); !strings.Contains(s, "not yet restored: start_io_thread on A") || !strings.Contains(s, "not passed the point of no return") {
		t.Errorf("StoppedAt: %s", s)
	}
}

func TestPanicIsAFailureNamingThePhase(t *testing.T) {
	for _, past := range []bool{false, true} {
		t.Run(fmt.Sprintf("past point of no return %v", past), func(t *testing.T) {
			h := newHarness(t)
			steps := []Step[*fake]{lockStep(), change("stop io", "A")}
			if past {
				steps = append(steps, ponr())
			}
			steps = append(steps, Step[*fake]{Name: "elect", Kind: Read, Run: func(context.Context, *fake) error {
				var m map[string]int
				m["x"]++ // nil map: a real bug, not a test panic()
				return nil
			}}, read("never"))
			err := h.runner(steps, false).Run(context.Background())
			if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), `phase "elect"`) {
				t.Fatalf("err = %v", err)
			}
			if errors.Is(err, ErrAfterPONR) != past || errors.Is(err, ErrAborted) == past {
				t.Fatalf("err = %v: after PONR %v, aborted %v; want past=%v", err, errors.Is(err, ErrAfterPONR), errors.Is(err, ErrAborted), past)
			}
			if slices.Contains(h.f.history(), "never") {
				t.Error("a step after the panic ran")
			}
			if undone := len(h.f.undone) == 1; undone == past {
				t.Errorf("undone %v with past=%v", h.f.undone, past)
			}
			if h.phaseStatus("elect") != report.PhaseFailed {
				t.Errorf("panicking phase recorded as %s", h.phaseStatus("elect"))
			}
		})
	}
}

func TestSafeRecoversAGoroutinePanic(t *testing.T) {
	err := Safe("apply on server3", func() error { panic("boom") })
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "apply on server3: boom") {
		t.Fatalf("err = %v", err)
	}
}

// A lost lock is noticed while a step runs, not at the next step: the step
// is cancelled at once and nothing is reverted (a successor may act).
func TestLockLostBeforeNoReturnCancelsTheStepAtOnce(t *testing.T) {
	h := newHarness(t)
	started := make(chan struct{})
	wait := Step[*fake]{Name: "settle", Kind: Change, Run: func(ctx context.Context, f *fake) error {
		close(started)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Second):
			return nil
		}
	}}
	r := h.runner([]Step[*fake]{lockStep(), change("stop io", "A"), wait, ponr()}, false)
	go func() { <-started; h.locks[0].lose() }()
	t0 := time.Now()
	err := r.Run(context.Background())
	if time.Since(t0) > time.Second {
		t.Errorf("the loss was noticed after %s", time.Since(t0))
	}
	if !errors.Is(err, ErrLockLost) || !errors.Is(err, ErrAbortIncomplete) || len(h.f.undone) != 0 {
		t.Fatalf("err = %v, undone %v; want lock lost, nothing reverted", err, h.f.undone)
	}
	if err := r.Finish(context.Background(), "aborted", err); err != nil {
		t.Fatal(err)
	}
	if rp := h.replay(); rp.Ended || len(rp.PendingUndo) != 1 {
		t.Fatalf("journal ended %v pending %v: the next run must restore A", rp.Ended, rp.PendingUndo)
	}
}

func TestLockLostAfterNoReturnIsTakenAgain(t *testing.T) {
	h := newHarness(t)
	lose := Step[*fake]{Name: "apply", Kind: Change, Rerunnable: true, Run: func(ctx context.Context, f *fake) error {
		h.locks[0].lose()
		time.Sleep(100 * time.Millisecond) // the watcher takes it again
		return nil
	}}
	r := h.runner([]Step[*fake]{lockStep(), ponr(), lose, change("hook start", "M")}, false)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(h.f.history(), "hook start") || len(h.locks) != 2 || r.Fence() != 2 {
		t.Fatalf("ran %v with %d locks, fence %d", h.f.history(), len(h.locks), r.Fence())
	}
}

func TestLockLostToAnotherManagerRunsOnlyRerunnableSteps(t *testing.T) {
	h := newHarness(t)
	h.lockErr = errors.New("held by host2")
	lose := Step[*fake]{Name: "apply", Kind: Change, Rerunnable: true, Run: func(ctx context.Context, f *fake) error {
		h.locks[0].lose()
		time.Sleep(100 * time.Millisecond)
		return nil
	}}
	writable := Step[*fake]{Name: "writable", Kind: Change, Rerunnable: true, Run: func(_ context.Context, f *fake) error { f.did("writable"); return nil }}
	r := h.runner([]Step[*fake]{lockStep(), ponr(), lose, change("hook start", "M"), writable}, false)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := h.f.history(); !slices.Equal(got, []string{"writable"}) {
		t.Fatalf("ran %v, want only the rerunnable step", got)
	}
	if !slices.Equal(r.NotRun(), []string{"hook start"}) || h.phaseStatus("hook start") != report.PhaseSkipped {
		t.Fatalf("not run: %v", r.NotRun())
	}
}

func TestInterruptAfterNoReturnIsAFailureAfterIt(t *testing.T) {
	h := newHarness(t)
	ctx, cancel := context.WithCancel(context.Background())
	stop := Step[*fake]{Name: "apply", Kind: Change, Run: func(ctx context.Context, f *fake) error { cancel(); <-ctx.Done(); return ctx.Err() }}
	err := h.runner([]Step[*fake]{lockStep(), ponr(), stop, read("never")}, false).Run(ctx)
	if !errors.Is(err, ErrAfterPONR) || !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
}

func TestStepTimeoutNamesPhaseTimeout(t *testing.T) {
	h := newHarness(t)
	slow := Step[*fake]{Name: "slow", Kind: Read, Run: func(ctx context.Context, f *fake) error { <-ctx.Done(); return ctx.Err() }}
	r := h.runner([]Step[*fake]{slow}, false)
	r.cfg.Timeout = 50 * time.Millisecond
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), `phase "slow" timed out after 50ms (phase_timeout)`) {
		t.Fatalf("err = %v", err)
	}
}

// The journal says a step started before the step runs: a crash inside it
// leaves the step recorded as started and not finished.
func TestJournalRecordsAStepBeforeItRuns(t *testing.T) {
	h := newHarness(t)
	var seen *journal.Replay
	probe := Step[*fake]{Name: "apply", Kind: Change, Run: func(ctx context.Context, f *fake) error {
		if err := f.run.StepStart(ctx, "B", "apply", map[string]string{"sha256": "abc"}); err != nil {
			return err
		}
		seen, _ = journal.Read(journal.Path(h.dir, "c1", "run1"))
		return errors.New("crash stand-in")
	}}
	r := h.runner([]Step[*fake]{lockStep(), ponr(), probe}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAfterPONR) {
		t.Fatal(err)
	}
	if seen == nil || seen.LastPhase != "apply" || seen.LastPhaseEnded || !seen.PastNoReturn {
		t.Fatalf("journal while the step ran: %+v", seen)
	}
	if st, ok := seen.Step("B", "apply"); !ok || st.Ended {
		t.Fatalf("step apply on B: %+v %v", st, ok)
	}
	if open := seen.OpenSteps(); len(open) != 1 || !strings.HasPrefix(open[0], "apply on B") {
		t.Errorf("open steps %v", open)
	}
	// Without Finish (the process died), the journal stays unfinished.
	if rp := h.replay(); rp.Ended || rp.LastPhaseErr != "crash stand-in" {
		t.Errorf("journal after the run: ended %v, last phase error %q", rp.Ended, rp.LastPhaseErr)
	}
}

// failMirror refuses everything, like a Redis that went away.
type failMirror struct{}

func (failMirror) Reset(context.Context, journal.Record) error {
	return errors.New("connection refused")
}
func (failMirror) Append(context.Context, journal.Record) error {
	return errors.New("connection refused")
}
func (failMirror) Replace(context.Context, []journal.Record) error {
	return errors.New("connection refused")
}
func (failMirror) Load(context.Context) ([]journal.Record, error) {
	return nil, errors.New("connection refused")
}
func (failMirror) Where() string { return "redis test" }

func TestNoReturnIsNotPassedUnlessMirrored(t *testing.T) {
	h := newHarness(t)
	h.mirror = failMirror{}
	r := h.runner([]Step[*fake]{lockStep(), change("stop io", "A"), ponr(), change("promote", "M")}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAborted) || !strings.Contains(err.Error(), "not passing the point of no return") {
		t.Fatalf("err = %v", err)
	}
	if slices.Contains(h.f.history(), "promote") || h.rep.PointOfNoReturnPassed {
		t.Fatal("went past the point of no return without a mirrored record")
	}
	if rp := h.replay(); rp.PastNoReturn {
		t.Fatal("the journal still says the point of no return was passed")
	}
}

func TestOptionalStepFailureIsAWarning(t *testing.T) {
	h := newHarness(t)
	publish := Step[*fake]{Name: "publish topology", Kind: Change, Optional: true, Run: func(context.Context, *fake) error {
		return errors.New("redis down")
	}}
	if err := h.runner([]Step[*fake]{lockStep(), ponr(), publish, read("report")}, false).Run(context.Background()); err != nil {
		t.Fatalf("err = %v", err)
	}
	if len(h.warned) != 1 || !strings.Contains(h.warned[0], "publish topology failed") || !slices.Contains(h.f.history(), "report") {
		t.Fatalf("warned %v, ran %v", h.warned, h.f.history())
	}
}

func TestRefusalIsReturnedAsIs(t *testing.T) {
	h := newHarness(t)
	err := h.runner([]Step[*fake]{{Name: "confirm", Kind: Read, Run: func(context.Context, *fake) error {
		return fmt.Errorf("%w: server1 answers", errRefused)
	}}}, false).Run(context.Background())
	if !errors.Is(err, errRefused) || errors.Is(err, ErrAborted) {
		t.Fatalf("err = %v", err)
	}
}

// A later run adopts what an unfinished one never reverted, and reverts it
// before it goes on.
func TestAdoptAndRevertAnEarlierRunsChanges(t *testing.T) {
	h := newHarness(t)
	pending := []journal.Undo{{Host: "B", Action: "start_sql_thread"}, {Host: "A", Action: "start_io_thread"}}
	restore := Step[*fake]{Name: "restore", Kind: Change, Run: func(ctx context.Context, f *fake) error {
		if err := f.run.Adopt(ctx, pending); err != nil {
			return err
		}
		return f.run.Revert(ctx)
	}}
	r := h.runner([]Step[*fake]{lockStep(), restore}, false)
	if err := r.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start_sql_thread on B", "start_io_thread on A"}; !slices.Equal(h.f.undone, want) {
		t.Fatalf("undone %v, want %v", h.f.undone, want)
	}
	if rp := h.replay(); len(rp.PendingUndo) != 0 {
		t.Fatalf("still pending: %v", rp.PendingUndo)
	}
}

func deferred(name string, err error) Step[*fake] {
	return Step[*fake]{Name: name, Kind: Change, Deferred: true, Run: func(_ context.Context, f *fake) error {
		f.did(name)
		return err
	}}
}

// Past the point of no return a Deferred step's failure lets the steps
// after it run; the run then ends failed after the point of no return with
// that step's error, which the report, the journal and stderr carry.
func TestDeferredFailureLetsTheRestRun(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("master_ip_failover_script exited 1")
	r := h.runner([]Step[*fake]{lockStep(), ponr(), deferred("activate", boom), change("writable", "M"),
		change("replicas", "R"), read("cleanup")}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAfterPONR) || !errors.Is(err, boom) {
		t.Fatalf("err = %v, want a failure after the point of no return wrapping the step's", err)
	}
	if got := h.f.history(); !slices.Equal(got, []string{"activate", "writable", "replicas", "cleanup"}) {
		t.Fatalf("ran %v, want every step", got)
	}
	if h.phaseStatus("activate") != report.PhaseFailed || h.phaseStatus("replicas") != report.PhaseOK {
		t.Fatalf("phases: %+v", h.rep.Phases)
	}
	if len(h.warned) != 1 || !strings.Contains(h.warned[0], "activate failed; the remaining steps still run") {
		t.Fatalf("warned %q", h.warned)
	}
	if !slices.ContainsFunc(h.rep.Notes, func(n string) bool { return strings.Contains(n, "activate failed; the steps after it ran anyway") }) {
		t.Fatalf("notes %q", h.rep.Notes)
	}
	var ended bool
	for _, rec := range h.replay().Records {
		ended = ended || (rec.Kind == journal.KindPhaseEnd && rec.Phase == "activate" && strings.Contains(rec.Error, "exited 1"))
	}
	if !ended {
		t.Fatal("the journal does not record the step's failure")
	}
}

// Before the point of no return a Deferred step stops the run like any
// other: what was changed is reverted.
func TestDeferredBeforeNoReturnStopsTheRun(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("hook exited 1")
	r := h.runner([]Step[*fake]{lockStep(), change("stop io", "A"), deferred("fence", boom), read("elect"), ponr()}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAborted) || !errors.Is(err, boom) || errors.Is(err, ErrAfterPONR) {
		t.Fatalf("err = %v", err)
	}
	if slices.Contains(h.f.history(), "elect") || !slices.Equal(h.f.undone, []string{"start_io_thread on A"}) {
		t.Fatalf("ran %v, undone %v", h.f.history(), h.f.undone)
	}
}

// A later ordinary failure still stops the run; its error names both.
func TestDeferredFailureThenAnotherFailure(t *testing.T) {
	h := newHarness(t)
	first, second := errors.New("hook exited 1"), errors.New("replica apply failed")
	r := h.runner([]Step[*fake]{lockStep(), ponr(), deferred("activate", first), failing("replicas", second), read("cleanup")}, false)
	err := r.Run(context.Background())
	if !errors.Is(err, ErrAfterPONR) || !errors.Is(err, first) || !errors.Is(err, second) {
		t.Fatalf("err = %v, want both failures", err)
	}
	if slices.Contains(h.f.history(), "cleanup") {
		t.Fatal("an ordinary failure did not stop the run")
	}
}

// A Deferred step that succeeds changes nothing.
func TestDeferredSuccessIsSuccess(t *testing.T) {
	h := newHarness(t)
	if err := h.runner([]Step[*fake]{lockStep(), ponr(), deferred("activate", nil), read("cleanup")}, false).Run(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Every step that runs is announced once as it starts and once as it ends,
// with its place in the list; dry-run-skipped steps are not.
func TestOnPhaseHearsEachRunStepStartAndEnd(t *testing.T) {
	h := newHarness(t)
	boom := errors.New("boom")
	var got []string
	r := h.runner([]Step[*fake]{read("observe"), {Name: "stop io", Kind: Change}, failing("fence", boom)}, true)
	r.cfg.OnPhase = func(ev PhaseEvent) {
		got = append(got, fmt.Sprintf("%s %d/%d ended=%v err=%v", ev.Name, ev.Index, ev.Total, ev.Ended, ev.Err))
		if !ev.Ended && ev.Elapsed != 0 {
			t.Errorf("%s: elapsed %v at start", ev.Name, ev.Elapsed)
		}
	}
	r.Run(context.Background())
	want := []string{"observe 1/3 ended=false err=<nil>", "observe 1/3 ended=true err=<nil>"}
	if !slices.Equal(got, want) {
		t.Fatalf("dry run events %q, want %q", got, want)
	}
	h = newHarness(t)
	got = nil
	r = h.runner([]Step[*fake]{read("observe"), lockStep(), failing("fence", boom)}, false)
	r.cfg.OnPhase = func(ev PhaseEvent) {
		got = append(got, fmt.Sprintf("%s %d/%d ended=%v err=%v", ev.Name, ev.Index, ev.Total, ev.Ended, ev.Err))
	}
	r.Run(context.Background())
	want = []string{"observe 1/3 ended=false err=<nil>", "observe 1/3 ended=true err=<nil>", "lock 2/3 ended=false err=<nil>",
		"lock 2/3 ended=true err=<nil>", "fence 3/3 ended=false err=<nil>", "fence 3/3 ended=true err=boom"}
	if !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}
