package phases

import (
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/report"
)

// Progress is how far one host's catch-up got: for the operator's screen
// while a long apply runs (Deps.Progress).
type Progress struct {
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
		st.progress(Progress{Host: h.Name(), Path: report.PathDiffReplay, Bytes: ap.Bytes, TotalBytes: ap.TotalBytes,
			Transactions: ap.Transactions, TotalTransactions: ap.TotalTransactions, Elapsed: time.Since(start)})
	}
}
