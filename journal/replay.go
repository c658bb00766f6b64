package journal

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Replay is what a journal says about its run: how far it got, what it
// decided, what it changed and what an abort would still have to revert.
type Replay struct {
	Source  string // the file or Redis key read
	Records []Record
	Run     string
	Begin   Begin

	Ended   bool
	Outcome string
	EndErr  string

	PastNoReturn bool
	// Decisions holds the last decision recorded under each name.
	Decisions map[string]json.RawMessage
	// PendingUndo are recorded changes not yet reverted, newest first (the
	// order to revert them in).
	PendingUndo []Undo
	// Steps is the state of every host change, by host and action.
	Steps map[StepKey]StepState

	// LastPhase is the last phase started; LastPhaseEnded whether it ended.
	LastPhase      string
	LastPhaseEnded bool
	LastPhaseErr   string
	// TornTail is set when the last line was cut by a crash mid-write and
	// ignored: the step it would have announced never started.
	TornTail bool
}

// StepKey names one change on one host.
type StepKey struct {
	Host   string
	Action Action
}

// StepState is how far a change got.
type StepState struct {
	Started, Finished time.Time
	Ended             bool
	Error             string
	Data              json.RawMessage
}

// Read parses the journal file at path. A missing file is (nil, nil). The
// last line may be torn (a crash mid-write): it is ignored and noted. Any
// other unreadable line is ErrCorrupt: a journal is never guessed at.
func Read(path string) (*Replay, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read run journal %s: %w", path, err)
	}
	recs, torn, err := decodeLines(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w (move it aside after reading it, then run again)", ErrCorrupt, path, err)
	}
	r, err := Parse(path, recs)
	if r != nil {
		r.TornTail = torn
	}
	return r, err
}

func decodeLines(data []byte) (recs []Record, torn bool, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	complete := len(data) > 0 && data[len(data)-1] == '\n'
	var lines [][]byte
	for sc.Scan() {
		lines = append(lines, append([]byte(nil), sc.Bytes()...))
	}
	if err := sc.Err(); err != nil {
		return nil, false, err
	}
	for i, line := range lines {
		var rec Record
		if err := json.Unmarshal(line, &rec); err != nil {
			if i == len(lines)-1 && !complete {
				return recs, true, nil
			}
			return nil, false, fmt.Errorf("line %d: %w", i+1, err)
		}
		recs = append(recs, rec)
	}
	return recs, false, nil
}

// Parse builds the replay of records (oldest first) read from source.
func Parse(source string, recs []Record) (*Replay, error) {
	if len(recs) == 0 {
		return nil, nil
	}
	if recs[0].Kind != KindBegin {
		return nil, fmt.Errorf("%w: %s does not start with a begin record", ErrCorrupt, source)
	}
	r := &Replay{Source: source, Records: recs, Run: recs[0].Run,
		Decisions: map[string]json.RawMessage{}, Steps: map[StepKey]StepState{}}
	if err := json.Unmarshal(recs[0].Data, &r.Begin); err != nil {
		return nil, fmt.Errorf("%w: %s: begin record: %w", ErrCorrupt, source, err)
	}
	var undo []Undo
	for _, rec := range recs[1:] {
		undo = r.apply(rec, undo)
	}
	for i := len(undo) - 1; i >= 0; i-- {
		r.PendingUndo = append(r.PendingUndo, undo[i])
	}
	return r, nil
}

func (r *Replay) apply(rec Record, undo []Undo) []Undo {
	switch rec.Kind {
	case KindPhase:
		r.LastPhase, r.LastPhaseEnded, r.LastPhaseErr = rec.Phase, false, ""
	case KindPhaseEnd:
		r.LastPhase, r.LastPhaseEnded, r.LastPhaseErr = rec.Phase, true, rec.Error
	case KindDecision:
		r.Decisions[rec.Name] = rec.Data
	case KindUndo:
		undo = append(undo, Undo{Host: rec.Host, Action: rec.Action})
	case KindUndone:
		undo = removeUndo(undo, Undo{Host: rec.Host, Action: rec.Action})
	case KindStep:
		r.Steps[StepKey{rec.Host, rec.Action}] = StepState{Started: rec.Time, Data: rec.Data}
	case KindStepEnd:
		s := r.Steps[StepKey{rec.Host, rec.Action}]
		s.Finished, s.Ended, s.Error = rec.Time, true, rec.Error
		r.Steps[StepKey{rec.Host, rec.Action}] = s
	case KindNoReturn:
		r.PastNoReturn = true
	case KindNoReturnRetracted:
		r.PastNoReturn = false
	case KindEnd:
		r.Ended, r.Outcome, r.EndErr = true, rec.Outcome, rec.Error
	}
	return undo
}

func removeUndo(list []Undo, u Undo) []Undo {
	for i := len(list) - 1; i >= 0; i-- {
		if list[i] == u {
			return append(list[:i:i], list[i+1:]...)
		}
	}
	return list
}

