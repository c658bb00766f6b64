package main

import (
	"bytes"
	"encoding/json"
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
