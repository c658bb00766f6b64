// Command mhago-bench is `make bench`: mhago against MHA 0.58 on fresh
// testenv clusters, four scenarios, several interleaved runs each; then
// mhago with 2 and with 8 replicas, and its two ways of applying a large
// relay-log backlog; then a planned switchover by both tools under a load
// that follows the master. It prints the tables and writes them, the raw
// results and one phase timeline (SVG) per scenario into -out.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mhago/mhago/agentctl"
	"github.com/mhago/mhago/bench"
)

func main() {
	runs := flag.Int("runs", 3, "runs of each tool in each scenario")
	mhago := flag.String("mhago", "bin/mhago", "the mhago binary (make build)")
	out := flag.String("out", "/tmp/mhago-bench", "directory for results.json, tables.md and the timelines")
	base := flag.Int("base", 239, "testenv base: hosts at 127.0.$MHAGO_TESTENV_NET.(base+i)")
	only := flag.String("only", "", "comma list: \"mhago\" leaves MHA out, \"switchover\" runs only the switchover scenario, \"monitor\" only the monitor's")
	scale := flag.Bool("scale", true, "also time mhago with 2 and with 8 replicas")
	applyMB := flag.Int("apply-mb", 100, "also compare the two apply paths on a backlog of this many MB (0: skip)")
	table := flag.String("table", "", "print the table of an earlier run's results.json, switchover.json or monitor.json and exit")
	flag.Parse()
	if *table != "" {
		if err := printTable(*table); err != nil {
			fmt.Fprintln(os.Stderr, "mhago-bench:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(context.Background(), *runs, *mhago, *out, *base, *only, *scale, *applyMB); err != nil {
		fmt.Fprintln(os.Stderr, "mhago-bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, runs int, mhagoBin, out string, base int, only string, scale bool, applyMB int) error {
	bin, err := filepath.Abs(mhagoBin)
	if err != nil {
		return err
	}
	shim, err := filepath.Abs("bench/mha")
	if err != nil {
		return err
	}
	onlyMhago, onlySwitch, onlyMonitor := false, false, false
	for _, o := range strings.Split(only, ",") {
		switch o {
		case "":
		case "mhago":
			onlyMhago = true
		case "switchover":
			onlySwitch = true
		case "monitor":
			onlyMonitor = true
		default:
			return fmt.Errorf("-only %q: want mhago, switchover or monitor, comma-separated", o)
		}
	}
	tools := []bench.Tool{bench.MHA(shim), bench.Mhago(bin)}
	switchTools := []bench.Tool{bench.MHASwitchover(shim), bench.MhagoSwitchover(bin)}
	monitorTools := []bench.MonitorTool{bench.MHAManager(shim), bench.MhagoMonitor(bin)}
	if onlyMhago {
		tools, switchTools, monitorTools = tools[1:], switchTools[1:], monitorTools[1:]
	} else if _, err := exec.LookPath("masterha_master_switch"); err != nil {
		return fmt.Errorf("MHA 0.58 is not installed: apt-get install mha4mysql-manager mha4mysql-node (or -only mhago)")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	env := bench.Env{Dir: filepath.Join(out, "work"), ShimDir: shim, Base: base, Hosts: 4}
	var md strings.Builder
	// -only switchover and -only monitor pick scenario families; neither:
	// all of them.
	all := !onlySwitch && !onlyMonitor
	if all {
		if err := failovers(ctx, env, tools, runs, bin, out, scale, applyMB, &md); err != nil {
			return err
		}
	}
	if all || onlySwitch {
		if err := switchovers(ctx, env, switchTools, runs, out, &md); err != nil {
			return err
		}
	}
	if all || onlyMonitor {
		if err := monitors(ctx, env, monitorTools, runs, out, &md); err != nil {
			return err
		}
	}
	fmt.Println("\n" + md.String())
	return os.WriteFile(filepath.Join(out, "tables.md"), []byte(md.String()), 0o644)
}

// switchovers runs the planned switchover runs times per tool, interleaved.
func switchovers(ctx context.Context, env bench.Env, tools []bench.Tool, runs int, out string, md *strings.Builder) error {
	var results []bench.SwitchResult
	started := time.Now()
	for i := range runs {
		for _, tool := range tools {
			r, err := bench.SwitchTrial(ctx, env, tool)
			if err != nil {
				return fmt.Errorf("%s, switchover, run %d: %w", tool.Name, i+1, err)
			}
			fmt.Println(r)
			name := fmt.Sprintf("switchover-%s-%d.log", strings.ReplaceAll(r.Tool, " ", "_"), len(results))
			if r.Problem != "" {
				name = "failed-" + name
			}
			os.WriteFile(filepath.Join(out, name), []byte(r.Log), 0o644)
			results = append(results, r)
		}
	}
	fmt.Fprintf(md, "\nPlanned switchover of a 4-host cluster to host 2, the old master as new slave, under 4 unprivileged writers that follow the master; %d runs per tool, interleaved; took %s.\n\n",
		runs, time.Since(started).Round(time.Second))
	bench.WriteSwitchTable(md, results)
	raw, _ := json.MarshalIndent(results, "", "  ")
	return os.WriteFile(filepath.Join(out, "switchover.json"), raw, 0o644)
}

// monitors runs every monitor case runs times per tool, interleaved.
func monitors(ctx context.Context, env bench.Env, tools []bench.MonitorTool, runs int, out string, md *strings.Builder) error {
	var results []bench.MonitorResult
	started := time.Now()
	for _, mc := range bench.MonitorCases {
		for i := range runs {
			for _, tool := range tools {
				// Run i faults at the middle of the i-th of runs equal
				// parts of the ping cycle (see MonitorTrial).
				r, err := bench.MonitorTrial(ctx, env, tool, mc, (float64(i)+0.5)/float64(runs))
				if err != nil {
					return fmt.Errorf("%s, monitor, %s, run %d: %w", tool.Name, mc, i+1, err)
				}
				fmt.Println(r)
				name := fmt.Sprintf("monitor-%s-%d.log", strings.ReplaceAll(r.Tool, " ", "_"), len(results))
				if r.Problem != "" {
					name = "failed-" + name
				}
				os.WriteFile(filepath.Join(out, name), []byte(r.Log), 0o644)
				results = append(results, r)
			}
		}
	}
	fmt.Fprintf(md, "\nThe long-running monitor of a 4-host cluster under 4 writers; the master's mysqld SIGKILLed or SIGSTOPped; "+
		"times from the fault; %d runs per tool and case, interleaved, run i faulting at (i-½)/%d of the ping cycle; took %s.\n\n", runs, runs, time.Since(started).Round(time.Second))
	bench.WriteMonitorTable(md, results)
	if err := writeMonitorTimelines(out, results); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(results, "", "  ")
	return os.WriteFile(filepath.Join(out, "monitor.json"), raw, 0o644)
}

// writeMonitorTimelines draws, per monitor case, the first successful run
// of each tool (else its first run).
func writeMonitorTimelines(out string, results []bench.MonitorResult) error {
	for n, mc := range bench.MonitorCases {
		var lanes []bench.Lane
		for _, tool := range []string{"MHA 0.58", "mhago"} {
			var pick *bench.MonitorResult
			for k, r := range results {
				if r.Tool == tool && r.Case == mc.String() && (pick == nil || pick.Problem != "" && r.Problem == "") {
					pick = &results[k]
				}
			}
			if pick != nil {
				lanes = append(lanes, bench.Lane{Title: tool, Spans: pick.Spans, Writable: pick.Writable, Wall: pick.Wall})
			}
		}
		if len(lanes) == 0 {
			continue
		}
		if err := writeSVGFile(filepath.Join(out, fmt.Sprintf("timeline-monitor-%d.svg", n+1)), mc.String(), lanes); err != nil {
			return err
		}
	}
	return nil
}

func writeSVGFile(path, title string, lanes []bench.Lane) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	err = bench.WriteSVG(f, title, lanes)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// failovers runs the failover scenarios (and the scale and apply rows).
func failovers(ctx context.Context, env bench.Env, tools []bench.Tool, runs int, bin, out string, scale bool, applyMB int, md *strings.Builder) error {
	var results []bench.Result
	started := time.Now()
	for _, sc := range bench.Scenarios {
		for i := range runs {
			for _, tool := range tools {
				r, err := bench.Trial(ctx, env, tool, sc)
				if err != nil {
					return fmt.Errorf("%s, %s, run %d: %w", tool.Name, sc, i+1, err)
				}
				fmt.Println(r)
				if r.Exit != 0 {
					os.WriteFile(filepath.Join(out, fmt.Sprintf("failed-%s-%d.log", strings.ReplaceAll(r.Tool, " ", "_"), len(results))), []byte(r.Log), 0o644)
				}
				results = append(results, r)
			}
		}
	}
	fmt.Fprintf(md, "4 hosts (1 master, 3 replicas), 4 writers, %d runs per tool and scenario, interleaved; took %s.\n\n", runs, time.Since(started).Round(time.Second))
	bench.WriteTable(md, results)
	if scale {
		if err := scaleRows(ctx, env, bin, runs, md, &results); err != nil {
			return err
		}
	}
	if applyMB > 0 {
		if err := applyRow(ctx, env, applyMB, md); err != nil {
			return err
		}
	}
	if err := writeTimelines(out, results); err != nil {
		return err
	}
	raw, _ := json.MarshalIndent(results, "", "  ")
	return os.WriteFile(filepath.Join(out, "results.json"), raw, 0o644)
}

// scaleRows times mhago's in-sync failover with 2 and with 8 replicas.
func scaleRows(ctx context.Context, env bench.Env, bin string, runs int, md *strings.Builder, results *[]bench.Result) error {
	var wr, wall [2][]time.Duration
	for i := range runs {
		for k, hosts := range []int{3, 9} {
			e := env
			e.Hosts = hosts
			r, err := bench.Trial(ctx, e, bench.Mhago(bin), bench.InSync)
			if err != nil {
				return fmt.Errorf("scale, %d hosts, run %d: %w", hosts, i+1, err)
			}
			r.Scenario = fmt.Sprintf("in sync, %d replicas", hosts-1)
			fmt.Println(r)
			*results = append(*results, r)
			wr[k], wall[k] = append(wr[k], r.Writable), append(wall[k], r.Wall)
		}
	}
	w2, w8 := bench.Median(wr[0]), bench.Median(wr[1])
	a2, a8 := bench.Median(wall[0]), bench.Median(wall[1])
	fmt.Fprintf(md, "\nmhago, replicas in sync, median of %d runs: 2 replicas writable %.2f s, wall %.2f s; 8 replicas writable %.2f s, wall %.2f s; ratio 8/2: writable %.2f, wall %.2f (target at most 1.5)\n",
		runs, w2.Seconds(), a2.Seconds(), w8.Seconds(), a8.Seconds(), float64(w8)/float64(w2), float64(a8)/float64(a2))
	return nil
}

// applyRow compares the own SQL thread with the diff replay on mb MB.
func applyRow(ctx context.Context, env bench.Env, mb int, md *strings.Builder) error {
	// This tool is not mhago: it builds the agent that mhago would carry.
	path, err := agentctl.BuildFromSource(ctx, "")
	if err != nil {
		return err
	}
	bin, err := agentctl.Locate(ctx, path)
	if err != nil {
		return err
	}
	r, err := bench.CompareApply(ctx, env, mb, bin)
	if err != nil {
		return fmt.Errorf("apply comparison: %w", err)
	}
	fmt.Fprintf(md, "\nA backlog of %.1f MB (%d transactions) on two replicas: own SQL thread with 4 conservative workers %.1f s (%.1f MB/s); "+
		"diff replayed through mariadb-binlog | mariadb %.1f s (%.1f MB/s; extracting it took %.1f s more); speed-up %.2f (target at least 3)%s\n",
		float64(r.Bytes)/1e6, r.Transactions, r.OwnSQLThread.Seconds(), float64(r.Bytes)/1e6/r.OwnSQLThread.Seconds(),
		r.DiffReplay.Seconds(), float64(r.Bytes)/1e6/r.DiffReplay.Seconds(), r.DiffExtract.Seconds(),
		r.DiffReplay.Seconds()/r.OwnSQLThread.Seconds(), checksums(r.ChecksumsDiffer))
	return nil
}

func checksums(differ string) string {
	if differ == "" {
		return "; both servers ended with equal checksums"
	}
	return "; CHECKSUMS DIFFER: " + differ
}

// writeTimelines draws, per scenario, the first run of each tool.
func writeTimelines(out string, results []bench.Result) error {
	for n, sc := range bench.Scenarios {
		var lanes []bench.Lane
		seen := map[string]bool{}
		for _, r := range results {
			if r.Scenario == string(sc) && !seen[r.Tool] {
				seen[r.Tool] = true
				lanes = append(lanes, bench.Lane{Title: r.Tool, Spans: r.Spans, Writable: r.Writable, Wall: r.Wall})
			}
		}
		f, err := os.Create(filepath.Join(out, fmt.Sprintf("timeline-%d.svg", n+1)))
		if err != nil {
			return err
		}
		err = bench.WriteSVG(f, string(sc), lanes)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// printTable prints the scenarios' table of a results.json (or the
// switchover table of a switchover.json) again.
func printTable(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if filepath.Base(path) == "monitor.json" {
		var mon []bench.MonitorResult
		if err := json.Unmarshal(raw, &mon); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		bench.WriteMonitorTable(os.Stdout, mon)
		return nil
	}
	if filepath.Base(path) == "switchover.json" {
		var sw []bench.SwitchResult
		if err := json.Unmarshal(raw, &sw); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		bench.WriteSwitchTable(os.Stdout, sw)
		return nil
	}
	var results []bench.Result
	if err := json.Unmarshal(raw, &results); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	bench.WriteTable(os.Stdout, results)
	return nil
}
