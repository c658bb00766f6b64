package binlog

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// skipWant is what Extract with SkipTransactions(executed) must write from
// the master series: the data events of every transaction whose GTID
// executed rejects, and the GTIDs it leaves out.
func skipWant(all []masterEvent, executed func(string) bool) (keep []dataSig, skipped []string) {
	skip := false
	for _, m := range all {
		e := m.ev
		if e.Type.IsHeader() {
			continue
		}
		if e.GTID != "" {
			if skip = executed(e.GTID); skip {
				skipped = append(skipped, e.GTID)
			}
		}
		if !skip {
			keep = append(keep, dataSig{e.Type, e.MasterEnd, e.GTID})
		}
	}
	return keep, skipped
}

func TestSkipTransactions(t *testing.T) {
	dir, all := masterSeries(t)
	files, err := ListBinlogs(dir, "master-bin")
	if err != nil {
		t.Fatal(err)
	}
	var segs []Segment
	for _, f := range files {
		segs = append(segs, Segment{File: f})
	}
	var gtids []string
	for _, m := range all {
		if m.ev.GTID != "" {
			gtids = append(gtids, m.ev.GTID)
		}
	}
	in := func(set ...string) func(string) bool {
		return func(g string) bool { return slices.Contains(set, g) }
	}
	cases := []struct {
		name     string
		executed func(string) bool
	}{
		{"nothing executed", func(string) bool { return false }},
		{"everything executed", func(string) bool { return true }},
		{"the first three", in(gtids[:3]...)},
		{"one in the middle, across a rotation", in("0-1-14", "0-1-15")},
		{"every other", func(g string) bool { return slices.Index(gtids, g)%2 == 0 }},
		{"one domain only", func(g string) bool { return strings.HasPrefix(g, "5-") }},
		{"the last", in(gtids[len(gtids)-1])},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out bytes.Buffer
			st, err := Extract(&out, segs, SkipTransactions(c.executed))
			if err != nil {
				t.Fatal(err)
			}
			keep, skipped := skipWant(all, c.executed)
			got, _ := dataOf(t, out.Bytes())
			if !slices.Equal(got, keep) || st.Events != len(keep) {
				t.Fatalf("kept %d events (stats %d), want %d:\n got %v\nwant %v", len(got), st.Events, len(keep), got, keep)
			}
			if st.Skipped != len(skipped) || st.Transactions != len(gtids)-len(skipped) {
				t.Fatalf("stats %+v, want %d skipped of %d", st, len(skipped), len(gtids))
			}
			if len(skipped) > 0 && (st.SkippedFirstGTID != skipped[0] || st.SkippedLastGTID != skipped[len(skipped)-1]) {
				t.Fatalf("skipped GTIDs %s..%s, want %s..%s", st.SkippedFirstGTID, st.SkippedLastGTID, skipped[0], skipped[len(skipped)-1])
			}
			if len(keep) > 0 {
				checkWithMariadbBinlog(t, out.Bytes(), gtidsOfSigs(keep))
			}
		})
	}
}

// TestSkipTransactionsTail: an executed transaction cut by the end of the
// input is trimmed like any unfinished one, or skipped when the tail is
// kept; a stream that begins inside a transaction keeps that transaction's
// tail, which has no GTID to judge it by.
func TestSkipTransactionsTail(t *testing.T) {
	src := filepath.Join(fixDir, "master-bin.000006")
	evs, _ := readAll(t, src)
	var lastStart, midTx int64
	midTail, after := 0, 0 // events of the first transaction from midTx on; transactions after it
	for _, e := range evs {
		switch {
		case e.GTID != "":
			lastStart = e.Offset
			if midTx != 0 {
				after++
			}
		case midTx == 0 && e.Type == TableMapEvent:
			midTx = e.Offset
		}
		if midTx != 0 && after == 0 && !e.Type.IsHeader() {
			midTail++
		}
	}
	last := evs[len(evs)-1]
	for last.Type.IsHeader() {
		evs = evs[:len(evs)-1]
		last = evs[len(evs)-1]
	}
	cut := filepath.Join(t.TempDir(), "master-bin.000006")
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, data[:last.Offset], 0o644); err != nil { // the last transaction loses its end
		t.Fatal(err)
	}
	cases := []struct {
		name                     string
		seg                      Segment
		opt                      ExtractOption
		events, skipped, trimmed int
	}{
		{"cut executed transaction is trimmed", Segment{File: cut, From: lastStart}, nil, 0, 0, 2},
		{"cut executed transaction with the tail kept is skipped", Segment{File: cut, From: lastStart}, KeepIncompleteTail(), 0, 1, 0},
		{"mid-transaction start keeps the tail", Segment{File: src, From: midTx}, AllowMidTransaction(), midTail, after, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opts := []ExtractOption{SkipTransactions(func(string) bool { return true })}
			if c.opt != nil {
				opts = append(opts, c.opt)
			}
			var out bytes.Buffer
			st, err := Extract(&out, []Segment{c.seg}, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if st.Events != c.events || st.Skipped != c.skipped || (st.Trimmed > 0) != (c.trimmed > 0) {
				t.Fatalf("stats %+v: want %d events, %d skipped, trimmed %v", st, c.events, c.skipped, c.trimmed > 0)
			}
		})
	}
}

// TestSkipTransactionsMySQL: MySQL GTIDs ("uuid:gno") are judged the same
// way; the DDL is a transaction of its own.
func TestSkipTransactionsMySQL(t *testing.T) {
	paths := mysqlFixtures(t)
	_, gtids := mysqlFile(true, false)
	executed := func(g string) bool { return g == gtids[0] || g == gtids[3] }
	var out bytes.Buffer
	st, err := Extract(&out, []Segment{{File: paths[0]}}, SkipTransactions(executed))
	if err != nil {
		t.Fatal(err)
	}
	_, evs := dataOf(t, out.Bytes())
	want := []string{gtids[1], gtids[2], gtids[4]}
	if got := gtidsOf(evs); !slices.Equal(got, want) || st.Skipped != 2 || st.Transactions != 3 ||
		st.SkippedFirstGTID != gtids[0] || st.SkippedLastGTID != gtids[3] {
		t.Fatalf("gtids %v want %v (%+v)", got, want, st)
	}
}

// TestSkipTransactionsAcrossSegments: a transaction whose head is in one
// segment and whose tail is in the next (a replica read half of it; the
// rest came from the latest replica) is one transaction: executed, it is
// left out whole, tail included.
func TestSkipTransactionsAcrossSegments(t *testing.T) {
	src := filepath.Join(fixDir, "master-bin.000006")
	evs, _ := readAll(t, src)
	var midTx int64
	for i, e := range evs {
		if e.GTID != "" && i+2 < len(evs) {
			midTx = evs[i+1].Offset // right after the GTID event
			break
		}
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	head := filepath.Join(t.TempDir(), "head.binlog")
	if err := os.WriteFile(head, data[:midTx], 0o644); err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	for _, c := range []struct {
		name     string
		executed func(string) bool
		events   bool
	}{
		{"executed: nothing written", all, false},
		{"not executed: the whole transaction written", func(string) bool { return false }, true},
	} {
		var out bytes.Buffer
		st, err := Extract(&out, []Segment{{File: head}, {File: src, From: midTx}}, SkipTransactions(c.executed))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if (st.Events > 0) != c.events {
			t.Errorf("%s: %+v", c.name, st)
		}
	}
}
