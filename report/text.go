package report

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/mhago/mhago/hooks"
)

// Banner opens the text report, as in MHA's log.
const Banner = "----- Failover Report -----"

// Subject is MHA's mail subject: "<app>: MySQL Master failover <dead>",
// plus " to <new>" once a new master is active, plus " succeeded" when
// every host recovered. A dry run says so at the end, and so does a run
// that did not succeed (refused, aborted, failed...), so that a mail
// filter on the subject alone cannot take it for a success.
func Subject(r *Report) string {
	s := r.App + ": MySQL Master failover " + r.deadMasterInfo()
	switch {
	case r.Mode == ModeDryRun && r.NewMaster != nil:
		s += " to " + r.NewMaster.HostInfo() + " (dry run, nothing changed)"
	case r.Mode == ModeDryRun:
		s += " (dry run, nothing changed)"
	case r.activated():
		s += " to " + r.NewMaster.HostInfo()
	}
	if r.Mode != ModeDryRun {
		s += outcomeWord[r.Outcome]
	}
	return r.scrub(s)
}

// outcomeWord ends the subject of a run with its outcome.
var outcomeWord = map[string]string{
	OutcomeSuccess:         " succeeded",
	OutcomePartial:         " partially failed (some replica not recovered)",
	OutcomeRefused:         " refused (nothing changed)",
	OutcomeAborted:         " aborted (nothing changed)",
	OutcomeAbortIncomplete: " aborted (some replication threads still stopped)",
	OutcomeFailed:          " FAILED after the point of no return",
	OutcomeInterrupted:     " interrupted",
	OutcomeAbandoned:       " abandoned",
}

// deadMasterInfo names the master the run replaced; a run that stopped
// before it knew which server that is says so instead of "(:0)".
func (r *Report) deadMasterInfo() string {
	if r.DeadMaster.Name == "" && r.DeadMaster.IP == "" {
		return "(master not identified)"
	}
	return r.DeadMaster.HostInfo()
}

// Body is MHA's mail body: one line per event, in MHA's order and wording,
// built from the report's data. It is what report_script gets as --body.
func Body(r *Report) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	switch {
	case r.DeadMaster.Name == "" && r.DeadMaster.IP == "":
		line("The run stopped before it identified the master.\n")
	case r.MasterNotDead:
		line("Master %s is not confirmed dead: no failover.\n", r.DeadMaster.HostInfo())
	default:
		line("Master %s is down!\n", r.DeadMaster.HostInfo())
	}
	line("Check mhago logs at %s for details.\n", r.logLocation())
	switch {
	case r.Mode == ModeDryRun:
		line("Started dry run (nothing is changed).")
	case r.Interactive:
		line("Started manual(interactive) failover.")
	default:
		line("Started automated(non-interactive) failover.")
	}
	r.fencingLines(line)
	r.masterLines(line)
	r.replicaLines(line)
	line("%s", r.finalLine())
	return r.scrub(b.String())
}

func (r *Report) logLocation() string {
	host := r.ManagerHost
	if host == "" {
		host = "localhost"
	}
	if r.LogPath == "" {
		return host
	}
	return host + ":" + r.LogPath
}

// fencingLines are MHA's lines for the stop calls of the IP and shutdown
// scripts; the status and start calls are not reported here.
func (r *Report) fencingLines(line func(string, ...any)) {
	for _, h := range r.Hooks {
		cmd, _ := hooks.ArgValue(h.Args, "command")
		if cmd != "stop" && cmd != "stopssh" {
			continue
		}
		switch {
		case h.Name == hooks.IPFailoverScript && h.ExitCode == 0:
			line("Invalidated master IP address on %s", r.DeadMaster.HostInfo())
		case h.Name == hooks.IPFailoverScript:
			line("Failed to deactivate master IP with return code %d:0%s", h.ExitCode, hookErr(h))
		case h.Name == hooks.ShutdownScript && h.ExitCode == 0:
			line("Power off %s.", r.DeadMaster.Name)
		case h.Name == hooks.ShutdownScript && h.ExitCode == hooks.ExitProceed:
			line("SSH reachable on %s. Shutting down mysqld done.", r.DeadMaster.Name)
		case h.Name == hooks.ShutdownScript:
			line("Failed to execute shutdown_script with return code %d:0%s", h.ExitCode, hookErr(h))
		}
	}
}

func hookErr(h hooks.Result) string {
	if h.Err == "" {
		return ""
	}
	return " (" + h.Err + ")"
}

