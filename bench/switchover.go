package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// Switchover is the planned-switchover scenario: host 1 (alive, under a
// follow load) hands the master role to host 2 and becomes its replica.
const Switchover Scenario = "planned switchover to host 2, old master as new slave"

// The targets for the switchover: mhago's median write-blocked
// window under 100 ms and at most a fifth of MHA's.
const (
	TargetSwitchBlocked = 100 * time.Millisecond
	TargetSwitchRatio   = 1.0 / 5
)

// What is measured, the same for both tools: a follow load of 4 writers
// as the unprivileged mhago_app user (whom read_only binds), writing
// through the addresses of all 4 hosts. A worker whose INSERT is refused
// retries the row on every host, host 2 first, pausing 1 ms after each
// fruitless round (so the window is resolved to about 1-2 ms). Its write-blocked window
// runs from sending the first refused INSERT to the acknowledgement of the
// next accepted one; the trial's window is the longest span of the union
// of the workers' windows (cluster.LoadResult.Blocked): from the first
// refusal of any worker to the last worker writing again. Neither tool has
// an online-change (VIP) script: each sets read_only on the old master and
// clears it on the new one, and the load finds the new master by itself.
const (
	switchWriters = 4
	switchSettle  = 2 * time.Second // load before the switch
	switchAfter   = time.Second     // load after it, at the new master
	// switchRetryPause: windows of tens of ms need a fine retry pace.
	switchRetryPause = time.Millisecond
)

// SwitchResult is one switchover trial.
type SwitchResult struct {
	Tool string
	Exit int
	Hung bool
	// Blocked is the client-side window (see above); BlockedWorkerMax the
	// longest single worker's; ToolBlocked what the tool reports of itself
	// (mhago's write_blocked_ms; 0: none).
	Blocked, BlockedWorkerMax, ToolBlocked time.Duration
	Wall                                   time.Duration
	Refused                                int
	Acked, AckedNew, Lost                  int
	// Problem says why the run does not count ("" if it does): a failed
	// command, a load that never moved, lost commits, differing checksums.
	Problem string
	// Spans are the tool's phases within its write-blocked window (mhago).
	Spans []Span
	Log   string `json:"-"`
}

// SwitchTrial switches a fresh 4-host cluster's master to host 2 with
// tool, under the follow load, and checks the result.
func SwitchTrial(ctx context.Context, env Env, tool Tool) (SwitchResult, error) {
	res := SwitchResult{Tool: tool.Name}
	c, err := cluster.Up(ctx, cluster.Options{Dir: filepath.Join(env.Dir, "cluster"), Base: env.Base, Hosts: 4,
		SSHDEnv: ShimEnv(env.ShimDir), ParallelReplication: ParallelWorkers})
	if err != nil {
		return res, err
	}
	defer c.Down()
	if tool.Prepare != nil {
		if err := tool.Prepare(ctx, c); err != nil {
			return res, fmt.Errorf("%s: prepare: %w", tool.Name, err)
		}
	}
	l, err := c.StartLoad(ctx, cluster.LoadOptions{Follow: true, Workers: switchWriters, Rows: 100_000_000,
		MaxRetryPause: switchRetryPause, Duration: switchSettle + RunLimit + switchAfter + 30*time.Second})
	if err != nil {
		return res, err
	}
	time.Sleep(switchSettle)
	runCtx, cancel := context.WithTimeout(ctx, RunLimit)
	run, err := tool.Run(runCtx, c)
	res.Hung = runCtx.Err() != nil
	cancel()
	if err != nil {
		l.Stop()
		return res, err
	}
	time.Sleep(switchAfter)
	lr := l.Stop()
	res.Exit, res.Wall, res.ToolBlocked, res.Spans, res.Log = run.Exit, run.Wall, run.ToolBlocked, run.Spans, run.Log
	res.Blocked, res.BlockedWorkerMax, res.Refused = lr.Blocked, lr.BlockedWorkerMax, lr.Refused
	res.Acked, res.AckedNew = len(lr.Acked), len(lr.AckedBy[c.MySQLAddr(2)])
	res.Problem = join(switchProblem(res.Exit, res.Hung, lr, c.MySQLAddr(2)), checkSwitched(ctx, c))
	// Read after the replicas caught up: an id acked on host 1 is lost only
	// if host 2 became master without it.
	have, err := c.RowIDs(ctx, 2, "mhago_test.load")
	if err != nil {
		res.Lost = res.Acked
		res.Problem = join(res.Problem, err.Error())
		return res, nil
	}
	res.Lost = missing(lr.Acked, have)
	return res, nil
}

