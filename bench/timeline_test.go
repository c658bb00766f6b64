package bench

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestMHASpans(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	lines := []Line{
		{ms(10), "Thu Nov 26 09:00:00 2026 - [info] Reading application default configuration"},
		{ms(300), "Thu Nov 26 09:00:00 2026 - [info] * Phase 1: Configuration Check Phase.."},
		{ms(900), "* Phase 2: Dead Master Shutdown Phase.."},
		{ms(950), "* Phase 2: Dead Master Shutdown Phase completed."},
		{ms(1000), "* Phase 3: Master Recovery Phase.."},
		{ms(1001), "* Phase 3.1: Getting Latest Slaves Phase.."},
		{ms(1500), "Thu Nov 26 09:00:01 2026 - [info] * Phase 3.2: Saving Dead Master's Binlog Phase.."},
		{ms(1600), "Thu Nov 26 09:00:01 2026 - [info]   mentions * Phase 9: not a banner"},
		{ms(2500), "* Phase 4: Slaves Recovery Phase.."},
		{ms(2501), "* Phase 4.1: Starting Parallel Slave Diff Log Generation Phase.."},
		{ms(3000), "* Phase 5: New master cleanup phase.."},
	}
	got := MHASpans(lines, ms(3200))
	want := []Span{
		{"start-up", 0, ms(300)},
		{"1 Configuration Check", ms(300), ms(900)},
		{"2 Dead Master Shutdown", ms(900), ms(950)},
		{"3.1 Getting Latest Slaves", ms(1001), ms(1500)},
		{"3.2 Saving Dead Master's Binlog", ms(1500), ms(2500)},
		{"4.1 Starting Parallel Slave Diff Log Generation", ms(2501), ms(3000)},
		{"5 New master cleanup", ms(3000), ms(3200)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d spans %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("span %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if s := MHASpans(nil, ms(5)); len(s) != 0 {
		t.Errorf("no banners: %+v", s)
	}
}

func TestWriteSVG(t *testing.T) {
	var b strings.Builder
	lanes := []Lane{
		{Title: "MHA 0.58", Spans: []Span{{"1 Configuration Check", 0, time.Second}, {"3.2 Saving <binlog>", time.Second, 3 * time.Second}}, Writable: 2500 * time.Millisecond, Wall: 4 * time.Second},
		{Title: "mhago", Spans: []Span{{"agents", 0, 400 * time.Millisecond}}, Writable: 500 * time.Millisecond, Wall: 600 * time.Millisecond},
	}
	if err := WriteSVG(&b, "in sync", lanes); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		XMLName xml.Name
		Rects   []struct{} `xml:"rect"`
		Lines   []struct{} `xml:"line"`
	}
	if err := xml.Unmarshal([]byte(b.String()), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b.String())
	}
	// 3 bars + 3 legend boxes; 2 writable marks + 5 ticks (0..4 s).
	if len(doc.Rects) != 6 || len(doc.Lines) != 7 || !strings.Contains(b.String(), "3.2 Saving &lt;binlog&gt; 2.00s") {
		t.Errorf("%d rects, %d lines:\n%s", len(doc.Rects), len(doc.Lines), b.String())
	}
}
