package phases

import (
	"context"
	"fmt"
	"path"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/decide"
	"github.com/mhago/mhago/remote"
	"github.com/mhago/mhago/report"
)

type agentErr = agentctl.Error

// generateDiffs (phase 3.4) computes every replica's diffs, in the order
// they must be applied: its own relay logs from where its SQL thread
// stopped (exec), the base replica's relay logs from where its IO thread
// stopped (read), then the dead master's saved binlog.
//
// A replica whose diffs cannot all be made stops the run (it could not be
// made identical to the new master), unless it has ignore_fail=1.
func generateDiffs(ctx context.Context, st *State) error {
	return st.tolerant(ctx, "3.4", st.Replicas, func(ctx context.Context, st *State, h *Host) error {
		if err := st.planDiffs(ctx, h); err != nil {
			h.diffs = nil // part of them would leave it between two states
			return err
		}
		return nil
	})
}

func (st *State) planDiffs(ctx context.Context, h *Host) error {
	plan := decide.PlanDiffs(st.candidate(h), st.candidate(st.Base))
	if plan.NeedExec {
		res, err := h.Agent.Diff(ctx, st.execRequest(h, path.Join(h.Agent.Dir(), "exec_diff.binlog")))
		if err != nil {
			return fmt.Errorf("exec diff of %s: %w", h.Name(), err)
		}
		st.addDiff(h, diffFile{kind: "exec", from: h, source: res.Extract.Output, result: res.Extract})
	}
	if plan.NeedRead {
		out := path.Join(st.Base.Agent.Dir(), "read_diff_for_"+h.Name()+".binlog")
		res, err := st.Base.Agent.Diff(ctx, st.findRequest(st.Base, h, out))
		if err != nil {
			return fmt.Errorf("relay diff for %s from %s: %w", h.Name(), st.Base.Name(), err)
		}
		if !res.AllApplied {
			st.addDiff(h, diffFile{kind: "read", from: st.Base, source: res.Extract.Output, result: res.Extract})
		}
	}
	if st.Saved != nil {
		st.addDiff(h, *st.Saved)
	}
	return nil
}

func (st *State) addDiff(h *Host, d diffFile) {
	h.diffs = append(h.diffs, d)
	st.reportDiff(h, d)
}

func (st *State) reportDiff(h *Host, d diffFile) {
	r := d.result
	st.Report.HostResult(h.Name(), h.Server.Addr(), "").AddDiff(report.Diff{Kind: d.kind, From: d.fromName(), Bytes: r.Bytes,
		Events: r.Events, Transactions: r.Transactions, FirstGTID: r.FirstGTID, LastGTID: r.LastGTID})
}

// distributeDiffs (phase 3.4) copies every diff to the host that applies
// it, before the point of no return: a full disk or a lost host is found
// while the cluster can still be left as it was, and every copy is checked
// against the SHA-256 of the diff it came from. The copies are journaled
// with their checksums; a resumed run applies exactly them. A dry run only
// checks that the space is there.
func distributeDiffs(ctx context.Context, st *State) error {
	if err := st.tolerant(ctx, "3.4", st.recoverable(), distributeTo); err != nil {
		return err
	}
	diffs := map[string][]diffRecord{}
	for _, h := range st.recoverable() {
		diffs[h.Name()] = diffRecords(h)
	}
	return st.decide(ctx, "3.4", decDiffs, diffs)
}

// recoverable are the replicas the run still means to recover.
func (st *State) recoverable() []*Host {
	var out []*Host
	for _, h := range st.Replicas {
		if !h.lackRelayLogs && h.cannot == "" {
			out = append(out, h)
		}
	}
	return out
}

func distributeTo(ctx context.Context, st *State, h *Host) error {
	if err := st.checkSpace(ctx, h); err != nil {
		return err
	}
	if st.opts.DryRun {
		return nil
	}
	for i, d := range h.diffs {
		if d.from == h {
			h.diffs[i].path = d.source
			continue
		}
		dst := path.Join(h.Agent.Dir(), fmt.Sprintf("%d_%s_from_%s.binlog", i, d.kind, d.from.Name()))
		if _, err := remote.Copy(ctx, d.from.Agent.Client(), d.source, h.Agent.Client(), dst, nil); err != nil {
			return fmt.Errorf("copy %s diff from %s to %s:%s: %w", d.kind, d.from.Name(), h.Name(), dst, err)
		}
		if got, err := remoteSHA256(ctx, h, dst); err != nil || got != d.result.SHA256 {
			return fmt.Errorf("copy of %s diff on %s:%s has SHA-256 %q, want %s (%v)", d.kind, h.Name(), dst, got, d.result.SHA256, err)
		}
		h.diffs[i].path = dst
	}
	return nil
}

// spaceMargin is kept free beyond the diffs, for the server's own writes
// to the same filesystem and the apply's option file.
const spaceMargin = 16 << 20

// checkSpace refuses a host whose remote_workdir cannot hold the copies
// of its diffs and the one stream apply joins them into.
func (st *State) checkSpace(ctx context.Context, h *Host) error {
	var copied, all int64
	for _, d := range h.diffs {
		all += d.result.Bytes
		if d.from != h {
			copied += d.result.Bytes
		}
	}
	if all == 0 {
		return nil
	}
	need := uint64(copied + all + spaceMargin)
	if err := agentctl.CheckSpace(h.Agent.Client(), h.Agent.Dir(), need); err != nil {
		return fmt.Errorf("%s: its diffs need %s in remote_workdir %s (%s copied there, %s joined for the apply, %s margin): %w",
			h.Name(), mib(need), h.Server.RemoteWorkdir, mib(uint64(copied)), mib(uint64(all)), mib(spaceMargin), err)
	}
	if st.opts.DryRun {
		st.Report.Note(fmt.Sprintf("%s: remote_workdir has room for the %s its diffs need", h.Name(), mib(need)))
	}
	return nil
}

func mib(n uint64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// remoteSHA256 is the SHA-256 of a file on h, computed there by its agent.
func remoteSHA256(ctx context.Context, h *Host, p string) (string, error) {
	res, err := h.Agent.Hash(ctx, p)
	if err != nil {
		return "", fmt.Errorf("sha256 of %s on %s: %w", p, h.Name(), err)
	}
	return res.SHA256, nil
}
