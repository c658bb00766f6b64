package decide

import "github.com/mhago/mhago/repl"

// DiffPlan says which binlog diffs a target replica needs before it is
// level with the latest replica (non-GTID recovery, MHA §4.7). The pieces
// are contiguous in master coordinates and must be applied in one stream,
// in this order: exec diff, read diff, then the dead master's saved binlog.
type DiffPlan struct {
	// NeedExec: the target's SQL thread stopped before its IO thread
	// (Exec != Read), so its own relay logs hold Exec..Read, which must be
	// extracted from its relay log position onwards.
	NeedExec bool
	// NeedRead: the target read less than the latest replica, so the events
	// from ReadFrom to the latest Read come from the base replica's relay
	// logs.
	NeedRead bool
	// ReadFrom is the target's Read position, where the read diff starts
	// (zero when NeedRead is false).
	ReadFrom repl.Coordinates
}

// PlanDiffs returns the diffs target needs to reach latest's Read
// position. A target at or beyond latest needs no read diff.
func PlanDiffs(target, latest Candidate) DiffPlan {
	p := DiffPlan{NeedExec: target.Exec != target.Read}
	if target.Read.Compare(latest.Read) < 0 {
		p.NeedRead, p.ReadFrom = true, target.Read
	}
	return p
}

// ChooseBase returns the latest replica whose relay logs reach back to the
// oldest replica's position: the first of latestNames (config order) with
// found[name] true. ok is false when none does; MHA then marks the oldest
// replicas as lacking relay logs and retries with OldestRequired.
func ChooseBase(latestNames []string, found map[string]bool) (name string, ok bool) {
	for _, n := range latestNames {
		if found[n] {
			return n, true
		}
	}
	return "", false
}
