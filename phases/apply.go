package phases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/mhago/mhago/internal/faults"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/report"
)

// defaultApplyWait bounds the wait for an apply an earlier run left
// running on a host before it is stopped.
const defaultApplyWait = 2 * time.Minute

// applyStep is the journal's record of an apply: the diffs by checksum.
type applyStep struct {
	Files  []string `json:"files"`
	SHA256 []string `json:"sha256"`
}

// applyDiffs replays h's diffs in one session. It can run again: the agent
// takes the host's apply lock (waiting for, or stopping, an apply an
// earlier run left behind) and leaves out every transaction the server's
// own GTID state shows it already has. A server that keeps no such state
// (log_bin off, MySQL without GTIDs) cannot say what an interrupted apply
// did, so there the journal decides, and an apply started but never
// finished is refused rather than guessed.
func (st *State) applyDiffs(ctx context.Context, h *Host) error {
	if len(h.diffs) == 0 {
		return nil
	}
	diffs, err := st.applyOwnRelayLog(ctx, h)
	if err != nil || len(diffs) == 0 {
		return err
	}
	if done, err := st.untrackedApply(h); done || err != nil {
		return err
	}
	s := h.Server
	req := proto.ApplyRequest{Host: s.IP, Port: s.Port, User: s.User, Password: s.Password.Reveal(),
		ClientBindir: s.ClientBindir, DisableLogBin: s.DisableLogBin, Workdir: h.Agent.Dir(),
		RunID: st.opts.RunID, LockDir: s.RemoteWorkdir, WaitRunningMS: st.applyWait().Milliseconds(),
		StopRunning: true, SkipExecuted: true}
	var rec applyStep
	for _, d := range diffs {
		req.Files = append(req.Files, d.path)
		rec.Files, rec.SHA256 = append(rec.Files, d.path), append(rec.SHA256, d.result.SHA256)
	}
	if err := st.run.StepStart(ctx, h.Name(), actApply, rec); err != nil {
		return err
	}
	faults.At(faults.Point("apply", h.Name()))
	res, err := h.Agent.Apply(ctx, req, st.applyProgress(h, time.Now()))
	st.run.StepEnd(ctx, h.Name(), actApply, err)
	if err != nil {
		st.noteSettings(h, res)
		return fmt.Errorf("apply diffs on %s: %w", h.Name(), err)
	}
	st.recordApply(h, res, diffs)
	return nil
}

func (st *State) applyWait() time.Duration {
	if st.opts.ApplyWait > 0 {
		return st.opts.ApplyWait
	}
	return defaultApplyWait
}

// untrackedApply decides, for a server that does not record what a client
// applied, from the journal of the run this one finishes: done when that
// run's apply finished, an error when it started and never finished.
func (st *State) untrackedApply(h *Host) (done bool, err error) {
	if st.prev == nil || tracksApplied(h) {
		return false, nil
	}
	s, ok := st.prev.Step(h.Name(), actApply)
	switch {
	case !ok:
		return false, nil
	case s.Ended && s.Error == "":
		st.Report.Note(fmt.Sprintf("%s: its diffs were applied by run %s (journal); not applied again", h.Name(), st.prev.Run))
		return true, nil
	}
	return false, fmt.Errorf("%s: run %s started applying its diffs at %s and did not finish, and the server keeps no GTID record of what a client applied (%s), so how much was applied cannot be told: rebuild %s from the new master",
		h.Name(), st.prev.Run, s.Started.Format(time.RFC3339), untrackedWhy(h), h.Name())
}

// tracksApplied tells whether h's server records the GTIDs of what a
// client applies, so its own state tells what a diff already did.
func tracksApplied(h *Host) bool {
	s := h.Status
	if s == nil {
		return false
	}
	if s.MariaDB {
		return s.LogBin && !h.Server.DisableLogBin
	}
	return s.GTIDMode == "ON"
}

func untrackedWhy(h *Host) string {
	switch {
	case h.Status == nil:
		return "status unknown"
	case h.Status.MariaDB && h.Server.DisableLogBin:
		return "disable_log_bin=1"
	case h.Status.MariaDB:
		return "log_bin=OFF"
	}
	return "gtid_mode=" + h.Status.GTIDMode
}

func (st *State) recordApply(h *Host, res *proto.ApplyResult, diffs []diffFile) {
	hr := st.Report.HostResult(h.Name(), h.Server.Addr(), "")
	hr.Applied(res.Bytes, res.Events, res.Transactions)
	hr.Took(report.PathDiffReplay, res.Bytes, "what it lacked was replayed from diff files ("+diffSources(diffs)+") through its client, in one session")
	if res.Trimmed > 0 {
		st.Report.Note(fmt.Sprintf("%s: %d events of a transaction the dead master never committed were not applied", h.Name(), res.Trimmed))
	}
	if res.Skipped > 0 {
		st.Report.Note(fmt.Sprintf("%s: %d transactions it already had were not applied again (%s .. %s)",
			h.Name(), res.Skipped, res.SkippedFirstGTID, res.SkippedLastGTID))
	}
	if w := res.Waited; w != nil {
		verb := "waited for"
		if res.Stopped {
			verb = "stopped"
		}
		st.Report.Note(fmt.Sprintf("%s: %s an apply left running by run %s (pids %v, started %s)", h.Name(), verb, w.RunID, w.PIDs, w.Started))
	}
	st.noteSettings(h, res)
}

// noteSettings says which server settings the apply changed for its
// duration and put back (max_allowed_packet, super_read_only), and those
// an earlier apply had left changed: an operator who finds one not put
// back knows what to set by hand.
func (st *State) noteSettings(h *Host, res *proto.ApplyResult) {
	if res == nil {
		return
	}
	if l := res.SettingsLeft; l != nil {
		st.Report.Note(fmt.Sprintf("%s: settings left changed by the apply of run %s (started %s): %s",
			h.Name(), l.RunID, l.Started, joinChanges(l.Changes)))
	}
	if len(res.Settings) > 0 {
		st.Report.Note(fmt.Sprintf("%s: settings changed for the apply: %s", h.Name(), joinChanges(res.Settings)))
	}
	if res.SettingsWarning != "" {
		st.Report.Note(fmt.Sprintf("%s: %s", h.Name(), res.SettingsWarning))
	}
}

func joinChanges(cs []proto.SettingChange) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = c.String()
	}
	return strings.Join(s, ", ")
}

// applied says whether run prev finished a change on host without error.
func applied(prev *journal.Replay, host string, a journal.Action) bool {
	s, ok := started(prev, host, a)
	return ok && s.Ended && s.Error == ""
}

// started is run prev's record of a change on host, if it began one.
func started(prev *journal.Replay, host string, a journal.Action) (journal.StepState, bool) {
	if prev == nil {
		return journal.StepState{}, false
	}
	return prev.Step(host, a)
}

// diffSources lists the diffs' kinds and where each came from, e.g.
// "exec from server2, master_binlog from server1".
func diffSources(ds []diffFile) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		from := d.fromRecord
		if d.from != nil {
			from = d.from.Name()
		}
		parts[i] = d.kind + " from " + from
	}
	return strings.Join(parts, ", ")
}