func (r *Report) masterLines(line func(string, ...any)) {
	if e := r.Election; e != nil && e.Latest != "" {
		line("The latest slave %s has all relay logs for recovery.", r.hostInfo(e.Latest))
	}
	if r.NewMaster == nil {
		return
	}
	nm := r.NewMaster.HostInfo()
	line("Selected %s as a new master.", nm)
	h := r.newMasterResult()
	switch {
	case h == nil:
	case h.Status == HostRecovered:
		line("%s: OK: Applying all logs succeeded.", nm)
	case h.Status == HostPlanned || (h.Status == "" && r.Mode == ModeDryRun):
		line("%s: PLAN: %s", nm, planText(h))
	case h.Status == HostFailed:
		line("Recovering master server failed.")
	}
	for _, hk := range r.Hooks {
		if cmd, _ := hooks.ArgValue(hk.Args, "command"); hk.Name != hooks.IPFailoverScript || cmd != "start" {
			continue
		}
		if hk.ExitCode == 0 {
			line("%s: OK: Activated master IP address.", nm)
		} else {
			line("Failed to activate master IP address for %s with return code %d:0%s", nm, hk.ExitCode, hookErr(hk))
		}
	}
}

func (r *Report) replicaLines(line func(string, ...any)) {
	from := "the new master"
	if r.NewMaster != nil {
		from = r.NewMaster.HostInfo()
	}
	for _, h := range r.Hosts {
		if h.Role != RoleReplica {
			continue
		}
		switch {
		case h.Status == "" && r.Mode == ModeDryRun:
			line("%s: PLAN: %s, then replicate from %s", h.HostInfo(), planText(h), from)
		case h.Status == "" && !r.PointOfNoReturnPassed:
			// Untouched by a run that stopped early: nothing to say.
		case h.Status == "":
			line("%s: ERROR: not recovered: the run stopped before reaching it.", h.HostInfo())
		case h.Status == HostRecovered:
			line("%s: OK: Applying all logs succeeded. Slave started, replicating from %s", h.HostInfo(), from)
		case h.Status == HostPlanned:
			line("%s: PLAN: %s, then replicate from %s", h.HostInfo(), planText(h), from)
		case h.Status == HostSkipped:
			line("%s: ERROR: Slave failed so couldn't recover.%s", h.HostInfo(), suffix(h.Error))
		default:
			line("%s: ERROR: %s", h.HostInfo(), orText(h.Error, "Applying logs failed."))
		}
	}
}

func (r *Report) finalLine() string {
	nm := "the new master"
	if r.NewMaster != nil {
		nm = r.NewMaster.HostInfo()
	}
	switch r.Outcome {
	case OutcomeSuccess:
		return fmt.Sprintf("Master failover to %s completed successfully.", nm)
	case OutcomePartial:
		return fmt.Sprintf("Master failover to %s done, but recovery on slave partially failed.", nm)
	case OutcomePlanned:
		return fmt.Sprintf("Dry run finished: would fail over to %s. Nothing was changed.", nm)
	case OutcomeRefused:
		return "Failover refused, nothing was changed: " + r.Error
	case OutcomeAborted:
		return "Got Error so couldn't continue failover from here (the cluster was not changed): " + r.Error
	}
	return "Got Error so couldn't continue failover from here." + suffix(r.Error)
}

// planText sums the diffs a dry run generated for the host.
func planText(h *HostResult) string {
	var d Diff
	for _, x := range h.Diffs {
		d.Bytes, d.Events, d.Transactions = d.Bytes+x.Bytes, d.Events+x.Events, d.Transactions+x.Transactions
	}
	return fmt.Sprintf("apply %d bytes (%d events, %d transactions) in %d diffs", d.Bytes, d.Events, d.Transactions, len(h.Diffs))
}

func (r *Report) hostInfo(name string) string {
	for _, h := range r.Hosts {
		if h.Name == name {
			return h.HostInfo()
		}
	}
	return name
}

// Text is the whole text report: MHA's banner, subject and body, then
// mhago's details.
func Text(r *Report) string {
	if r.IsRejoin() {
		return rejoinText(r)
	}
	var b strings.Builder
	if r.Switch != nil {
		b.WriteString("----- Switchover Report -----\n\n" + switchoverSubject(r) + "\n\n")
	} else {
		b.WriteString(Banner + "\n\n" + Subject(r) + "\n\n" + Body(r))
		b.WriteString("\n----- mhago details -----\n\n")
	}
	r.writeSummary(&b)
	r.writeSwitchover(&b)
	r.writeElection(&b)
	r.writePhases(&b)
	r.writeHosts(&b)
	r.writeHooks(&b)
	r.writeList(&b, "Unrecoverable (lost or not saved)", r.Unsaved)
	r.writeList(&b, "Notes", r.Notes)
	r.writeList(&b, "OPERATOR ACTION REQUIRED", r.OperatorActions())
	r.writeList(&b, "TO FINISH BY HAND", r.ManualSteps)
	return r.scrub(b.String())
}

