package bench

import (
	"bufio"
	"io"
	"regexp"
	"strings"
	"time"

	"github.com/mhago/mhago/report"
)

// Span is one phase of a failover, relative to the command's start.
type Span struct {
	Name       string
	Start, End time.Duration
}

// Line is one line of a command's output and when it arrived.
type Line struct {
	At   time.Duration
	Text string
}

// ReadLines timestamps each line of r as it arrives, relative to t0.
func ReadLines(r io.Reader, t0 time.Time) []Line {
	var lines []Line
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, Line{At: time.Since(t0), Text: sc.Text()})
	}
	return lines
}

// mhaPhase matches MHA's phase banners, which its logger prefixes with the
// time and level: "Thu Nov 26 09:55:00 2026 - [info] * Phase 3.2: Saving
// Dead Master's Binlog Phase..".
var mhaPhase = regexp.MustCompile(`(?:^|\] )\* Phase ([0-9.]+): (.*?)\s*(?:Phase|phase)?\.*$`)

// MHASpans cuts MHA's output into its phases: each banner starts one,
// which ends where the next starts (or at end, the command's exit). The
// time before the first banner is MHA starting up and reading its config.
func MHASpans(lines []Line, end time.Duration) []Span {
	var spans []Span
	start := Span{Name: "start-up"}
	for _, l := range lines {
		m := mhaPhase.FindStringSubmatch(strings.TrimSpace(l.Text))
		if m == nil {
			continue
		}
		if n := len(spans); n > 0 && spans[n-1].End == 0 {
			spans[n-1].End = l.At
		} else if n == 0 {
			start.End = l.At
			spans = append(spans, start)
		}
		// "* Phase 2: Dead Master Shutdown Phase completed." only ends one.
		if name := strings.TrimSpace(m[2]); !strings.HasSuffix(name, "completed") {
			spans = append(spans, Span{Name: m[1] + " " + name, Start: l.At})
		}
	}
	if n := len(spans); n > 0 && spans[n-1].End == 0 {
		spans[n-1].End = end
	}
	if len(spans) > 0 {
		// MHA nests 3.x in 3 and 4.x in 4: keep the leaves only.
		spans = leaves(spans)
	}
	return spans
}

// leaves drops a phase banner immediately followed by one of its own
// sub-phases ("3" before "3.1"), which takes no time of its own.
func leaves(spans []Span) []Span {
	var out []Span
	for i, s := range spans {
		num, _, _ := strings.Cut(s.Name, " ")
		if i+1 < len(spans) && strings.HasPrefix(spans[i+1].Name, num+".") {
			continue
		}
		out = append(out, s)
	}
	return out
}

// MhagoSpans are the phases of mhago's report, relative to t0 (when the
// command was started); phases that took no time are left out.
func MhagoSpans(rep *report.Report, t0 time.Time) []Span {
	var spans []Span
	for _, p := range rep.Phases {
		if p.Started.IsZero() || p.Duration < time.Millisecond {
			continue
		}
		s := p.Started.Sub(t0)
		spans = append(spans, Span{Name: p.Name, Start: s, End: s + p.Duration})
	}
	return spans
}
