// Package runner runs an operation on a cluster (a failover, its resume,
// later a switchover) as data: an ordered list of named steps, each a small
// function over the operation's state. The runner owns what every
// operation needs and no step should redo: the phase timeout, panic
// recovery, the cluster lock (and noticing its loss at once, through
// context cancellation), the durable journal written before each step, the
// undo stack before the point of no return, and the point of no return
// itself. The operation owns its state, its report details and its guard
// files.
package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mhago/mhago/internal/faults"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
)

// Kind says how the runner treats a step.
type Kind uint8

// Step kinds.
const (
	// Read observes or decides; it runs in a dry run too.
	Read Kind = iota
	// Change changes hosts; in a dry run only its Plan runs.
	Change
	// TakeLock is where the runner takes the cluster lock and begins the
	// journal; the step's Run is not used.
	TakeLock
	// NoReturn is the point of no return; the step's Run is not used.
	NoReturn
)

// Step is one named phase.
type Step[S any] struct {
	Name string
	Kind Kind
	Run  func(context.Context, S) error
	// Plan records, in a dry run, what the step would do (Change steps),
	// or adds to what it found (Read steps).
	Plan func(S)
	// Rerunnable marks a Change step built as "bring the host to a state":
	// it checks before it acts, so it may run again on resume, and it may
	// still run after the lock was lost to another manager.
	Rerunnable bool
	// Optional: a failure is a warning; the run goes on, outcome unchanged.
	Optional bool
	// Deferred: past the point of no return, a failure does not stop the
	// run: the steps after it still run (they do not depend on it), and
	// the run then ends as failed after the point of no return, with this
	// step's error. Before the point of no return a failure stops the run
	// as any other does: nothing may be passed by while it can be undone.
	Deferred bool
}

// Lock is a held cluster lock.
type Lock interface {
	Lost() <-chan struct{}
	Err() error
	Fence() int64
	Release(context.Context) error
}

// Errors the runner returns; main maps them to exit codes.
var (
	ErrAborted         = errors.New("aborted before the point of no return; the cluster was left as it was")
	ErrAbortIncomplete = errors.New("aborted before the point of no return, but not everything could be restored")
	ErrAfterPONR       = errors.New("failed after the point of no return; manual recovery needed")
	ErrPanic           = errors.New("internal error (panic)")
	ErrLockLost        = errors.New("cluster lock lost")
)

// Config is an operation to run and its collaborators.
type Config[S any] struct {
	Steps   []Step[S]
	State   S
	DryRun  bool
	Timeout time.Duration // each step's bound (phase_timeout)
	Report  *report.Report
	Log     *slog.Logger
	// Warn tells the operator something now (stderr), not only in the
	// report: a journal that can no longer be written, a lost lock.
	Warn func(string)
	// Lock takes the cluster lock at the TakeLock step; a nil Lock with a
	// nil error runs without one. After the point of no return it is
	// called again when the lock is lost.
	Lock func(context.Context) (Lock, error)
	// Begin starts the run's journal once the lock is held.
	Begin func(ctx context.Context, fence int64) (*journal.Writer, error)
	// Undo reverts one recorded change.
	Undo func(context.Context, S, journal.Undo) error
	// Refused tells errors that stop a run which should not run at all
	// (nothing changed, nothing to undo): they are returned as they are.
	Refused func(error) bool
	// PastNoReturn starts the run beyond the point of no return: it
	// finishes an earlier run's plan.
	PastNoReturn bool
	// OnPhase hears every step that runs start and end, for the
	// operator's progress display; it must not block.
	OnPhase func(PhaseEvent)
}

// PhaseEvent is a step starting (Ended false) or ending.
type PhaseEvent struct {
	Name         string
	Index, Total int // 1-based position in the step list, and its length
	Ended        bool
	Elapsed      time.Duration // since the step started; 0 at its start
	Err          error         // why it failed, when Ended
}

// Runner runs one operation once.
type Runner[S any] struct {
	cfg    Config[S]
	cancel context.CancelCauseFunc
	done   chan struct{}
	past   atomic.Bool

	mu       sync.Mutex
	journal  *journal.Writer
	lock     Lock
	lockLost bool // lost past the point of no return and not taken again
	undo     []journal.Undo
	notRun   []string
	deferred []error // failures of Deferred steps, reported at the end
}

// New prepares a run.
func New[S any](cfg Config[S]) *Runner[S] {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Warn == nil {
		cfg.Warn = func(string) {}
	}
	if cfg.Refused == nil {
		cfg.Refused = func(error) bool { return false }
	}
	if cfg.OnPhase == nil {
		cfg.OnPhase = func(PhaseEvent) {}
	}
	r := &Runner[S]{cfg: cfg, done: make(chan struct{})}
	r.past.Store(cfg.PastNoReturn)
	return r
}

