package bench

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

func TestSwitchProblem(t *testing.T) {
	const old, nm = "127.0.0.11:3306", "127.0.0.12:3306"
	moved := cluster.LoadResult{Errors: 8, Refused: 8, AckedBy: map[string][]int64{old: {1, 2}, nm: {3}},
		Windows: []cluster.Window{{Worker: 1, From: old, To: nm}, {Worker: 2, From: old, To: nm}}}
	for _, tc := range []struct {
		name string
		exit int
		hung bool
		lr   cluster.LoadResult
		want string // substring; "" means no problem
	}{
		{"counts", 0, false, moved, ""},
		{"hung", -1, true, moved, "hung"},
		{"failed", 1, false, moved, "exit status 1"},
		{"load fault", 0, false, cluster.LoadResult{Errors: 9, Refused: 8, LastErr: errors.New("denied")}, "the load failed: denied"},
		{"never refused", 0, false, cluster.LoadResult{AckedBy: map[string][]int64{old: {1}}}, "never went read_only"},
		{"never resumed", 0, false, cluster.LoadResult{Errors: 3, Refused: 3,
			Windows: []cluster.Window{{Worker: 3, From: old, Open: true}}}, "worker 3 never wrote again"},
		{"went elsewhere", 0, false, cluster.LoadResult{Errors: 3, Refused: 3,
			Windows: []cluster.Window{{Worker: 1, From: old, To: "127.0.0.13:3306"}}}, "not at the new master"},
	} {
		got := switchProblem(tc.exit, tc.hung, tc.lr, nm)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: switchProblem = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestMissing(t *testing.T) {
	if n := missing([]int64{1, 2, 3, 7}, []int64{1, 3, 4, 5, 7}); n != 1 {
		t.Errorf("missing = %d, want 1", n)
	}
	if n := missing(nil, nil); n != 0 {
		t.Errorf("missing of nothing = %d", n)
	}
}

func TestWindowSpans(t *testing.T) {
	t0 := time.Unix(1000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	d := func(ms int) time.Duration { return time.Duration(ms) * time.Millisecond }
	phases := []*report.Phase{
		{Name: "before", Started: at(0), Duration: d(100)},       // ends at the window's start
		{Name: "block writes", Started: at(90), Duration: d(20)}, // starts before it
		{Name: "marker", Started: at(110), Duration: d(30)},
		{Name: "takes writes", Started: at(140), Duration: d(10)}, // ends after it
		{Name: "after", Started: at(150), Duration: d(50)},
		{Name: "never started", Duration: d(5)},
	}
	got := WindowSpans(phases, at(100), at(145))
	want := []Span{{"block writes", 0, d(10)}, {"marker", d(10), d(40)}, {"takes writes", d(40), d(45)}}
	if !slices.Equal(got, want) {
		t.Errorf("WindowSpans = %v, want %v", got, want)
	}
	if got := WindowSpans(phases, time.Time{}, at(145)); got != nil {
		t.Errorf("no window: %v", got)
	}
}

func TestWriteSwitchTable(t *testing.T) {
	msd := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var rs []SwitchResult
	for _, b := range []int{60, 48, 71} {
		rs = append(rs, SwitchResult{Tool: "MHA 0.58", Blocked: msd(b), Wall: msd(2700)})
	}
	for _, b := range []int{9, 8, 12} {
		rs = append(rs, SwitchResult{Tool: "mhago", Blocked: msd(b), ToolBlocked: msd(b - 2), Wall: msd(400),
			Spans: []Span{{"2 marker", 0, msd(b - 4)}, {"3 new master takes writes", msd(b - 4), msd(b - 3)}}})
	}
	// A run with a problem counts as failed and is left out of the times.
	rs = append(rs, SwitchResult{Tool: "mhago", Blocked: msd(900), Lost: 2, Problem: "checksums differ"})
	var b strings.Builder
	WriteSwitchTable(&b, rs)
	out := b.String()
	for _, want := range []string{
		"| MHA 0.58 | 60 ms (48 ms–71 ms) | - | 2.70 s (2.70–2.70) | 0 | 0 of 3 |",
		"| mhago | 9 ms (8 ms–12 ms) | 7 ms (6 ms–10 ms) | 0.40 s (0.40–0.40) | 2 | 1 of 4 |",
		"mhago 9 ms, MHA 60 ms, ratio mhago/MHA 0.15. Target (mhago median < 100 ms and at most 0.20 of MHA's): met.",
		"mhago's own window goes to (medians): 2 marker 5ms, 3 new master takes writes 1ms",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
}

func TestSwitchVerdict(t *testing.T) {
	row := func(med time.Duration, bad, runs int) *switchRow {
		return &switchRow{blocked: stats{med: med, min: med, max: med}, bad: bad, runs: runs}
	}
	for _, tc := range []struct {
		name       string
		mha, mhago *switchRow
		want       string
	}{
		{"met", row(60*time.Millisecond, 0, 3), row(10*time.Millisecond, 0, 3), ": met."},
		{"ratio missed", row(40*time.Millisecond, 0, 3), row(30*time.Millisecond, 0, 3), "ratio mhago/MHA 0.75. Target"},
		{"absolute missed", row(2*time.Second, 0, 3), row(150*time.Millisecond, 0, 3), "NOT met"},
		{"no mhago run", row(60*time.Millisecond, 0, 3), row(0, 3, 3), "NOT MET, no successful mhago run"},
		{"no MHA run", row(0, 3, 3), row(10*time.Millisecond, 0, 3), "no successful MHA run to compare with. Target (mhago median < 100 ms and at most 0.20 of MHA's): NOT met."},
		{"MHA left out", nil, row(10*time.Millisecond, 0, 3), "NOT met"},
	} {
		if got := switchVerdict(tc.mha, tc.mhago); !strings.Contains(got, tc.want) {
			t.Errorf("%s: switchVerdict = %q, want %q in it", tc.name, got, tc.want)
		}
	}
}