func (r *Replay) lastSeq() int {
	if len(r.Records) == 0 {
		return 0
	}
	return r.Records[len(r.Records)-1].Seq
}

// Decision decodes the decision recorded under name into v; ok is false
// when the run never recorded it.
func (r *Replay) Decision(name string, v any) (ok bool, err error) {
	raw, ok := r.Decisions[name]
	if !ok {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: %s: decision %q: %w", ErrCorrupt, r.Source, name, err)
	}
	return true, nil
}

// Step is the state of a change on host; ok is false if it never started.
func (r *Replay) Step(host string, a Action) (StepState, bool) {
	s, ok := r.Steps[StepKey{host, a}]
	return s, ok
}

// OpenSteps lists the changes started and never finished, oldest first:
// the ones a crash may have cut in the middle.
func (r *Replay) OpenSteps() []string {
	var out []string
	for _, rec := range r.Records {
		if rec.Kind != KindStep {
			continue
		}
		if s := r.Steps[StepKey{rec.Host, rec.Action}]; !s.Ended && s.Started.Equal(rec.Time) {
			out = append(out, fmt.Sprintf("%s on %s (started %s)", rec.Action, rec.Host, rec.Time.Format(time.RFC3339)))
		}
	}
	return out
}

// StoppedAt says in one sentence where the run stopped, for the operator.
func (r *Replay) StoppedAt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "run %s (%s on %s, pid %d, started %s)", r.Run, r.Begin.Operation, r.Begin.ManagerHost,
		r.Begin.PID, r.Begin.Started.Format(time.RFC3339))
	switch {
	case r.LastPhase == "":
		b.WriteString(" stopped before its first phase")
	case r.LastPhaseEnded && r.LastPhaseErr != "":
		fmt.Fprintf(&b, " stopped after phase %q failed: %s", r.LastPhase, r.LastPhaseErr)
	case r.LastPhaseEnded:
		fmt.Fprintf(&b, " stopped after phase %q", r.LastPhase)
	default:
		fmt.Fprintf(&b, " stopped in phase %q", r.LastPhase)
	}
	if open := r.OpenSteps(); len(open) > 0 {
		fmt.Fprintf(&b, "; unfinished: %s", strings.Join(open, ", "))
	}
	if r.PastNoReturn {
		b.WriteString("; it had passed the point of no return")
	} else {
		b.WriteString("; it had not passed the point of no return")
	}
	if len(r.PendingUndo) > 0 && !r.PastNoReturn {
		fmt.Fprintf(&b, "; not yet restored: %s", undoList(r.PendingUndo))
	}
	return b.String()
}

func undoList(us []Undo) string {
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.String()
	}
	return strings.Join(parts, ", ")
}

// Latest finds the newest ended journal of cluster in dir (the run that
// ended last), or nil.
func Latest(dir, cluster string) (*Replay, error) {
	matches, err := filepath.Glob(filepath.Join(dir, cluster+".journal.*.*"))
	if err != nil || len(matches) == 0 {
		return nil, err
	}
	// Run ids start with a UTC timestamp, so names sort by age.
	sort.Strings(matches)
	return Read(matches[len(matches)-1])
}

// History reads the ended journals of cluster in dir, newest first (a
// rejoin looks for the failover that replaced the host it rejoins).
func History(dir, cluster string) ([]*Replay, error) {
	matches, err := filepath.Glob(filepath.Join(dir, cluster+".journal.*.*"))
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(matches)))
	var out []*Replay
	for _, m := range matches {
		r, err := Read(m)
		if err != nil {
			return out, err
		}
		if r != nil {
			out = append(out, r)
		}
	}
	return out, nil
}

// Active reads the journals of cluster in dir whose runs have not ended,
// newest first. A journal that already holds its end record (a crash
// between the record and the rename) is archived here and left out.
func Active(dir, cluster string) ([]*Replay, error) {
	matches, err := filepath.Glob(filepath.Join(dir, cluster+".journal.*"))
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(matches)))
	var out []*Replay
	for _, m := range matches {
		if strings.Contains(strings.TrimPrefix(filepath.Base(m), cluster+".journal."), ".") {
			continue // ended: <run>.<outcome>
		}
		r, err := Read(m)
		if err != nil {
			return out, err
		}
		if r == nil {
			continue
		}
		if r.Ended {
			if err := archive(m, r.Outcome); err != nil {
				return out, err
			}
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// Current picks, among unfinished journals (newest first), the one to
// finish: a run that resumed another supersedes it. The superseded ones
// are returned too, so the caller can close them.
func Current(active []*Replay) (current *Replay, superseded []*Replay) {
	resumed := map[string]bool{}
	for _, r := range active {
		if r.Begin.Resumes != "" {
			resumed[r.Begin.Resumes] = true
		}
	}
	for _, r := range active {
		if resumed[r.Run] {
			superseded = append(superseded, r)
			continue
		}
		if current == nil {
			current = r
		}
	}
	return current, superseded
}
