package report

import (
	"fmt"
	"strings"
	"time"
)

// RoleOrigMaster is the live master a planned switchover replaces.
const RoleOrigMaster = "orig_master"

// Switchover is what a planned switchover did to writes.
type Switchover struct {
	OrigMaster HostRef `json:"orig_master"`
	// Marker is the id of the marker row written on the old master once
	// its writes were blocked (the run id).
	Marker string `json:"marker,omitempty"`
	// BlockedAt is when the old master stopped taking writes (read_only),
	// OpenedAt when the new master took them (read_only off);
	// WriteBlockedMS is the window between, measured by mhago. Clients see
	// at least this; the time their proxy or driver takes to reconnect
	// comes on top.
	BlockedAt      time.Time `json:"blocked_at,omitzero"`
	OpenedAt       time.Time `json:"opened_at,omitzero"`
	WriteBlockedMS float64   `json:"write_blocked_ms,omitempty"`
	// Killed are the old master's sessions ended after writes were blocked.
	Killed []string `json:"killed,omitempty"`
	// RolledBack: the switchover failed before the new master took writes
	// and the old master was made writable again.
	RolledBack bool `json:"rolled_back,omitempty"`
}

// SetOrigMaster records the live master a switchover replaces.
func (r *Report) SetOrigMaster(name, addr string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Switch == nil {
		r.Switch = &Switchover{}
	}
	r.Switch.OrigMaster = hostRef(name, addr)
}

// WritesBlocked records when the old master stopped taking writes.
func (r *Report) WritesBlocked(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Switch.BlockedAt = at
}

// WritesOpened records when the new master took writes, and the window.
func (r *Report) WritesOpened(at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Switch.OpenedAt = at
	if !r.Switch.BlockedAt.IsZero() {
		r.Switch.WriteBlockedMS = float64(at.Sub(r.Switch.BlockedAt).Microseconds()) / 1000
	}
}

// Killed records a session ended on the old master.
func (r *Report) Killed(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Switch.Killed = append(r.Switch.Killed, s)
}

// RolledBack records that the old master took writes again.
func (r *Report) RolledBack() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Switch != nil {
		r.Switch.RolledBack = true
	}
}

// switchoverSubject is the first line of a switchover's text report.
func switchoverSubject(r *Report) string {
	s := r.App + ": MySQL master switchover"
	if r.Switch.OrigMaster.Name != "" {
		s += " from " + r.Switch.OrigMaster.HostInfo()
	}
	if r.NewMaster != nil {
		s += " to " + r.NewMaster.HostInfo()
	}
	switch {
	case r.Mode == ModeDryRun:
		s += " (dry run, nothing changed)"
	case r.Outcome == OutcomeSuccess:
		s += " succeeded"
	case r.Outcome != "":
		s += ": " + r.Outcome
	}
	return s
}

func (r *Report) writeSwitchover(b *strings.Builder) {
	sw := r.Switch
	if sw == nil || sw.BlockedAt.IsZero() {
		return
	}
	fmt.Fprintf(b, "\nWrites blocked: %s", stamp(sw.BlockedAt))
	if !sw.OpenedAt.IsZero() {
		fmt.Fprintf(b, " until %s: %.1f ms (read_only on the old master until the new master took writes)", stamp(sw.OpenedAt), sw.WriteBlockedMS)
	}
	b.WriteString("\n")
	if sw.Marker != "" {
		fmt.Fprintf(b, "Marker row: mhago.active_master run_id=%s\n", sw.Marker)
	}
	if sw.RolledBack {
		b.WriteString("Rolled back: the old master takes writes again\n")
	}
	for _, k := range sw.Killed {
		fmt.Fprintf(b, "Killed on the old master: %s\n", k)
	}
}

// switchoverActions says what a human must do after a switchover that did
// not succeed.
func (r *Report) switchoverActions() []string {
	orig := "the old master"
	if r.Switch.OrigMaster.Name != "" {
		orig = r.Switch.OrigMaster.HostInfo()
	}
	switch {
	case r.Outcome == OutcomeRefused:
		return []string{fmt.Sprintf("Switchover refused (%s). This run changed nothing; %s is still the master.", orText(r.Error, "see above"), orig)}
	case !r.PointOfNoReturnPassed && r.Outcome == OutcomeAbortIncomplete:
		return []string{"The switchover stopped before the new master took writes, but not everything could be restored (see Notes): once no other manager acts, run `mhago switchover --conf " +
			r.Config + " --abandon`; it restores the rest from the run journal (read_only off on " + orig + ", replication, proxies)."}
	case !r.PointOfNoReturnPassed:
		return []string{fmt.Sprintf("The switchover was rolled back: %s takes writes as before. Fix the error above and switch again.", orig)}
	}
	acts := []string{"The new master took writes before the run stopped. Finish it with `mhago switchover --conf " + r.Config +
		" --resume`: it repoints the replicas at the position recorded before the new master took writes and opens the proxies; or finish by hand with the positions below."}
	acts = append(acts, r.replicaActions()...)
	for _, rm := range r.Remaining {
		acts = append(acts, rm.Action)
	}
	return acts
}
