package bench

import (
	"fmt"
	"html"
	"io"
	"strings"
	"time"
)

// Lane is one failover on the timeline plot.
type Lane struct {
	Title    string
	Spans    []Span
	Writable time.Duration // when the probe's INSERT succeeded; 0: never
	Wall     time.Duration
}

var laneColors = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

// WriteSVG draws the lanes on one time axis: each phase a bar, a red line
// where the new master first took an unprivileged INSERT, and under each
// lane its phases with their durations.
func WriteSVG(w io.Writer, title string, lanes []Lane) error {
	const left, width, laneH = 20.0, 940.0, 28.0
	var maxT time.Duration
	for _, l := range lanes {
		maxT = max(maxT, l.Wall)
		for _, s := range l.Spans {
			maxT = max(maxT, s.End)
		}
	}
	if maxT <= 0 {
		maxT = time.Second
	}
	x := func(d time.Duration) float64 { return left + width*float64(d)/float64(maxT) }
	var b strings.Builder
	y := 40.0
	for _, l := range lanes {
		fmt.Fprintf(&b, `<text x="%.0f" y="%.0f" font-weight="bold">%s (wall %.2f s, writable %s)</text>`+"\n", left, y, html.EscapeString(l.Title), l.Wall.Seconds(), writableText(l.Writable))
		y += 8
		for i, s := range l.Spans {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%.0f" width="%.1f" height="%.0f" fill="%s"><title>%s: %s</title></rect>`+"\n",
				x(s.Start), y, max(x(s.End)-x(s.Start), 0.5), laneH, laneColors[i%len(laneColors)], html.EscapeString(s.Name), dur(s.End-s.Start))
		}
		if l.Writable > 0 {
			fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="red" stroke-width="2"/>`+"\n", x(l.Writable), y-4, x(l.Writable), y+laneH+4)
		}
		y += laneH + 16
		for i, s := range l.Spans {
			fmt.Fprintf(&b, `<rect x="%.0f" y="%.0f" width="10" height="10" fill="%s"/><text x="%.0f" y="%.0f" font-size="11">%s %s</text>`+"\n",
				left, y-9, laneColors[i%len(laneColors)], left+14, y, html.EscapeString(s.Name), dur(s.End-s.Start))
			y += 14
		}
		y += 18
	}
	// Time axis: a tick every second (or 10 s beyond 20 s).
	step := time.Second
	if maxT > 20*time.Second {
		step = 10 * time.Second
	}
	for t := time.Duration(0); t <= maxT; t += step {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="20" x2="%.1f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" font-size="10">%gs</text>`+"\n", x(t), x(t), y, x(t)+2, y+12, t.Seconds())
	}
	_, err := fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="sans-serif" font-size="13">`+"\n"+
		`<text x="%.0f" y="16" font-size="15">%s</text>`+"\n%s</svg>\n", left*2+width, y+20, left, html.EscapeString(title), b.String())
	return err
}

func writableText(d time.Duration) string {
	if d <= 0 {
		return "never"
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

func dur(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
