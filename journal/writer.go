package journal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Mirror keeps a copy of the current run's records where other manager
// hosts can read it (Redis). It is best effort: the local file is the
// record; a mirror that falls behind is brought up to date by Replace.
type Mirror interface {
	// Reset starts a new run's copy with its first record.
	Reset(ctx context.Context, first Record) error
	// Append adds one record.
	Append(ctx context.Context, rec Record) error
	// Replace rewrites the whole copy (after appends were missed).
	Replace(ctx context.Context, recs []Record) error
	// Load returns the copy, oldest first; nil when there is none.
	Load(ctx context.Context) ([]Record, error)
	// Where names the copy for messages (the Redis key).
	Where() string
}

// mirrorTimeout bounds one mirror call: a dead Redis must not hold a
// failover up for more than a moment per record.
const mirrorTimeout = 2 * time.Second

// Writer appends records to one run's journal file, fsyncing each before
// Append returns, and mirrors them.
type Writer struct {
	path   string
	run    string
	mirror Mirror
	// onMirrorErr hears each mirror failure after a success (not each
	// record while Redis stays down).
	onMirrorErr func(error)

	mu     sync.Mutex
	f      *os.File
	seq    int
	recs   []Record
	behind bool  // the mirror missed a record
	mErr   error // the last mirror failure
}

// Path is <dir>/<cluster>.journal.<run>, the journal of a run that has
// not ended; an ended run's file gets its outcome as a last suffix. One
// file per run lets a run that finishes an earlier one write its own
// journal before it closes the earlier one: a crash in between leaves both,
// and Begin.Resumes tells which one is current.
func Path(dir, cluster, run string) string {
	return filepath.Join(dir, cluster+".journal."+run)
}

// Create starts the journal of run at Path(dir, cluster, run) with its
// begin record. mirror may be nil; onMirrorErr may be nil.
func Create(ctx context.Context, dir, cluster, run string, b Begin, mirror Mirror, onMirrorErr func(error)) (*Writer, error) {
	path := Path(dir, cluster, run)
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create run journal %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("create run journal %s: %w", path, err)
	}
	w := &Writer{path: path, run: run, mirror: mirror, onMirrorErr: onMirrorErr, f: f}
	data, err := encode(b)
	if err != nil {
		return nil, err
	}
	rec := Record{Kind: KindBegin, Data: data}
	if err := w.write(&rec); err != nil {
		f.Close()
		return nil, err
	}
	if mirror != nil {
		w.mirrorCall(ctx, func(ctx context.Context) error { return mirror.Reset(ctx, rec) })
	}
	return w, nil
}

// Run is the run id the journal belongs to.
func (w *Writer) Run() string { return w.run }

// Path is the journal file.
func (w *Writer) Path() string { return w.path }

// Append writes rec (Seq, Time and Run are filled in), fsyncs the file and
// mirrors it. Only a failure of the local file is an error: then the step
// the record announces must not run.
func (w *Writer) Append(ctx context.Context, rec Record) error {
	if err := w.write(&rec); err != nil {
		return err
	}
	if w.mirror == nil {
		return nil
	}
	w.mu.Lock()
	behind := w.behind
	w.mu.Unlock()
	if behind {
		w.SyncMirror(ctx)
		return nil
	}
	w.mirrorCall(ctx, func(ctx context.Context) error { return w.mirror.Append(ctx, rec) })
	return nil
}

// Decide records a decision under name, with v as its data.
func (w *Writer) Decide(ctx context.Context, phase, name string, v any) error {
	data, err := encode(v)
	if err != nil {
		return err
	}
	return w.Append(ctx, Record{Kind: KindDecision, Phase: phase, Name: name, Data: data})
}

// lazy tells the records that are written without an fsync of their own:
// a phase's start and end say where a run was for the operator, and no
// later run acts on them (it acts on undo, step, decision and point of no
// return records, each fsynced before its change, which also makes every
// earlier line durable). Saving their fsyncs keeps a switchover's
// write-blocked window short: about ten phase records fall inside it.
func lazy(k Kind) bool { return k == KindPhase || k == KindPhaseEnd }

