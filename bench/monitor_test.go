package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMonitorSettingsApply(t *testing.T) {
	for _, tc := range []struct {
		in   string
		s    MonitorSettings
		want string
	}{
		{"[server default]\nuser=m\nping_interval=3\n\n[server1]\n", MonitorSettings{PingInterval: 1},
			"[server default]\nuser=m\nping_interval=1\n\n[server1]\n"},
		{"[server default]\nuser=m\n\n[server1]\nhostname=h\n", MonitorSettings{PingInterval: 1, ShutdownScript: "/x/fence.sh"},
			"[server default]\nshutdown_script=/x/fence.sh\nping_interval=1\nuser=m\n\n[server1]\nhostname=h\n"},
		{"[server default]\nshutdown_script=/old\nping_interval=3\n", MonitorSettings{PingInterval: 3, ShutdownScript: "/new"},
			"[server default]\nshutdown_script=/new\nping_interval=3\n"},
	} {
		if got := tc.s.Apply(tc.in); got != tc.want {
			t.Errorf("%+v.Apply(%q) = %q, want %q", tc.s, tc.in, got, tc.want)
		}
	}
}

func TestMonitorTarget(t *testing.T) {
	for _, tc := range []struct {
		mc   MonitorCase
		want time.Duration
	}{
		{MonitorCase{Crash, 3}, 2 * time.Second},
		{MonitorCase{Crash, 1}, 2 * time.Second},
		{MonitorCase{Vanish, 3}, 11 * time.Second},
		{MonitorCase{Vanish, 1}, 5 * time.Second},
	} {
		if got := tc.mc.Target(); got != tc.want {
			t.Errorf("%s: target %s, want %s", tc.mc, got, tc.want)
		}
	}
}

