package bench

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"
)

// stats are the median, min and max of some durations.
type stats struct{ med, min, max time.Duration }

func summarize(ds []time.Duration) stats {
	if len(ds) == 0 {
		return stats{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return stats{med: s[len(s)/2], min: s[0], max: s[len(s)-1]}
}

func (s stats) String() string {
	return fmt.Sprintf("%.2f s (%.2f–%.2f)", s.med.Seconds(), s.min.Seconds(), s.max.Seconds())
}

// WriteTable prints, per scenario, the median (min–max) time to writable
// and wall time of each tool, the ratio mhago/MHA of the medians, and the
// commits lost and checksum failures over all runs.
func WriteTable(w io.Writer, results []Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\twritable: MHA\twritable: mhago\tratio\twall: MHA\twall: mhago\tratio\tlost (MHA/mhago)\tchecksums differ (MHA/mhago)")
	for _, sc := range Scenarios {
		var w, wall [2][]time.Duration
		var lost, bad [2]int
		for _, r := range results {
			if r.Scenario != string(sc) {
				continue
			}
			k := 0
			if r.Tool == "mhago" {
				k = 1
			}
			w[k], wall[k] = append(w[k], r.Writable), append(wall[k], r.Wall)
			lost[k] += r.Lost
			if r.ChecksumsDiffer != "" || r.Exit != 0 {
				bad[k]++
			}
		}
		if len(w[0])+len(w[1]) == 0 {
			continue
		}
		sw, sm := summarize(w[0]), summarize(w[1])
		aw, am := summarize(wall[0]), summarize(wall[1])
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%d/%d\n", sc, sw, sm, ratio(sm.med, sw.med), aw, am, ratio(am.med, aw.med), lost[0], lost[1], bad[0], bad[1])
	}
	tw.Flush()
}

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
