package phases

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// tolerate applies ignore_fail (MHA's rule in every phase before the point
// of no return) to the failures errs[i] of hosts[i]: a replica with
// ignore_fail=1 is left out of the run, and the cluster is failed over
// without it (exit 10 at the end, as in MHA); any other failure is
// returned. The new master and everything after the point of no return
// are never left out this way.
func (st *State) tolerate(ctx context.Context, phase string, hosts []*Host, errs []error) error {
	var keep []error
	dropped := false
	for i, h := range hosts {
		err := errs[i]
		if err == nil {
			continue
		}
		if !h.Server.IgnoreFail || h == st.NewMaster || st.run.PastNoReturn() {
			keep = append(keep, err)
			continue
		}
		st.drop(h, err)
		dropped = true
	}
	if err := errors.Join(keep...); err != nil {
		return err
	}
	if dropped {
		return st.recordTopology(ctx, phase)
	}
	return nil
}

// drop leaves a replica out of the rest of the run.
func (st *State) drop(h *Host, why error) {
	st.Replicas = slices.DeleteFunc(st.Replicas, func(x *Host) bool { return x == h })
	st.Latest = slices.DeleteFunc(st.Latest, func(x *Host) bool { return x == h })
	st.Skipped = append(st.Skipped, h)
	h.cannot = why.Error()
	st.Report.HostResult(h.Name(), h.Server.Addr(), "replica").Skip(fmt.Sprintf("%v (ignore_fail=1: failed over without it; rebuild it from the new master)", why))
}

// recordTopology journals which replicas the run recovers: a resumed run
// must not repoint one that was left out.
func (st *State) recordTopology(ctx context.Context, phase string) error {
	return st.decide(ctx, phase, decTopology, topologyDecision{Dead: st.Dead.Name(), Replicas: names(st.Replicas),
		Skipped: names(st.Skipped), Mode: st.Mode, SSH: st.SSHReachable})
}

// tolerant runs fn on every host at once, with ignore_fail applied to the
// failures.
func (st *State) tolerant(ctx context.Context, phase string, hs []*Host, fn func(context.Context, *State, *Host) error) error {
	errs := st.each(ctx, hs, fn)
	return st.tolerate(ctx, phase, hs, errs)
}
