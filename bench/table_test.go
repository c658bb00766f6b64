package bench

import (
	"strings"
	"testing"
	"time"
)

func TestWriteTable(t *testing.T) {
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	var results []Result
	for i, w := range []float64{6, 7, 5} {
		results = append(results,
			Result{Tool: "MHA 0.58", Scenario: string(InSync), Writable: s(w), Wall: s(w + 3)},
			Result{Tool: "mhago", Scenario: string(InSync), Writable: s(0.5 + float64(i)/10), Wall: s(0.8),
				Spans: []Span{{"agents", 0, s(0.3)}, {"3.1 latest replicas", s(0.3), s(0.35)}}},
			Result{Tool: "MHA 0.58", Scenario: string(LatestSQLStopped), Writable: s(7), Wall: s(10), Lost: 2},
			Result{Tool: "mhago", Scenario: string(LatestSQLStopped), Writable: s(4), Wall: s(5),
				Spans: []Span{{"agents", 0, s(0.3)}, {"3.1 latest replicas", s(0.3), s(4)}}},
		)
	}
	// A hung run counts as failed and is left out of the times.
	results[len(results)-1] = Result{Tool: "mhago", Scenario: string(LatestSQLStopped), Writable: s(99), Wall: s(180), Exit: -1, Hung: true}
	var b strings.Builder
	WriteTable(&b, results)
	out := b.String()
	for _, want := range []string{
		"| replicas in sync | 6.00 s (5.00–7.00) | 0.60 s (0.50–0.70) | 0.10 | 9.00 s (8.00–10.00) | 0.80 s (0.80–0.80) | 0.09 | 0 / 0 | 0 of 3 / 0 of 3 |",
		"| the latest replica's SQL thread stopped | 7.00 s (7.00–7.00) | 4.00 s (4.00–4.00) | 0.57 | 10.00 s (10.00–10.00) | 5.00 s (5.00–5.00) | 0.50 | 6 / 0 | 0 of 3 / 1 of 3 |",
		"- the latest replica's SQL thread stopped: writable ratio 0.57 misses the target 0.20; mhago's time goes to 3.1 latest replicas 3.70s, agents 300ms",
		"- the latest replica's SQL thread stopped: wall ratio 0.50 misses the target 0.33",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "- replicas in sync:") {
		t.Errorf("in sync meets both targets but is listed:\n%s", out)
	}
}