func TestMonitorProblem(t *testing.T) {
	ok := MonitorResult{Writable: time.Second, Wall: 2 * time.Second, WritableHost: 2}
	for _, tc := range []struct {
		name string
		edit func(*MonitorResult)
		want string
	}{
		{"counts", func(*MonitorResult) {}, ""},
		{"hung", func(r *MonitorResult) { r.Hung, r.Wall = true, 0 }, "no write accepted"},
		{"no end", func(r *MonitorResult) { r.Wall = 0 }, "never logged the failover's end"},
		{"lost", func(r *MonitorResult) { r.Lost = 3 }, "3 acknowledged commits lost"},
		{"checksums", func(r *MonitorResult) { r.ChecksumsDiffer = "host 3" }, "checksums differ: host 3"},
	} {
		r := ok
		tc.edit(&r)
		got := monitorProblem(r)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: monitorProblem = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestWriteMonitorTable(t *testing.T) {
	s := func(x float64) time.Duration { return time.Duration(x * float64(time.Second)) }
	res := func(tool string, mc MonitorCase, w, wall float64, spans ...Span) MonitorResult {
		return MonitorResult{Tool: tool, Case: mc.String(), Fault: mc.Fault, PingInterval: mc.PingInterval,
			Writable: s(w), Wall: s(wall), WritableHost: 2, Spans: spans}
	}
	crash3, vanish1 := MonitorCase{Crash, 3}, MonitorCase{Vanish, 1}
	var results []MonitorResult
	for i := range 3 {
		d := float64(i) / 10
		results = append(results,
			res("MHA 0.58", crash3, 15+d, 18),
			res("mhago", crash3, 0.9+d, 1.2, Span{"detection", 0, s(0.2)}, Span{"agents", s(0.2), s(0.8)}),
			res("MHA 0.58", vanish1, 16+d, 19),
			res("mhago", vanish1, 6+d, 6.5, Span{"detection", 0, s(4.5)}, Span{"agents", s(4.5), s(5.9)}),
		)
	}
	// A run with no accepted write fails and is left out of the times.
	hung := res("MHA 0.58", vanish1, 0, 0)
	hung.Hung, hung.Problem = true, "no write accepted"
	results = append(results, hung)
	var b strings.Builder
	WriteMonitorTable(&b, results)
	out := b.String()
	for _, want := range []string{
		"| mysqld SIGKILLed, ping_interval=3 | MHA 0.58 | 15.10 s (15.00–15.20) | 18.00 s (18.00–18.00) | 0 | 0 of 3 (0) |  | (issue: 15.8 s) |",
		"| mysqld SIGKILLed, ping_interval=3 | mhago | 1.00 s (0.90–1.10) | 1.20 s (1.20–1.20) | 0 | 0 of 3 (0) | ≤ 2.00s | met |",
		"| mysqld SIGSTOPped (vanishes silently), ping_interval=1 | MHA 0.58 | 16.10 s (16.00–16.20) | 19.00 s (19.00–19.00) | 0 | 1 of 4 (1) |  |  |",
		"| mysqld SIGSTOPped (vanishes silently), ping_interval=1 | mhago | 6.10 s (6.00–6.20) | 6.50 s (6.50–6.50) | 0 | 0 of 3 (0) | ≤ 3 × 1 s + 2.00s | **NOT met** |",
		"- mysqld SIGSTOPped (vanishes silently), ping_interval=1: mhago 6.10s misses 5.00s; its time goes to detection 4.50s, agents 1.40s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "SIGKILLed, ping_interval=3: mhago") {
		t.Errorf("the crash case meets its target but is listed:\n%s", out)
	}
	if strings.Contains(out, "ping_interval=1 | MHA 0.58 | mysqld SIGKILLed") || strings.Contains(out, "SIGKILLed, ping_interval=1 |") {
		t.Errorf("a case without runs has a row:\n%s", out)
	}
}

func TestMHAMonitorSpans(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	got := mhaMonitorSpans([]Line{
		{ms(100), "[warning] Connection failed 1 time(s).."},
		{ms(4000), "[info] * Phase 1: Configuration Check Phase.."},
		{ms(5000), "[info] * Phase 2: Dead Master Shutdown Phase.."},
	}, ms(6000))
	want := []Span{{"detection", 0, ms(4000)}, {"1 Configuration Check", ms(4000), ms(5000)}, {"2 Dead Master Shutdown", ms(5000), ms(6000)}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}

// TestMonitorProc drives a real shell as a monitor: lines are timed as
// they arrive, Stop ends a process that ignores SIGTERM within its grace,
// and waiting on a monitor that exited fails at once.
func TestMonitorProc(t *testing.T) {
	m, err := StartMonitorProc(exec.Command("sh", "-c", `trap "" TERM; echo starting; sleep 0.3; echo "now monitoring"; sleep 30`))
	if err != nil {
		t.Fatal(err)
	}
	l, err := m.WaitLine(regexp.MustCompile(`monitoring`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if l.At < 300*time.Millisecond || l.At > 3*time.Second {
		t.Errorf("line timed at %s, want about 300ms", l.At)
	}
	if _, err := m.WaitLine(regexp.MustCompile(`never printed`), 100*time.Millisecond); err == nil {
		t.Error("waiting for a line that never comes succeeded")
	}
	t0 := time.Now()
	m.Stop(500 * time.Millisecond)
	if d := time.Since(t0); d > 3*time.Second {
		t.Errorf("Stop took %s with a 500ms grace", d)
	}
	if got := m.Since(m.t0.Add(200 * time.Millisecond)); len(got) != 1 || got[0].Text != "now monitoring" || got[0].At < 100*time.Millisecond {
		t.Errorf("Since = %+v, want the one line after 200ms, retimed", got)
	}

	m, err = StartMonitorProc(exec.Command("sh", "-c", "echo bye; exit 3"))
	if err != nil {
		t.Fatal(err)
	}
	t0 = time.Now()
	_, err = m.WaitLine(regexp.MustCompile(`monitoring`), time.Minute)
	if err == nil || !strings.Contains(err.Error(), "exited") || time.Since(t0) > 5*time.Second {
		t.Errorf("WaitLine on an exited monitor: %v after %s", err, time.Since(t0))
	}
	if !strings.Contains(m.Text(), "bye") {
		t.Errorf("Text lost the output: %q", m.Text())
	}
}

// TestFenceScript runs the script on a real process: a status call leaves
// it alone and answers 0; a stop kills it and answers 10.
func TestFenceScript(t *testing.T) {
	victim := exec.Command("sleep", "60")
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- victim.Wait() }()
	path := filepath.Join(t.TempDir(), "fence.sh")
	if err := os.WriteFile(path, []byte(fenceScriptFor(victim.Process.Pid)), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(path, "--command=status", "--host=h").Run(); err != nil {
		t.Fatalf("status: %v", err)
	}
	select {
	case err := <-done:
		t.Fatalf("status killed the process: %v", err)
	case <-time.After(100 * time.Millisecond):
	}
	err := exec.Command(path, "--command=stopssh", "--ssh_user=root", "--host=h").Run()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 10 {
		t.Errorf("stop: %v, want exit status 10", err)
	}
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		victim.Process.Kill()
		t.Fatal("stop left the process running")
	}
}

func TestMhagoMonitorSpans(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	m := &MonitorProc{t0: t0, lines: []Line{
		{ms(500), `time=... level=INFO msg="monitoring master" host=server1`},
		{ms(3200), `time=... level=ERROR msg="master confirmed dead" host=server1 why="connection refused"`},
		{ms(3210), `time=... level=WARN msg="starting the failover" host=server1`},
		{ms(4500), `time=... level=WARN msg="failover ended" host=server1 outcome=done err=<nil>`},
	}, stdout: []string{
		`{"phases": [{"name": "agents", "started": "2026-11-26T13:00:03.3Z", "duration_ns": 500000000},`,
		`  {"name": "3.5 new master apply", "started": "2026-11-26T13:00:03.8Z", "duration_ns": 200000000}]}`,
	}}
	fault := t0.Add(ms(2000))
	got := MhagoMonitorSpans(m, fault, ms(2500))
	want := []Span{{"detection", 0, ms(1200)}, {"before the failover", ms(1200), ms(1210)},
		{"agents", ms(1300), ms(1800)}, {"3.5 new master apply", ms(1800), ms(2000)}}
	if len(got) != len(want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if !mhagoDone.MatchString(m.lines[3].Text) || mhagoDone.MatchString(`msg="failover ended" outcome=refused`) {
		t.Error("the end-of-failover pattern must match outcome=done only")
	}
}
