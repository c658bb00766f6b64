package binlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// masterEvent is one event of the master's binlog series with its file name.
type masterEvent struct {
	file string
	ev   Event
}

// masterSeries copies the master's fixture binlogs into a directory under
// their real names (the active one becomes master-bin.000007).
func masterSeries(t *testing.T) (string, []masterEvent) {
	t.Helper()
	dir := t.TempDir()
	for _, f := range fixtures(t, "master-bin.*") {
		copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
	}
	copyFile(t, filepath.Join(fixDir, "master-inuse.bin"), filepath.Join(dir, "master-bin.000007"))
	os.WriteFile(filepath.Join(dir, "master-bin.index"), []byte("x\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "master-bin.000007.junk"), []byte("x"), 0o644)
	files, err := ListBinlogs(dir, "master-bin")
	if err != nil || len(files) != 7 {
		t.Fatalf("list: %v %v", files, err)
	}
	var all []masterEvent
	for _, f := range files {
		evs, _ := readAll(t, f)
		for _, e := range evs {
			all = append(all, masterEvent{filepath.Base(f), e})
		}
	}
	return dir, all
}

// dataSig is the comparable identity of a data event across files.
type dataSig struct {
	Type      EventType
	MasterEnd uint32
	GTID      string
}

func dataAfter(all []masterEvent, i int) []dataSig {
	var s []dataSig
	for _, m := range all[i+1:] {
		if !m.ev.Type.IsHeader() {
			s = append(s, dataSig{m.ev.Type, m.ev.MasterEnd, m.ev.GTID})
		}
	}
	return s
}

func dataOf(t *testing.T, stream []byte) ([]dataSig, []Event) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(stream), "extract")
	if err != nil {
		t.Fatal(err)
	}
	var s []dataSig
	var evs []Event
	for {
		ev, err := r.Next()
		if err != nil {
			if r.Truncated() != nil || !strings.Contains(err.Error(), "EOF") {
				t.Fatalf("reading extract output: %v %v", err, r.Truncated())
			}
			return s, evs
		}
		evs = append(evs, ev)
		if ev.Type.IsHeader() {
			if ev.Offset != 4 || ev.Type != FormatDescriptionEvent {
				t.Fatalf("header event %v at %d in output", ev.Type, ev.Offset)
			}
			continue
		}
		s = append(s, dataSig{ev.Type, ev.MasterEnd, ev.GTID})
	}
}

func relaySegments(files []string, from RelayPos) []Segment {
	i := slices.Index(files, from.File)
	segs := []Segment{{File: files[i], From: from.Offset}}
	for _, f := range files[i+1:] {
		segs = append(segs, Segment{File: f})
	}
	return segs
}

