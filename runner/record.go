package runner

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/mhago/mhago/journal"
)

// record appends to the journal (nothing in a dry run or before the lock).
// A record that cannot be written stops the run before the point of no
// return: the step it announces must not run unrecorded. After it, the
// run must finish, so the operator is warned and the run goes on.
func (r *Runner[S]) record(ctx context.Context, rec journal.Record) error {
	r.mu.Lock()
	w := r.journal
	r.mu.Unlock()
	if w == nil {
		return nil
	}
	err := w.Append(ctx, rec)
	if err == nil {
		return nil
	}
	if r.past.Load() {
		r.warnf("run journal: %v (the run goes on: it is past the point of no return)", err)
		r.cfg.Report.Note("run journal not written: " + err.Error())
		return nil
	}
	return fmt.Errorf("run journal: %w", err)
}

// Decide records a decision a later run needs to finish this one.
func (r *Runner[S]) Decide(ctx context.Context, phase, name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode decision %s: %w", name, err)
	}
	return r.record(ctx, journal.Record{Kind: journal.KindDecision, Phase: phase, Name: name, Data: data})
}

// StepStart records that a change on host is about to be made.
func (r *Runner[S]) StepStart(ctx context.Context, host string, a journal.Action, data any) error {
	var raw json.RawMessage
	if data != nil {
		b, err := json.Marshal(data)
		if err != nil {
			return fmt.Errorf("encode step %s on %s: %w", a, host, err)
		}
		raw = b
	}
	return r.record(ctx, journal.Record{Kind: journal.KindStep, Host: host, Action: a, Data: raw})
}

// StepEnd records how a change on host ended.
func (r *Runner[S]) StepEnd(ctx context.Context, host string, a journal.Action, stepErr error) error {
	rec := journal.Record{Kind: journal.KindStepEnd, Host: host, Action: a}
	if stepErr != nil {
		rec.Error = stepErr.Error()
	}
	return r.record(ctx, rec)
}

// WillChange records a change an abort must revert, before it is made,
// and pushes it on the undo stack.
func (r *Runner[S]) WillChange(ctx context.Context, u journal.Undo) error {
	if err := r.record(ctx, journal.Record{Kind: journal.KindUndo, Host: u.Host, Action: u.Action}); err != nil {
		return err
	}
	r.mu.Lock()
	r.undo = append(r.undo, u)
	r.mu.Unlock()
	return nil
}

// note is a journal note and a report note.
func (r *Runner[S]) note(ctx context.Context, text string) {
	r.cfg.Report.Note(text)
	r.record(ctx, journal.Record{Kind: journal.KindNote, Error: text})
}

func (r *Runner[S]) warnf(format string, args ...any) {
	r.cfg.Warn(fmt.Sprintf(format, args...))
}

// PastNoReturn tells whether the point of no return is passed.
func (r *Runner[S]) PastNoReturn() bool { return r.past.Load() }

// passNoReturn records the point of no return. With a mirror, the record
// must reach it: another manager host that finds this run unfinished must
// not take it for one that changed nothing and elect another master.
func (r *Runner[S]) passNoReturn(ctx context.Context) error {
	r.mu.Lock()
	w := r.journal
	r.mu.Unlock()
	if w != nil {
		if err := w.Append(ctx, journal.Record{Kind: journal.KindNoReturn}); err != nil {
			return fmt.Errorf("run journal: %w", err)
		}
		if err := w.SyncMirror(ctx); err != nil {
			r.record(ctx, journal.Record{Kind: journal.KindNoReturnRetracted, Error: err.Error()})
			return fmt.Errorf("not passing the point of no return: no other manager could see this run to finish it: %w", err)
		}
	}
	r.past.Store(true)
	r.cfg.Report.PointOfNoReturnPassed = true
	return nil
}

// Carry copies records of an earlier run (its decisions, host changes and
// point of no return) into this run's journal, so this journal alone is
// enough to finish the work if this run stops too. Unlike other records,
// a failure is always an error: without them a later run could not know
// the plan.
func (r *Runner[S]) Carry(ctx context.Context, recs []journal.Record) error {
	r.mu.Lock()
	w := r.journal
	r.mu.Unlock()
	if w == nil {
		return nil
	}
	for _, rec := range recs {
		rec.Seq, rec.Run = 0, ""
		if err := w.Append(ctx, rec); err != nil {
			return fmt.Errorf("run journal: %w", err)
		}
	}
	return nil
}
