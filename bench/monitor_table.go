package bench

import (
	"fmt"
	"io"
	"time"
)

// MHAReference is the measurement of MHA 0.58's manager elsewhere
// (SIGKILL to the first accepted write), by ping_interval.
var MHAReference = map[int]time.Duration{3: 15800 * time.Millisecond, 1: 7200 * time.Millisecond}

// monitorRow is one tool's numbers in one monitor case.
type monitorRow struct {
	mc             MonitorCase
	tool           string
	writable, wall stats
	lost, bad      int
	hung, runs     int
	phases         map[string][]time.Duration
}

// monitorRows groups results by case, then tool (MHA first); a run counts
// for the times only when it has no problem.
func monitorRows(results []MonitorResult) []monitorRow {
	var out []monitorRow
	for _, mc := range MonitorCases {
		for _, tool := range []string{"MHA 0.58", "mhago"} {
			r := monitorRow{mc: mc, tool: tool, phases: map[string][]time.Duration{}}
			var w, wall []time.Duration
			for _, res := range results {
				if res.Tool != tool || res.Fault != mc.Fault || res.PingInterval != mc.PingInterval {
					continue
				}
				r.runs++
				r.lost += res.Lost
				if res.Hung {
					r.hung++
				}
				if res.Problem != "" {
					r.bad++
					continue
				}
				w, wall = append(w, res.Writable), append(wall, res.Wall)
				for _, s := range res.Spans {
					r.phases[s.Name] = append(r.phases[s.Name], s.End-s.Start)
				}
			}
			if r.runs > 0 {
				r.writable, r.wall = summarize(w), summarize(wall)
				out = append(out, r)
			}
		}
	}
	return out
}

func (r monitorRow) timed() bool { return r.bad < r.runs }

func (r monitorRow) cell(s stats) string {
	if !r.timed() {
		return "-"
	}
	return s.String()
}

// verdict says whether mhago's median meets r's target; MHA has none.
func (r monitorRow) verdict() string {
	switch {
	case r.tool != "mhago":
		if ref, ok := MHAReference[r.mc.PingInterval]; ok && r.mc.Fault == Crash {
			return fmt.Sprintf("(issue: %.1f s)", ref.Seconds())
		}
		return ""
	case !r.timed():
		return "NOT met (no successful run)"
	case r.writable.med <= r.mc.Target():
		return "met"
	}
	return "**NOT met**"
}

// WriteMonitorTable prints, as Markdown, per case and tool the median
// (min–max) time from the fault to writable and to the failover's end,
// commits lost, failed and hung runs, and mhago's target; then, for each
// target missed, the phases that hold mhago's time.
func WriteMonitorTable(w io.Writer, results []MonitorResult) {
	rs := monitorRows(results)
	fmt.Fprintln(w, "| fault | monitor | fault to writable | fault to failover end | acked commits lost | failed runs (no write within the limit) | target for mhago | met |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %d | %d of %d (%d) | %s | %s |\n", r.mc, r.tool,
			r.cell(r.writable), r.cell(r.wall), r.lost, r.bad, r.runs, r.hung, target(r), r.verdict())
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		if r.tool == "mhago" && r.timed() && r.writable.med > r.mc.Target() {
			top := row{mhagoPhases: r.phases}.topPhases(3)
			fmt.Fprintf(w, "- %s: mhago %s misses %s; its time goes to %s\n", r.mc, dur(r.writable.med), dur(r.mc.Target()), top)
		}
	}
}

func target(r monitorRow) string {
	if r.tool != "mhago" {
		return ""
	}
	if r.mc.Fault == Crash {
		return "≤ " + dur(r.mc.Target())
	}
	return fmt.Sprintf("≤ 3 × %d s + %s", r.mc.PingInterval, dur(TargetCrash))
}
