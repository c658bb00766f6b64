package chaos

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary prints one line per scenario, then each failure with its
// seed, parameters, problems, report and artifacts, then the totals.
func WriteSummary(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SEED\tRESULT\tRUNS (exit codes)\tACKED\tLOST (acked/all)\tTIME\tSCENARIO (faults that did not strike)")
	var failed []Result
	var total time.Duration
	for _, r := range results {
		verdict := "pass"
		if !r.Passed {
			verdict = "FAIL"
			failed = append(failed, r)
		}
		total += r.Elapsed
		missed := ""
		if len(r.Missed) > 0 {
			missed = " (missed: " + strings.Join(r.Missed, ",") + ")"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d/%d\t%s\t%s%s\n", r.Scenario.Seed, verdict, exits(r.Runs), r.Acked, r.LostAcked, r.Lost, r.Elapsed.Round(100*time.Millisecond), r.Scenario, missed)
	}
	tw.Flush()
	for _, r := range failed {
		fmt.Fprintf(w, "\nFAILED seed %d (replay: make chaos SEED=%d)\n  %s\n", r.Scenario.Seed, r.Scenario.Seed, r.Scenario)
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
		for _, run := range r.Runs {
			if run.ReportFile != "" {
				fmt.Fprintf(w, "  report of %s: %s\n", strings.Join(run.Args, " "), run.ReportFile)
			}
		}
		if r.Artifacts != "" {
			fmt.Fprintf(w, "  kept: %s (manager_workdir under manager/; problems, clients and mhago's output in scenario.txt)\n", r.Artifacts)
		}
	}
	fmt.Fprintf(w, "\n%d scenarios run, %d passed, %d failed in %s\n", len(results), len(results)-len(failed), len(failed), total.Round(time.Second))
}

func exits(runs []Run) string {
	if len(runs) == 0 {
		return "-"
	}
	parts := make([]string, len(runs))
	for i, r := range runs {
		parts[i] = fmt.Sprint(r.Exit)
		if r.Exit == -1 {
			parts[i] = "killed"
		}
	}
	return strings.Join(parts, ",")
}