func (r *Report) writeSummary(b *strings.Builder) {
	fmt.Fprintf(b, "Run:       %s (mode %s, fence %d)\n", r.RunID, r.Mode, r.Fence)
	fmt.Fprintf(b, "Config:    %s\n", r.Config)
	if r.Cluster != "" {
		fmt.Fprintf(b, "Cluster:   %s (lock, journal and guard files)\n", r.Cluster)
	}
	fmt.Fprintf(b, "Started:   %s\n", stamp(r.Started))
	fmt.Fprintf(b, "Finished:  %s (took %s)\n", stamp(r.Finished), dur(r.Finished.Sub(r.Started)))
	fmt.Fprintf(b, "Outcome:   %s\n", r.Outcome)
	if r.Error != "" {
		fmt.Fprintf(b, "Error:     %s\n", r.Error)
	}
	ponr := "not passed: the cluster was not changed"
	if r.PointOfNoReturnPassed {
		ponr = "passed: the cluster was changed"
	}
	fmt.Fprintf(b, "Point of no return: %s\n", ponr)
	if r.LogPath != "" {
		fmt.Fprintf(b, "Log:       %s\n", r.LogPath)
	}
	if f := r.Files; f != nil {
		fmt.Fprintf(b, "Report:    %s (JSON: %s; latest: %s)\n", f.Text, f.JSON, f.LastText)
	}
	if l := r.Lock; l != nil {
		fmt.Fprintf(b, "Lock:      %s (fence %d, holder %s)\n", l.Key, l.Fence, l.Holder)
	}
}

func (r *Report) writeElection(b *strings.Builder) {
	e := r.Election
	if e == nil {
		return
	}
	fmt.Fprintf(b, "\nElection: chose %s", orText(e.Chosen, "nobody"))
	if e.Step != "" {
		fmt.Fprintf(b, " by rule: %s", e.Step)
	}
	if e.Latest != "" {
		fmt.Fprintf(b, " (latest slave %s)", e.Latest)
	}
	b.WriteString("\n")
	for _, h := range r.electionOrder() {
		fmt.Fprintf(b, "  %s: %s\n", h, e.Reasons[h])
	}
}

// electionOrder lists the hosts with a reason: the chosen one first, then
// in report order, then any others sorted, so the text is deterministic.
func (r *Report) electionOrder() []string {
	e := r.Election
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		if _, ok := e.Reasons[h]; ok && !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	add(e.Chosen)
	for _, h := range r.Hosts {
		add(h.Name)
	}
	for _, h := range slices.Sorted(maps.Keys(e.Reasons)) {
		add(h)
	}
	return out
}

func (r *Report) writePhases(b *strings.Builder) {
	b.WriteString("\nPhases:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	for _, p := range r.Phases {
		fmt.Fprintf(tw, "  %s\t%s\t%s", p.Name, p.Status, dur(p.Duration))
		if p.Error != "" {
			fmt.Fprintf(tw, "\t%s", p.Error)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	for _, p := range r.Phases {
		for _, n := range p.Notes {
			fmt.Fprintf(b, "  [%s] %s\n", p.Name, n)
		}
	}
}

func (r *Report) writeHosts(b *strings.Builder) {
	b.WriteString("\nHosts:\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  HOST\tROLE\tSTATUS\tBEFORE\tAFTER\tAPPLIED\n")
	for _, h := range r.Hosts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%d bytes, %d events, %d trx\n", h.HostInfo(), orText(h.Role, "-"),
			orText(h.Status, "-"), h.Before, h.After, h.AppliedBytes, h.AppliedEvents, h.AppliedTransactions)
	}
	tw.Flush()
	for _, h := range r.Hosts {
		for _, d := range h.Diffs {
			fmt.Fprintf(b, "  %s: %s diff from %s: %d bytes, %d events, %d trx%s\n",
				h.Name, d.Kind, d.From, d.Bytes, d.Events, d.Transactions, gtidRange(d))
		}
		for _, p := range h.Paths {
			fmt.Fprintf(b, "  %s: %s, %d bytes: %s\n", h.Name, p.Path, p.Bytes, p.Why)
		}
		if h.Error != "" {
			fmt.Fprintf(b, "  %s: error: %s\n", h.Name, h.Error)
		}
	}
}

func gtidRange(d Diff) string {
	if d.FirstGTID == "" && d.LastGTID == "" {
		return ""
	}
	return fmt.Sprintf(", gtid %s .. %s", d.FirstGTID, d.LastGTID)
}

func (r *Report) writeHooks(b *strings.Builder) {
	if len(r.Hooks) == 0 {
		return
	}
	b.WriteString("\nHooks:\n")
	for _, h := range r.Hooks {
		fmt.Fprintf(b, "  %s exit=%d (%s): %s %s%s\n", h.Name, h.ExitCode, dur(h.Duration), h.Path,
			strings.Join(h.Args, " "), hookErr(h))
		if out := strings.TrimSpace(h.Output); out != "" {
			for _, l := range strings.Split(out, "\n") {
				fmt.Fprintf(b, "      | %s\n", l)
			}
		}
	}
}

func (r *Report) writeList(b *strings.Builder, title string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintf(b, "\n%s:\n", title)
	for _, it := range items {
		fmt.Fprintf(b, "  - %s\n", it)
	}
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("2006-01-02 15:04:05.000 -0700")
}

// dur rounds to milliseconds; a failover is measured in seconds.
func dur(d time.Duration) string {
	if d < 0 {
		return "-"
	}
	return d.Round(time.Millisecond).String()
}

func suffix(s string) string {
	if s == "" {
		return ""
	}
	return " " + s
}

func orText(s, def string) string {
	if s != "" {
		return s
	}
	return def
}