// write appends one line and fsyncs it (lazy records: see lazy).
func (w *Writer) write(rec *Record) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return fmt.Errorf("write run journal %s: closed", w.path)
	}
	w.seq++
	rec.Seq, rec.Run = w.seq, w.run
	if rec.Time.IsZero() {
		rec.Time = time.Now().UTC()
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("encode journal record: %w", err)
	}
	if _, err := w.f.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("write run journal %s: %w", w.path, err)
	}
	if !lazy(rec.Kind) {
		// One fsync makes this record durable with every lazy one before it.
		if err := w.f.Sync(); err != nil {
			return fmt.Errorf("fsync run journal %s: %w", w.path, err)
		}
	}
	w.recs = append(w.recs, *rec)
	return nil
}

// SyncMirror brings the mirror up to date and returns its error: callers
// that must not go on unless another manager host can see the record (the
// point of no return) check it.
func (w *Writer) SyncMirror(ctx context.Context) error {
	if w.mirror == nil {
		return nil
	}
	w.mu.Lock()
	recs := append([]Record(nil), w.recs...)
	behind := w.behind
	w.mu.Unlock()
	if !behind {
		return nil
	}
	return w.mirrorCall(ctx, func(ctx context.Context) error { return w.mirror.Replace(ctx, recs) })
}

// MirrorErr is the mirror's last failure while it is behind, else nil.
func (w *Writer) MirrorErr() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.behind {
		return nil
	}
	return w.mErr
}

func (w *Writer) mirrorCall(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mirrorTimeout)
	defer cancel()
	err := fn(ctx)
	w.mu.Lock()
	wasBehind := w.behind
	w.behind, w.mErr = err != nil, err
	w.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("mirror run journal to %s: %w", w.mirror.Where(), err)
		if !wasBehind && w.onMirrorErr != nil {
			w.onMirrorErr(err)
		}
	}
	return err
}

// Finish writes the end record and archives the file as
// <path>.<run>.<outcome>. The end record is durable before the rename, so a
// crash in between leaves a journal that reads as ended.
func (w *Writer) Finish(ctx context.Context, outcome string, runErr error) error {
	rec := Record{Kind: KindEnd, Outcome: outcome}
	if runErr != nil {
		rec.Error = runErr.Error()
	}
	err := w.Append(ctx, rec)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return archive(w.path, outcome)
}

// Close closes the file without ending the run: the journal stays
// unfinished for the next run to find (an abort whose undo is incomplete).
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Sync() // the lazy records written since the last fsync
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	w.f = nil
	return err
}

// archive renames a journal out of the way once its run has ended.
func archive(path, outcome string) error {
	dst := path + "." + outcome
	if err := os.Rename(path, dst); err != nil {
		return fmt.Errorf("archive run journal %s: %w", path, err)
	}
	prune(strings.TrimSuffix(path, filepath.Ext(path)), keepArchived)
	return syncDir(filepath.Dir(path))
}

// keepArchived is how many ended journals of a cluster are kept.
const keepArchived = 20

// prune removes the oldest ended journals (<prefix>.<run>.<outcome>)
// beyond keep. Run ids start with a UTC timestamp, so names sort by age.
func prune(prefix string, keep int) {
	old, err := filepath.Glob(prefix + ".*.*")
	if err != nil || len(old) <= keep {
		return
	}
	sort.Strings(old)
	for _, p := range old[:len(old)-keep] {
		os.Remove(p)
	}
}

// Close ends an earlier run's unfinished journal at path (found by Read)
// with an end record saying how (EndResumed by run by, EndAbandoned), and
// archives it. The record is appended to the same file, fsynced.
func CloseUnfinished(path string, r *Replay, outcome, note string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("close run journal %s: %w", path, err)
	}
	rec := Record{Seq: r.lastSeq() + 1, Time: time.Now().UTC(), Run: r.Run, Kind: KindEnd, Outcome: outcome, Error: note}
	line, err := json.Marshal(rec)
	if err == nil {
		_, err = f.Write(append(line, '\n'))
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("close run journal %s: %w", path, err)
	}
	return archive(path, outcome)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("fsync directory %s: %w", dir, err)
	}
	return nil
}