// TestFindRelayPositionEveryMasterEvent: for every master event end, the
// relay position followed by Extract reproduces exactly the master's
// remaining data events (same types, end_log_pos and GTIDs).
func TestFindRelayPositionEveryMasterEvent(t *testing.T) {
	_, all := masterSeries(t)
	relays := fixtures(t, "relay-bin.0*")
	checkedTools := 0
	for i, m := range all {
		pos, err := FindRelayPosition(relays, m.file, m.ev.MasterEnd, 2)
		want := dataAfter(all, i)
		if m.file < "master-bin.000004" {
			var nf *PositionNotFoundError
			if !errors.As(err, &nf) || nf.Reason != MasterFileMissing || !errors.Is(err, ErrPositionNotFound) {
				t.Fatalf("%s:%d: err %v, want purged", m.file, m.ev.MasterEnd, err)
			}
			continue
		}
		if errors.Is(err, ErrAllApplied) {
			if len(want) != 0 {
				t.Fatalf("%s:%d: all applied but %d events follow", m.file, m.ev.MasterEnd, len(want))
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s:%d (%v): %v", m.file, m.ev.MasterEnd, m.ev.Type, err)
		}
		var out bytes.Buffer
		st, err := Extract(&out, relaySegments(relays, pos), AllowMidTransaction(), SkipServerID(2))
		if err != nil {
			t.Fatalf("%s:%d extract from %v: %v", m.file, m.ev.MasterEnd, pos, err)
		}
		got, _ := dataOf(t, out.Bytes())
		if !slices.Equal(got, want) {
			t.Fatalf("%s:%d from %v:\n got %v\nwant %v", m.file, m.ev.MasterEnd, pos, got, want)
		}
		if st.Events != len(want) || st.Bytes != int64(out.Len()) {
			t.Errorf("stats %+v, %d events %d bytes", st, len(want), out.Len())
		}
		// At transaction boundaries the output stands alone: the strict
		// Extract accepts it and mariadb-binlog reads it.
		if boundaryAt(all, i) {
			var strict bytes.Buffer
			if _, err := Extract(&strict, relaySegments(relays, pos), SkipServerID(2)); err != nil {
				t.Fatalf("%s:%d strict extract: %v", m.file, m.ev.MasterEnd, err)
			}
			if checkedTools < 20 && len(want) > 0 {
				checkedTools++
				checkWithMariadbBinlog(t, strict.Bytes(), gtidsOfSigs(want))
			}
		}
	}
}

func boundaryAt(all []masterEvent, i int) bool {
	for j := i; j >= 0; j-- {
		e := all[j].ev
		if e.TxBoundary {
			return true
		}
		if e.TxStart || !e.Type.IsHeader() {
			return false
		}
	}
	return true
}

func gtidsOfSigs(s []dataSig) []string {
	var g []string
	for _, d := range s {
		if d.GTID != "" {
			g = append(g, d.GTID)
		}
	}
	return g
}

func checkWithMariadbBinlog(t *testing.T, stream []byte, want []string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "out.binlog")
	if err := os.WriteFile(p, stream, 0o644); err != nil {
		t.Fatal(err)
	}
	out := mariadbBinlog(t, p)
	if got := strs(gtidRe, out); !slices.Equal(got, want) {
		t.Fatalf("mariadb-binlog GTIDs\n got %v\nwant %v", got, want)
	}
	if strings.Contains(out, "ERROR") {
		t.Fatalf("mariadb-binlog reports an error:\n%s", out)
	}
}

func TestFindRelayPositionErrors(t *testing.T) {
	relays := fixtures(t, "relay-bin.0*")
	_, all := masterSeries(t)
	for _, m := range all {
		if m.file != "master-bin.000005" || m.ev.Type != XIDEvent {
			continue
		}
		_, err := FindRelayPosition(relays, m.file, m.ev.MasterEnd-3, 2)
		var nf *PositionNotFoundError
		if !errors.As(err, &nf) || nf.Reason != NotOnBoundary {
			t.Fatalf("mid-event: %v", err)
		}
		// Without the relay logs that carry master-bin.000005: purged.
		_, err = FindRelayPosition(relays[len(relays)-3:], m.file, m.ev.MasterEnd, 2)
		if !errors.As(err, &nf) || nf.Reason != MasterFileMissing {
			t.Fatalf("purged: %v", err)
		}
		break
	}
	if _, err := FindRelayPosition(relays, "master-bin.000009", 4, 2); !errors.Is(err, ErrPositionNotFound) {
		t.Fatalf("future file: %v", err)
	}
	last := all[len(all)-1]
	pos, err := FindRelayPosition(relays, last.file, last.ev.MasterEnd, 0)
	st, _ := os.Stat(relays[len(relays)-1])
	if !errors.Is(err, ErrAllApplied) || pos.File != relays[len(relays)-1] || pos.Offset != st.Size() {
		t.Fatalf("all applied: %v %v", pos, err)
	}
}

func TestSaveFrom(t *testing.T) {
	dir, all := masterSeries(t)
	for i, m := range all {
		if m.file < "master-bin.000005" || !boundaryAt(all, i) {
			continue
		}
		var out bytes.Buffer
		st, err := SaveFrom(&out, dir, m.file, m.ev.End)
		if err != nil {
			t.Fatalf("save from %s:%d: %v", m.file, m.ev.End, err)
		}
		want := dataAfter(all, i)
		if got, _ := dataOf(t, out.Bytes()); !slices.Equal(got, want) || st.Events != len(want) {
			t.Fatalf("save from %s:%d:\n got %v\nwant %v", m.file, m.ev.End, got, want)
		}
		if m.file == "master-bin.000005" && m.ev.Type == XIDEvent && len(want) > 0 {
			checkWithMariadbBinlog(t, out.Bytes(), gtidsOfSigs(want))
		}
	}
	var out bytes.Buffer
	if st, err := SaveFrom(&out, dir, "master-bin.000007", all[len(all)-1].ev.End); err != nil || st.Events != 0 {
		t.Fatalf("nothing to save: %+v %v", st, err)
	}
	for _, m := range all {
		if m.file == "master-bin.000006" && m.ev.Type == TableMapEvent {
			if _, err := SaveFrom(&out, dir, m.file, m.ev.End); !errors.Is(err, ErrMidTransaction) {
				t.Fatalf("mid-transaction: %v", err)
			}
			if _, err := SaveFrom(&out, dir, m.file, m.ev.End+1); !errors.Is(err, ErrNotEventBoundary) {
				t.Fatalf("mid-event: %v", err)
			}
			break
		}
	}
	if _, err := SaveFrom(&out, dir, "master-bin.000042", 4); err == nil {
		t.Fatal("missing start file accepted")
	}
}

