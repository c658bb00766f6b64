package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/mhago/mhago/journal"
)

// fail classifies a failed step. Past the point of no return nothing is
// undone: the run stops and the operator finishes it (--resume). Before
// it, the recorded changes are reverted, newest first, unless the lock is
// lost: a successor may be running, and reverting under its feet would
// undo its work; the changes then stay in the journal for the next run.
func (r *Runner[S]) fail(ctx context.Context, err error) error {
	if r.past.Load() {
		return fmt.Errorf("%w: %w", ErrAfterPONR, err)
	}
	if r.cfg.Refused(err) && r.pendingUndo() == 0 {
		return err
	}
	if errors.Is(context.Cause(ctx), ErrLockLost) && !errors.Is(err, ErrLockLost) {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	}
	if errors.Is(err, ErrLockLost) {
		return r.leaveForNextRun(ctx, err)
	}
	if uerr := r.revert(context.WithoutCancel(ctx)); uerr != nil {
		return fmt.Errorf("%w: %w; restoring: %w", ErrAbortIncomplete, err, uerr)
	}
	if errors.Is(err, ErrAbortIncomplete) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrAborted, err)
}

// leaveForNextRun reports the changes that stay in place because the lock
// was lost, and how to revert them.
func (r *Runner[S]) leaveForNextRun(ctx context.Context, err error) error {
	pending := r.pending()
	if len(pending) == 0 {
		return fmt.Errorf("%w: %w", ErrAborted, err)
	}
	msg := fmt.Sprintf("not restored (the lock was lost, another manager may act now): %s; once no other manager acts, `mhago failover --abandon` restores them from the journal",
		undoText(pending))
	r.note(ctx, msg)
	return fmt.Errorf("%w: %w: %s", ErrAbortIncomplete, err, msg)
}

// revert undoes the recorded changes, newest first, and records each one
// undone. What could not be undone stays recorded.
func (r *Runner[S]) revert(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var errs []error
	for _, u := range r.pending() {
		if err := r.cfg.Undo(ctx, r.cfg.State, u); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", u, err))
			continue
		}
		r.popUndo(u)
		r.record(ctx, journal.Record{Kind: journal.KindUndone, Host: u.Host, Action: u.Action})
	}
	return errors.Join(errs...)
}

// Adopt takes over an earlier run's changes that were never reverted
// (newest first, as journal.Replay.PendingUndo lists them): they are
// recorded in this run's journal, so they survive this run too, and are
// reverted by Revert or by an abort.
func (r *Runner[S]) Adopt(ctx context.Context, us []journal.Undo) error {
	for i := len(us) - 1; i >= 0; i-- {
		if err := r.WillChange(ctx, us[i]); err != nil {
			return err
		}
	}
	return nil
}

// Revert reverts every recorded change now: a resumed or abandoned run
// restores what the earlier run stopped before it goes on.
func (r *Runner[S]) Revert(ctx context.Context) error {
	if err := r.revert(ctx); err != nil {
		return fmt.Errorf("%w: %w", ErrAbortIncomplete, err)
	}
	return nil
}

// pending is the undo stack, newest first.
func (r *Runner[S]) pending() []journal.Undo {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]journal.Undo, 0, len(r.undo))
	for i := len(r.undo) - 1; i >= 0; i-- {
		out = append(out, r.undo[i])
	}
	return out
}

func (r *Runner[S]) pendingUndo() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.undo)
}

func (r *Runner[S]) popUndo(u journal.Undo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.undo) - 1; i >= 0; i-- {
		if r.undo[i] == u {
			r.undo = append(r.undo[:i:i], r.undo[i+1:]...)
			return
		}
	}
}

func undoText(us []journal.Undo) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, ", ")
}

// NotRun lists the steps skipped because the lock was lost.
func (r *Runner[S]) NotRun() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.notRun...)
}

// Finish ends the run's journal and releases the lock. A run whose changes
// were not all reverted keeps its journal unfinished, so the next run must
// restore them (--resume or --abandon) before it does anything else.
func (r *Runner[S]) Finish(ctx context.Context, outcome string, runErr error) error {
	var errs []error
	r.mu.Lock()
	w := r.journal
	r.mu.Unlock()
	switch {
	case w == nil:
	case r.Unfinished(runErr):
		r.record(ctx, journal.Record{Kind: journal.KindNote, Error: "aborted with changes not reverted: " + errText(runErr)})
		errs = append(errs, w.Close())
	default:
		if err := w.Finish(ctx, outcome, runErr); err != nil {
			errs = append(errs, err)
		}
	}
	if err := r.releaseLock(ctx); err != nil {
		errs = append(errs, fmt.Errorf("release the cluster lock: %w", err))
	}
	return errors.Join(errs...)
}

// Unfinished tells whether a run that ended with runErr leaves its journal
// unfinished: it failed before the point of no return and changes it made
// (or adopted) are still not reverted.
func (r *Runner[S]) Unfinished(runErr error) bool {
	return runErr != nil && !r.past.Load() && r.pendingUndo() > 0
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
