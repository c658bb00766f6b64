package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mhago/mhago/phases"
	"github.com/mhago/mhago/report"
)

func TestProgressPrinter(t *testing.T) {
	half := phases.Progress{Host: "server2", Path: report.PathDiffReplay, Bytes: 5e6, TotalBytes: 10e6, Transactions: 400, TotalTransactions: 900, Elapsed: 2 * time.Second}
	done := half
	done.Bytes, done.Transactions = 10e6, 900

	var out, errb bytes.Buffer
	pp := newProgressPrinter(&out, &errb, false)
	pp.show(half)
	pp.show(half) // within progressLineEvery: not repeated
	pp.show(done)
	pp.end()
	want := "mhago: server2 diff_replay: 5.0 of 10.0 MB, 400 of 900 transactions, 2.5 MB/s, ETA 2s\n" +
		"mhago: server2 diff_replay: 10.0 of 10.0 MB, 900 of 900 transactions, 5.0 MB/s\n"
	if out.Len() != 0 || errb.String() != want {
		t.Errorf("not a terminal: stdout %q, stderr\n%s\nwant\n%s", out.String(), errb.String(), want)
	}

	out.Reset()
	errb.Reset()
	pp = newProgressPrinter(&out, &errb, true)
	pp.show(half)
	var ev progressJSON
	if err := json.Unmarshal(errb.Bytes(), &ev); err != nil || ev.Event != "progress" || ev.Host != "server2" || ev.ETASeconds != 2 || ev.TotalTransactions != 900 {
		t.Errorf("--json: %q (%v)", errb.String(), err)
	}
	if out.Len() != 0 {
		t.Errorf("--json progress went to stdout, where the report goes: %q", out.String())
	}

	own := phases.Progress{Host: "server3", Path: report.PathOwnSQLThread, Bytes: 1e6, TotalBytes: 4e6, Transactions: -1, TotalTransactions: -1, Elapsed: time.Second}
	if bar := progressBar(own); !strings.HasPrefix(bar, "[#######.......................]  25% server3 own_sql_thread: 1.0 of 4.0 MB, 1.0 MB/s, ETA 3s") {
		t.Errorf("bar: %q", bar)
	}
}

func TestProgressPrinterPhases(t *testing.T) {
	start := phases.Progress{Kind: phases.ProgressPhaseStart, Phase: "3.4 diff generation", Index: 9, Total: 18, Host: "server2"}
	ok := start
	ok.Kind, ok.Elapsed = phases.ProgressPhaseEnd, 310*time.Millisecond
	failed := ok
	failed.Err = errors.New("server3 unreachable")

	var out, errb bytes.Buffer
	pp := newProgressPrinter(&out, &errb, false)
	for _, p := range []phases.Progress{start, ok, start, failed} {
		pp.show(p)
	}
	want := "mhago: [9/18] 3.4 diff generation (server2): ok in 310ms\n" +
		"mhago: [9/18] 3.4 diff generation (server2): FAILED after 310ms: server3 unreachable\n"
	if out.Len() != 0 || errb.String() != want {
		t.Errorf("not a terminal: stdout %q, stderr\n%s\nwant\n%s", out.String(), errb.String(), want)
	}

	out.Reset()
	errb.Reset()
	pp = newProgressPrinter(&out, &errb, false)
	pp.tty = true // as on a terminal: one line redrawn, a failure kept
	for _, p := range []phases.Progress{start, ok, start, failed} {
		pp.show(p)
	}
	pp.end()
	want = "\r\033[K[9/18] 3.4 diff generation (server2): running" + "\r\033[K[9/18] 3.4 diff generation (server2): ok in 310ms" +
		"\r\033[K[9/18] 3.4 diff generation (server2): running" + "\r\033[K[9/18] 3.4 diff generation (server2): FAILED after 310ms: server3 unreachable\n"
	if out.String() != want || errb.Len() != 0 {
		t.Errorf("terminal: %q, want %q (stderr %q)", out.String(), want, errb.String())
	}

	out.Reset()
	errb.Reset()
	pp = newProgressPrinter(&out, &errb, true)
	pp.show(start)
	pp.show(failed)
	dec := json.NewDecoder(&errb)
	var evs []phaseJSON
	for dec.More() {
		var ev phaseJSON
		if err := dec.Decode(&ev); err != nil {
			t.Fatal(err)
		}
		evs = append(evs, ev)
	}
	if len(evs) != 2 || evs[0].Event != "phase_start" || evs[1].Event != "phase_end" || evs[1].Error != "server3 unreachable" ||
		evs[1].ElapsedSeconds != 0.31 || evs[1].Host != "server2" || evs[1].Index != 9 || out.Len() != 0 {
		t.Errorf("--json events %+v, stdout %q", evs, out.String())
	}
}
