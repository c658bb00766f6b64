package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"
)

// The targets: mhago/MHA medians.
const (
	TargetWritable = 1.0 / 5
	TargetWall     = 1.0 / 3
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

// row is one scenario's numbers.
type row struct {
	sc             Scenario
	writable, wall [2]stats // 0: MHA, 1: mhago
	lost, bad      [2]int
	runs           [2]int
	mhagoPhases    map[string][]time.Duration
}

func rows(results []Result) []row {
	var out []row
	for _, sc := range Scenarios {
		r := row{sc: sc, mhagoPhases: map[string][]time.Duration{}}
		var w, wall [2][]time.Duration
		for _, res := range results {
			if res.Scenario != string(sc) {
				continue
			}
			k := 0
			if res.Tool == "mhago" {
				k = 1
				for _, s := range res.Spans {
					r.mhagoPhases[s.Name] = append(r.mhagoPhases[s.Name], s.End-s.Start)
				}
			}
			r.runs[k]++
			r.lost[k] += res.Lost
			if res.ChecksumsDiffer != "" || res.Exit != 0 {
				r.bad[k]++
				continue // timed only where it succeeded
			}
			w[k], wall[k] = append(w[k], res.Writable), append(wall[k], res.Wall)
		}
		if r.runs[0]+r.runs[1] == 0 {
			continue
		}
		for k := range 2 {
			r.writable[k], r.wall[k] = summarize(w[k]), summarize(wall[k])
		}
		out = append(out, r)
	}
	return out
}

// WriteTable prints, as Markdown, per scenario the median (min–max) time
// to writable and wall time of each tool over its successful runs, the
// ratio mhago/MHA of the medians, the commits lost and the runs that
// failed (exit status, checksums, or hung); then, for every target mhago
// misses, the phases that hold its time.
func WriteTable(w io.Writer, results []Result) {
	rs := rows(results)
	fmt.Fprintln(w, "| scenario | writable: MHA | writable: mhago | ratio | wall: MHA | wall: mhago | ratio | acked commits lost (MHA / mhago) | failed runs or checksums differ (MHA / mhago) |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %d / %d | %d of %d / %d of %d |\n", r.sc,
			r.writable[0], r.writable[1], ratio(r.writable[1].med, r.writable[0].med),
			r.wall[0], r.wall[1], ratio(r.wall[1].med, r.wall[0].med),
			r.lost[0], r.lost[1], r.bad[0], r.runs[0], r.bad[1], r.runs[1])
	}
	fmt.Fprintln(w)
	for _, r := range rs {
		for _, m := range r.misses() {
			fmt.Fprintf(w, "- %s: %s; mhago's time goes to %s\n", r.sc, m, r.topPhases(3))
		}
	}
}

// misses lists the targets mhago misses in r.
func (r row) misses() []string {
	var out []string
	check := func(what string, m, base time.Duration, target float64) {
		if base > 0 && float64(m)/float64(base) > target {
			out = append(out, fmt.Sprintf("%s ratio %s misses the target %.2f", what, ratio(m, base), target))
		}
	}
	check("writable", r.writable[1].med, r.writable[0].med, TargetWritable)
	check("wall", r.wall[1].med, r.wall[0].med, TargetWall)
	return out
}

// topPhases are mhago's n longest phases by median.
func (r row) topPhases(n int) string {
	type ph struct {
		name string
		med  time.Duration
	}
	var list []ph
	for name, ds := range r.mhagoPhases {
		list = append(list, ph{name, summarize(ds).med})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].med > list[j].med })
	var parts []string
	for _, p := range list[:min(n, len(list))] {
		parts = append(parts, fmt.Sprintf("%s %s", p.name, dur(p.med)))
	}
	return strings.Join(parts, ", ")
}

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// Median of some durations.
func Median(ds []time.Duration) time.Duration { return summarize(ds).med }
