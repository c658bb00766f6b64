package phases

import (
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

// ProgressKind says what a Progress event is about.
type ProgressKind string

// Progress kinds.
const (
	ProgressApply      ProgressKind = "apply"       // a host's catch-up: bytes applied, ETA
	ProgressPhaseStart ProgressKind = "phase_start" // a step of the run starts
	ProgressPhaseEnd   ProgressKind = "phase_end"   // a step of the run ended (Err says how)
)

// Progress is, for the operator's screen (Deps.Progress), a step of the
// run starting or ending, or how far one host's catch-up got while a long
// apply runs.
type Progress struct {
	Kind ProgressKind
	// Phase, Index and Total name the step (phase events).
	Phase        string
	Index, Total int
	// Err is why the step failed (ProgressPhaseEnd).
	Err               error
	Host              string
	Path              report.ApplyPath
	Bytes, TotalBytes int64
	// Transactions and TotalTransactions are -1 when the path cannot
	// count them (a server's own SQL thread).
	Transactions, TotalTransactions int
	Elapsed                         time.Duration
}

// Done tells whether everything went through.
func (p Progress) Done() bool { return p.TotalBytes > 0 && p.Bytes >= p.TotalBytes }

// Rate is the bytes per second so far (0 before any).
func (p Progress) Rate() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Bytes) / p.Elapsed.Seconds()
}

// ETA is the time left at the rate so far; 0 when it cannot be told.
func (p Progress) ETA() time.Duration {
	r := p.Rate()
	if r <= 0 || p.Bytes >= p.TotalBytes {
		return 0
	}
	return time.Duration(float64(p.TotalBytes-p.Bytes) / r * float64(time.Second)).Round(time.Second)
}

// progress hands p to the operator's display, if any.
func (st *State) progress(p Progress) {
	if st.deps.Progress != nil {
		st.deps.Progress(p)
	}
}

// applyProgress turns an agent's progress line about h into Progress.
func (st *State) applyProgress(h *Host, start time.Time) func(proto.ApplyProgress) {
	return func(ap proto.ApplyProgress) {
		st.progress(Progress{Kind: ProgressApply, Host: h.Name(), Path: report.PathDiffReplay, Bytes: ap.Bytes, TotalBytes: ap.TotalBytes,
			Transactions: ap.Transactions, TotalTransactions: ap.TotalTransactions, Elapsed: time.Since(start)})
	}
}

// phaseProgress is the runner's OnPhase: every step's start and end, in
// one place for every operation, with the host the run is about.
func (st *State) phaseProgress(ev runner.PhaseEvent) {
	kind := ProgressPhaseStart
	if ev.Ended {
		kind = ProgressPhaseEnd
	}
	st.progress(Progress{Kind: kind, Phase: ev.Name, Index: ev.Index, Total: ev.Total, Err: ev.Err,
		Host: st.phaseHost(), Elapsed: ev.Elapsed, TotalTransactions: -1})
}

// phaseHost is the host the run is about at this point: the new master
// once one is chosen, else the master being replaced; "" before either
// is known. The runner calls it between steps, when no step is writing
// these fields.
func (st *State) phaseHost() string {
	for _, h := range []*Host{st.NewMaster, st.Dead, st.Orig} {
		if h != nil {
			return h.Name()
		}
	}
	return ""
}