// switchProblem judges the run and its load: the command must succeed,
// the load must have been refused and must have gone on at newAddr.
func switchProblem(exit int, hung bool, lr cluster.LoadResult, newAddr string) string {
	switch {
	case hung:
		return fmt.Sprintf("hung: killed after %s", RunLimit)
	case exit != 0:
		return fmt.Sprintf("exit status %d", exit)
	case lr.Errors != lr.Refused:
		return fmt.Sprintf("the load failed: %v", lr.LastErr)
	case lr.Refused == 0:
		return "no write was refused: the old master never went read_only"
	}
	for _, w := range lr.Windows {
		if w.Open {
			return fmt.Sprintf("worker %d never wrote again after %s refused it", w.Worker, w.From)
		}
		if w.To != newAddr {
			return fmt.Sprintf("worker %d went on at %s, not at the new master %s", w.Worker, w.To, newAddr)
		}
	}
	if len(lr.AckedBy[newAddr]) == 0 {
		return "no write acknowledged on the new master " + newAddr
	}
	return ""
}

// missing counts the ids of acked absent from have (sorted).
func missing(acked, have []int64) int {
	n := 0
	for _, id := range acked {
		if _, ok := slices.BinarySearch(have, id); !ok {
			n++
		}
	}
	return n
}

func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// checkSwitched checks that host 1 now replicates from host 2 and that all
// four hosts end with equal checksums once caught up.
func checkSwitched(ctx context.Context, c *cluster.Cluster) string {
	problem := ""
	st, err := c.SlaveStatus(ctx, 1)
	switch {
	case err != nil:
		problem = err.Error()
	case st["Master_Host"] != c.IP(2) || st["Slave_IO_Running"] != "Yes" || st["Slave_SQL_Running"] != "Yes":
		problem = fmt.Sprintf("host 1 is not a running replica of host 2 (master %q, io %q, sql %q)",
			st["Master_Host"], st["Slave_IO_Running"], st["Slave_SQL_Running"])
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := c.SyncReplicas(ctx); err != nil {
		return join(problem, err.Error())
	}
	if err := c.CompareChecksums(ctx); err != nil {
		return join(problem, err.Error())
	}
	return problem
}

// MHASwitchover is masterha_master_switch --master_state=alive to host 2,
// in batch mode, as a Tool.
func MHASwitchover(shimDir string) Tool {
	return Tool{Name: "MHA 0.58", Run: func(ctx context.Context, c *cluster.Cluster) (Run, error) {
		r, _, err := runMHASwitch(ctx, c, shimDir, "--master_state=alive",
			"--new_master_host="+c.IP(2), fmt.Sprintf("--new_master_port=%d", c.Options().MySQLPort),
			"--orig_master_is_new_slave", "--interactive=0")
		return r, err
	}}
}

// MhagoSwitchover is `mhago switchover` to server2 as a Tool; Prepare runs
// `mhago check` as for the failovers. Its spans are the report's phases
// within the write-blocked window it reports.
func MhagoSwitchover(bin string) Tool {
	t := Mhago(bin)
	t.Run = func(ctx context.Context, c *cluster.Cluster) (Run, error) {
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, bin, "switchover", "--conf", c.ConfigPath(),
			"--new-master", "server2", "--orig-master-is-new-slave", "--json")
		out, err := cmd.Output()
		r := Run{Exit: cmd.ProcessState.ExitCode(), Wall: time.Since(t0), Log: string(out)}
		if ee, ok := err.(*exec.ExitError); ok {
			r.Log += string(ee.Stderr)
		} else if err != nil {
			return r, err
		}
		var rep report.Report
		if err := json.Unmarshal(out, &rep); err != nil {
			return r, fmt.Errorf("mhago switchover printed no report (exit %d): %w", r.Exit, err)
		}
		if rep.Switch != nil {
			r.ToolBlocked = time.Duration(rep.Switch.WriteBlockedMS * float64(time.Millisecond))
			r.Spans = WindowSpans(rep.Phases, rep.Switch.BlockedAt, rep.Switch.OpenedAt)
		}
		return r, nil
	}
	return t
}

// WindowSpans clips the phases to the window [from, to] and keeps those
// that overlap it, relative to from.
func WindowSpans(phases []*report.Phase, from, to time.Time) []Span {
	if from.IsZero() || to.IsZero() {
		return nil
	}
	var spans []Span
	for _, p := range phases {
		start, end := p.Started, p.Started.Add(p.Duration)
		if p.Started.IsZero() || !end.After(from) || !start.Before(to) {
			continue
		}
		spans = append(spans, Span{Name: p.Name, Start: max(start.Sub(from), 0), End: min(end.Sub(from), to.Sub(from))})
	}
	return spans
}

