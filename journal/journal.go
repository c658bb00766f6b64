// Package journal is the durable record of one run: its phases, the
// decisions a later run needs to finish it (new master, coordinates, diffs
// with their SHA-256), each change made on a host, the changes an abort must
// revert, and the point of no return. Every record is written and fsynced
// before the step it describes runs, so that after a crash (mhago killed,
// the manager host lost power) the next run knows exactly where this one
// stopped. The servers still hold the truth: a resumed run asks them what
// was applied; the journal says what was intended.
//
// A journal is a file of JSON lines, <cluster>.journal in manager_workdir,
// mirrored to Redis when Redis is configured so that another manager host
// can see and finish the run. A finished run's file is renamed to
// <cluster>.journal.<run>.<outcome>.
package journal

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Kind is what a record says.
type Kind string

// Record kinds.
const (
	KindBegin    Kind = "begin"     // the run started; Data is a Begin
	KindPhase    Kind = "phase"     // a phase is about to run
	KindPhaseEnd Kind = "phase_end" // it ended; Error says how
	KindDecision Kind = "decision"  // a decision a later run needs; Name and Data
	KindUndo     Kind = "undo"      // a change an abort must revert is about to be made
	KindUndone   Kind = "undone"    // that change was reverted
	KindStep     Kind = "step"      // a change on Host is about to be made (Action, Data)
	KindStepEnd  Kind = "step_end"  // it finished; Error when it failed
	KindNoReturn Kind = "ponr"      // the point of no return is passed
	// KindNoReturnRetracted takes a ponr record back: it could not be
	// mirrored, so the run aborted instead of going on.
	KindNoReturnRetracted Kind = "ponr_retracted"
	KindNote              Kind = "note" // something the operator should read later (lock lost, ...)
	KindEnd               Kind = "end"  // the run ended: Outcome, Error
)

// Action names a change on a host. The operations define their own.
type Action string

// Record is one line of the journal.
type Record struct {
	Seq     int             `json:"seq"`
	Time    time.Time       `json:"time"`
	Run     string          `json:"run"`
	Kind    Kind            `json:"kind"`
	Phase   string          `json:"phase,omitempty"`
	Host    string          `json:"host,omitempty"`
	Action  Action          `json:"action,omitempty"`
	Name    string          `json:"name,omitempty"`
	Data    json.RawMessage `json:"data,omitempty"`
	Error   string          `json:"error,omitempty"`
	Outcome string          `json:"outcome,omitempty"`
}

// Begin is the first record's data: who runs what, for the operator who
// finds the run unfinished.
type Begin struct {
	Operation string `json:"operation"` // failover, resume, abandon
	// Op is what the run does to the cluster: failover (also when empty,
	// in journals older than the field), switchover or rejoin. A resume
	// continues the same operation.
	Op          string    `json:"op,omitempty"`
	Cluster     string    `json:"cluster"`
	App         string    `json:"app"`
	Config      string    `json:"config"`
	ManagerHost string    `json:"manager_host"`
	PID         int       `json:"pid"`
	Command     string    `json:"command,omitempty"`
	Fence       int64     `json:"fence"`
	Started     time.Time `json:"started"`
	// Resumes is the run this one finishes, if any.
	Resumes string `json:"resumes,omitempty"`
}

// Undo is a change to revert when a run aborts before its point of no
// return, or when a later run restores what an unfinished one stopped.
type Undo struct {
	Host   string `json:"host"`
	Action Action `json:"action"`
}

// String is "action on host".
func (u Undo) String() string { return fmt.Sprintf("%s on %s", u.Action, u.Host) }

// ErrCorrupt marks a journal that cannot be read back; it is never
// guessed at.
var ErrCorrupt = errors.New("run journal unreadable")

// ErrBusy marks a cluster that another mhago on this manager host is
// working on right now.
var ErrBusy = errors.New("another mhago on this host is working on the cluster")

// Outcome names how a run ended, as its end record and archive file say.
const (
	EndResumed   = "resumed"   // a later run took over its plan
	EndAbandoned = "abandoned" // the operator closed it with --abandon
)

func encode(v any) (json.RawMessage, error) {
	if v == nil {
		return nil, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode journal data: %w", err)
	}
	return b, nil
}