// TestSaveFromTruncated: a crashed master's last binlog cut inside its last
// transaction: the output stops at the last complete transaction.
func TestSaveFromTruncated(t *testing.T) {
	dir, all := masterSeries(t)
	var last7 []Event
	for _, m := range all {
		if m.file == "master-bin.000007" {
			last7 = append(last7, m.ev)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "master-bin.000007"))
	// Cut inside the Write_rows event of the domain-5 transaction.
	var cutEv Event
	for _, e := range last7 {
		if e.Type == WriteRowsEventV1 {
			cutEv = e
			break
		}
	}
	os.WriteFile(filepath.Join(dir, "master-bin.000007"), b[:cutEv.Offset+10], 0o644)
	var out bytes.Buffer
	st, err := SaveFrom(&out, dir, "master-bin.000006", 4)
	if err != nil {
		t.Fatal(err)
	}
	if st.Truncated == nil || st.Truncated.At != cutEv.Offset || st.Trimmed != 3 {
		t.Fatalf("stats %+v trunc %v", st, st.Truncated)
	}
	got, _ := dataOf(t, out.Bytes())
	for _, d := range got {
		if d.GTID == "5-1-1" {
			t.Fatal("incomplete transaction 5-1-1 copied")
		}
	}
	if st.LastGTID != "0-1-59" {
		t.Fatalf("last GTID %s", st.LastGTID)
	}
	checkWithMariadbBinlog(t, out.Bytes(), gtidsOfSigs(got))
	out.Reset()
	st, err = SaveFrom(&out, dir, "master-bin.000006", 4, KeepIncompleteTail())
	if err != nil || st.LastGTID != "5-1-1" || st.Trimmed != 0 || st.OpenTail != 3 {
		t.Fatalf("keep tail: %+v %v", st, err)
	}
	if st, err := Extract(io.Discard, []Segment{{File: filepath.Join(fixDir, "master-bin.000001")}}, KeepIncompleteTail()); err != nil || st.OpenTail != 0 {
		t.Fatalf("a binlog ending at a transaction's end has an open tail: %+v %v", st, err)
	}
}

func TestListBinlogsOrder(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"mysql-bin.1000000", "mysql-bin.000010", "mysql-bin.000009", "mysql-bin.index", "mysql-bin.000011.tmp", "other-bin.000001", "mysql-bin.~rec~"} {
		os.WriteFile(filepath.Join(dir, n), nil, 0o644)
	}
	got, err := ListBinlogs(dir, "mysql-bin")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mysql-bin.000009", "mysql-bin.000010", "mysql-bin.1000000"}
	for i := range want {
		want[i] = filepath.Join(dir, want[i])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v", got)
	}
}

// TestExtractFDE: the output FDE has the in-use flag cleared and a valid
// CRC, and mid-stream header events are gone.
func TestExtractFDE(t *testing.T) {
	var out bytes.Buffer
	inuse := filepath.Join(fixDir, "master-inuse.bin")
	st, err := Extract(&out, []Segment{{File: inuse}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewReader(bytes.NewReader(out.Bytes()), "out")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.FDE().InUse() || r.FDE().Relay() || st.Events == 0 {
		t.Fatalf("fde flags %#x, stats %+v", r.FDE().Flags, st)
	}
	// relay-bin.000005 starts inside a transaction: strict extraction from
	// its start is allowed (unknown), but not from inside the next one.
	relay := filepath.Join(fixDir, "relay-bin.000005")
	evs, _ := readAll(t, relay)
	if _, err := Extract(&out, []Segment{{File: relay}}); err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		if e.Type == TableMapEvent {
			if _, err := Extract(&out, []Segment{{File: relay, From: e.Offset}}); !errors.Is(err, ErrMidTransaction) {
				t.Fatalf("from table map: %v", err)
			}
			break
		}
	}
}
