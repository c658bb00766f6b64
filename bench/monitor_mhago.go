package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"

	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/testenv/cluster"
)

// `mhago monitor` logs these (monitor.monitor, at level info and warn).
var (
	mhagoReady     = regexp.MustCompile(`msg="monitoring master"`)
	mhagoConfirmed = regexp.MustCompile(`msg="master confirmed dead"`)
	mhagoStarting  = regexp.MustCompile(`msg="starting the failover"`)
	mhagoDone      = regexp.MustCompile(`msg="failover ended" .*outcome=done`)
)

// managerLogLine is an app.cnf's manager_log setting.
var managerLogLine = regexp.MustCompile(`(?m)^manager_log\s*=.*\n`)

// MhagoMonitor is `mhago monitor --json` as a MonitorTool, on testenv's
// app.cnf with the case's settings and without manager_log, so that it logs
// to its stderr (at level info) where the bench times each line, as for
// MHA; `mhago check` runs first, as for the failovers.
func MhagoMonitor(bin string) MonitorTool {
	return MonitorTool{Name: "mhago", Ready: mhagoReady, Done: mhagoDone, Spans: MhagoMonitorSpans,
		Start: func(ctx context.Context, c *cluster.Cluster, settings MonitorSettings) (*MonitorProc, error) {
			conf, err := os.ReadFile(c.ConfigPath())
			if err != nil {
				return nil, err
			}
			conf = managerLogLine.ReplaceAll([]byte(settings.Apply(string(conf))), nil)
			if err := os.WriteFile(c.ConfigPath(), conf, 0o600); err != nil {
				return nil, err
			}
			if out, err := exec.CommandContext(ctx, bin, "check", "--conf", c.ConfigPath()).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("mhago check: %w\n%s", err, out)
			}
			return StartMonitorProc(exec.CommandContext(ctx, bin, "--log-level", "info", "monitor", "--conf", c.ConfigPath(), "--json"))
		}}
}

// MhagoMonitorSpans are the monitor's phases from the fault: detection
// (pings failing until it confirms the master dead), then until it starts
// the failover (the stale-config check), then the phases of the failover's
// report on its stdout.
func MhagoMonitorSpans(m *MonitorProc, fault time.Time, end time.Duration) []Span {
	lines := m.Since(fault)
	at := func(re *regexp.Regexp) (time.Duration, bool) {
		for _, l := range lines {
			if re.MatchString(l.Text) {
				return l.At, true
			}
		}
		return 0, false
	}
	var spans []Span
	confirmed, ok := at(mhagoConfirmed)
	if !ok {
		return nil
	}
	spans = append(spans, Span{Name: "detection", End: confirmed})
	if started, ok := at(mhagoStarting); ok && started-confirmed >= time.Millisecond {
		spans = append(spans, Span{Name: "before the failover", Start: confirmed, End: started})
	}
	if rep := firstReport(m.Stdout()); rep != nil {
		spans = append(spans, MhagoSpans(rep, fault)...)
	}
	return spans
}

// firstReport decodes the first JSON report in out; nil if none.
func firstReport(out string) *report.Report {
	i := strings.Index(out, "{")
	if i < 0 {
		return nil
	}
	var rep report.Report
	if err := json.NewDecoder(strings.NewReader(out[i:])).Decode(&rep); err != nil {
		return nil
	}
	return &rep
}