// Run runs the steps in order. On failure before the point of no return it
// reverts the recorded changes (unless the lock was lost: then a successor
// may be acting, and the changes are left for the next run to revert from
// the journal); after it, it stops and reports.
func (r *Runner[S]) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	r.cancel = cancel
	defer cancel(nil)
	defer close(r.done)
	for i, s := range r.cfg.Steps {
		if err := stopCause(ctx); err != nil {
			return r.fail(ctx, r.withDeferred(err))
		}
		if r.skip(ctx, s) {
			continue
		}
		ev := PhaseEvent{Name: s.Name, Index: i + 1, Total: len(r.cfg.Steps)}
		r.cfg.OnPhase(ev)
		start := time.Now()
		err := r.runStep(ctx, s)
		ev.Ended, ev.Elapsed, ev.Err = true, time.Since(start), err
		r.cfg.OnPhase(ev)
		switch {
		case err == nil:
		case s.Optional:
			r.warnf("%s failed; the run goes on: %v", s.Name, err)
		case s.Deferred && r.past.Load() && ctx.Err() == nil:
			r.deferFailure(ctx, s.Name, err)
		default:
			return r.fail(ctx, r.withDeferred(err))
		}
	}
	if err := r.withDeferred(nil); err != nil {
		return r.fail(ctx, err)
	}
	return nil
}

// deferFailure records a Deferred step's failure: the run goes on and
// ends failed. The operator hears it at once.
func (r *Runner[S]) deferFailure(ctx context.Context, name string, err error) {
	r.mu.Lock()
	r.deferred = append(r.deferred, err)
	r.mu.Unlock()
	r.warnf("%s failed; the remaining steps still run, then the run ends as failed: %v", name, err)
	r.note(ctx, fmt.Sprintf("%s failed; the steps after it ran anyway: %v", name, err))
}

// withDeferred joins the failures of Deferred steps to err (which may be
// nil), so that the run's error names everything that failed.
func (r *Runner[S]) withDeferred(err error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.deferred) == 0 {
		return err
	}
	return errors.Join(append(append([]error(nil), r.deferred...), err)...)
}

// stopCause is why ctx ended (a signal, the lost lock), or nil.
func stopCause(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return context.Cause(ctx)
}

// skip handles the steps that do not run: Change steps of a dry run (their
// plan runs instead) and, once the lock is lost to another manager past
// the point of no return, every step that is not rerunnable.
func (r *Runner[S]) skip(ctx context.Context, s Step[S]) bool {
	if r.cfg.DryRun && s.Kind != Read {
		r.cfg.Report.SkipPhase(s.Name, "dry run")
		if s.Plan != nil {
			s.Plan(r.cfg.State)
		}
		return true
	}
	if s.Kind != Change || s.Rerunnable || !r.lockGone(ctx) {
		return false
	}
	why := "not run: the cluster lock was lost to another manager after the point of no return"
	r.cfg.Report.SkipPhase(s.Name, why)
	r.mu.Lock()
	r.notRun = append(r.notRun, s.Name)
	r.mu.Unlock()
	r.note(ctx, s.Name+": "+why)
	return true
}

// runStep runs one step under the phase timeout, journaled before it runs.
func (r *Runner[S]) runStep(ctx context.Context, s Step[S]) error {
	faults.At(faults.Point("before", s.Name))
	rp := r.cfg.Report.StartPhase(s.Name)
	r.cfg.Log.Info("phase start", "phase", s.Name, "host", "-")
	if err := r.record(ctx, journal.Record{Kind: journal.KindPhase, Phase: s.Name}); err != nil {
		rp.End(err)
		return err
	}
	err := r.protect(ctx, s)
	rp.End(err)
	r.cfg.Log.Info("phase end", "phase", s.Name, "host", "-", "duration", time.Since(rp.Started), "error", err)
	end := journal.Record{Kind: journal.KindPhaseEnd, Phase: s.Name}
	if err != nil {
		end.Error = err.Error()
	}
	if jerr := r.record(ctx, end); jerr != nil && err == nil {
		err = jerr
	}
	if err == nil && r.cfg.DryRun && s.Plan != nil {
		s.Plan(r.cfg.State)
	}
	faults.At(faults.Point("after", s.Name))
	return err
}

// protect runs the step with its timeout and turns a panic into an error
// that names the step.
func (r *Runner[S]) protect(ctx context.Context, s Step[S]) (err error) {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			err = r.panicked(s.Name, p)
		}
	}()
	faults.At(faults.Point("in", s.Name))
	switch s.Kind {
	case TakeLock:
		err = r.takeLock(pctx)
	case NoReturn:
		err = r.passNoReturn(pctx)
	default:
		err = s.Run(pctx, r.cfg.State)
	}
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("phase %q timed out after %s (phase_timeout): %w", s.Name, r.cfg.Timeout, err)
	}
	return err
}

func (r *Runner[S]) panicked(name string, p any) error {
	r.cfg.Log.Error("panic", "phase", name, "host", "-", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return fmt.Errorf("%w in phase %q: %v", ErrPanic, name, p)
}

// Safe runs fn, turning a panic into an error: steps that start goroutines
// (one per host) use it, since a panic there would escape protect.
func Safe(what string, fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w in %s: %v\n%s", ErrPanic, what, p, debug.Stack())
		}
	}()
	return fn()
}