func (r SwitchResult) String() string {
	s := fmt.Sprintf("%-8s %-45s exit %d write-blocked %s (one worker %s) wall %6.2fs acked %d (on the new master %d) refused %d lost %d",
		r.Tool, Switchover, r.Exit, ms(r.Blocked), ms(r.BlockedWorkerMax), r.Wall.Seconds(), r.Acked, r.AckedNew, r.Refused, r.Lost)
	if r.ToolBlocked > 0 {
		s += " self-reported " + ms(r.ToolBlocked)
	}
	if r.Problem != "" {
		s += " PROBLEM: " + r.Problem
	}
	return s
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

// switchRow is one tool's switchover numbers over the runs that count.
type switchRow struct {
	tool                string
	blocked, wall, self stats
	lost, bad, runs     int
	phases              map[string][]time.Duration // within the window
}

func switchRows(results []SwitchResult) []switchRow {
	var out []switchRow
	for _, tool := range []string{"MHA 0.58", "mhago"} {
		r := switchRow{tool: tool, phases: map[string][]time.Duration{}}
		var blocked, wall, self []time.Duration
		for _, res := range results {
			if res.Tool != tool {
				continue
			}
			r.runs++
			r.lost += res.Lost
			if res.Problem != "" || res.Lost > 0 {
				r.bad++
				continue
			}
			blocked, wall = append(blocked, res.Blocked), append(wall, res.Wall)
			if res.ToolBlocked > 0 {
				self = append(self, res.ToolBlocked)
			}
			for _, sp := range res.Spans {
				r.phases[sp.Name] = append(r.phases[sp.Name], sp.End-sp.Start)
			}
		}
		if r.runs > 0 {
			r.blocked, r.wall, r.self = summarize(blocked), summarize(wall), summarize(self)
			out = append(out, r)
		}
	}
	return out
}

func msStats(s stats) string {
	if s.max == 0 {
		return "-"
	}
	return fmt.Sprintf("%s (%s–%s)", ms(s.med), ms(s.min), ms(s.max))
}

// WriteSwitchTable prints, as Markdown, per tool the median (min–max)
// client-side write-blocked window, the tool's own figure, the wall time,
// commits lost and runs that did not count; then the ratio and whether
// mhago meets the targets.
func WriteSwitchTable(w io.Writer, results []SwitchResult) {
	rs := switchRows(results)
	fmt.Fprintln(w, "| planned switchover | write-blocked, client-side | self-reported | wall | acked commits lost | failed runs |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	var mha, mhago *switchRow
	for k, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d of %d |\n", r.tool, msStats(r.blocked), msStats(r.self),
			r.wall, r.lost, r.bad, r.runs)
		switch r.tool {
		case "mhago":
			mhago = &rs[k]
		case "MHA 0.58":
			mha = &rs[k]
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, switchVerdict(mha, mhago))
	if mhago != nil && len(mhago.phases) > 0 {
		fmt.Fprintf(w, "\nmhago's own window goes to (medians): %s\n", row{mhagoPhases: mhago.phases}.topPhases(4))
	}
}

// switchVerdict states the ratio of the medians and whether mhago met the
// targets; a tool without a counted run meets nothing.
func switchVerdict(mha, mhago *switchRow) string {
	if mhago == nil || mhago.bad == mhago.runs {
		return fmt.Sprintf("Switchover target (mhago median < %s and at most %.2f of MHA's): NOT MET, no successful mhago run.",
			ms(TargetSwitchBlocked), TargetSwitchRatio)
	}
	m := mhago.blocked.med
	abs := m < TargetSwitchBlocked
	line := fmt.Sprintf("Switchover write-blocked median: mhago %s", ms(m))
	rel, ratioMet := "", false
	if mha != nil && mha.bad < mha.runs {
		rel = fmt.Sprintf(", MHA %s, ratio mhago/MHA %s", ms(mha.blocked.med), ratio(m, mha.blocked.med))
		ratioMet = float64(m)/float64(mha.blocked.med) <= TargetSwitchRatio
	} else {
		rel = ", no successful MHA run to compare with"
	}
	verdict := "met"
	if !abs || !ratioMet {
		verdict = "NOT met"
	}
	return fmt.Sprintf("%s%s. Target (mhago median < %s and at most %.2f of MHA's): %s.",
		line, rel, ms(TargetSwitchBlocked), TargetSwitchRatio, verdict)
}
