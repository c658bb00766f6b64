package binlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"testing"
)

// readModes are the ways a file is read: mapped with the verifier goroutine
// and tiny batches (so that every fixture spans many batches and
// verifier restarts), mapped with in-line batches, and plain reads.
var readModes = []struct {
	name     string
	mmapMin  int64
	asyncMin int64
	batch    int
}{
	{"mapped-async", 1, 0, 97},
	{"mapped-sync", 1, 1 << 62, 256 << 10},
	{"read", 1 << 62, 1 << 62, 300},
}

func inModes(t *testing.T, fn func(t *testing.T)) {
	saved := [3]int64{mmapMin, asyncMin, int64(batchSize)}
	defer func() { mmapMin, asyncMin, batchSize = saved[0], saved[1], int(saved[2]) }()
	for _, m := range readModes {
		mmapMin, asyncMin, batchSize = m.mmapMin, m.asyncMin, m.batch
		t.Run(m.name, fn)
	}
}

// TestModesAgree: every read mode gives the same summaries, positions and
// extracts on every fixture.
func TestModesAgree(t *testing.T) {
	type result struct {
		sums  []FileSummary
		pos   []RelayPos
		outs  [][]byte
		stats []ExtractStats
	}
	relays := fixtures(t, "relay-bin.0*")
	_, all := masterSeries(t)
	var got []result
	inModes(t, func(t *testing.T) {
		var res result
		for _, f := range fixtures(t, "*") {
			if filepath.Ext(f) == ".index" || filepath.Ext(f) == ".sh" {
				continue
			}
			s, err := ScanFile(f, nil)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			res.sums = append(res.sums, s)
			var out bytes.Buffer
			st, err := Extract(&out, []Segment{{File: f}}, AllowMidTransaction())
			if err != nil {
				t.Fatalf("extract %s: %v", f, err)
			}
			res.outs, res.stats = append(res.outs, out.Bytes()), append(res.stats, st)
		}
		for _, m := range all {
			p, err := FindRelayPosition(relays, m.file, m.ev.MasterEnd, 2)
			if err != nil && !errors.Is(err, ErrAllApplied) && !errors.Is(err, ErrPositionNotFound) {
				t.Fatal(err)
			}
			res.pos = append(res.pos, p)
		}
		got = append(got, res)
	})
	for i := 1; i < len(got); i++ {
		if !reflect.DeepEqual(got[i], got[0]) {
			t.Fatalf("mode %s differs from %s", readModes[i].name, readModes[0].name)
		}
	}
}

// TestCorruptEveryEvent damages each event of a file in turn: whatever the
// batching, the error names exactly that event, and Extract refuses it.
func TestCorruptEveryEvent(t *testing.T) {
	src := filepath.Join(fixDir, "master-bin.000005")
	evs, _ := readAll(t, src)
	b, _ := os.ReadFile(src)
	inModes(t, func(t *testing.T) {
		dir := t.TempDir()
		for _, e := range evs {
			c := slices.Clone(b)
			c[e.End-6] ^= 0x10 // in the body (or the header of a tiny event)
			p := filepath.Join(dir, "bad.bin")
			os.WriteFile(p, c, 0o644)
			_, err := ScanFile(p, nil)
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Offset != e.Offset {
				t.Fatalf("event %v at %d: err %v", e.Type, e.Offset, err)
			}
			if _, err := Extract(io.Discard, []Segment{{File: p}}, KeepIncompleteTail()); !errors.As(err, &ce) || ce.Offset != e.Offset {
				t.Fatalf("extract, event %v at %d: err %v", e.Type, e.Offset, err)
			}
		}
	})
}

// TestExtractDamagedTail: a damaged event after the last transaction
// boundary is trimmed with the rest of the unfinished transaction; one
// before a boundary fails the extract.
func TestExtractDamagedTail(t *testing.T) {
	src := filepath.Join(fixDir, "master-bin.000005")
	evs, _ := readAll(t, src)
	b, _ := os.ReadFile(src)
	var lastGTID Event
	for _, e := range evs {
		if e.Type == MariadbGTIDEvent {
			lastGTID = e
		}
	}
	// Keep the last transaction's GTID and the event after it, then damage
	// that event: the transaction has no end in the input.
	var after Event
	for _, e := range evs {
		if e.Offset == lastGTID.End {
			after = e
		}
	}
	c := slices.Clone(b[:after.End])
	c[after.End-6] ^= 0x10
	inModes(t, func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "master-bin.000005")
		os.WriteFile(p, c, 0o644)
		st, err := Extract(io.Discard, []Segment{{File: p}})
		if err != nil || st.Trimmed != 2 || st.StopOffset != lastGTID.Offset {
			t.Fatalf("trimmed tail: %+v %v", st, err)
		}
		if _, err := Extract(io.Discard, []Segment{{File: p}}, KeepIncompleteTail()); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("kept tail: %v", err)
		}
	})
}

// TestMappedFileShrinks: a file truncated while mapped gives an error, not
// a crash (SIGBUS).
func TestMappedFileShrinks(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join(fixDir, "master-bin.000005"))
	big := slices.Clone(b)
	for len(big) < 64<<10 { // several pages: pad with copies of the data events
		big = append(big, b[len(Magic)+400:]...)
	}
	p := filepath.Join(t.TempDir(), "shrink.bin")
	os.WriteFile(p, big, 0o644)
	r, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if !r.mapped {
		if runtime.GOOS == "linux" { // mhago's hosts: mapping must work here
			t.Fatal("file not mapped on linux")
		}
		t.Skip("file not mapped on this platform")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		_, err := r.Next()
		if errors.Is(err, errShrunk) {
			return
		}
		if err != nil || i > 1<<20 {
			t.Fatalf("after %d events: %v", i, err)
		}
	}
}

// TestSeekHint: Extract right after FindRelayPosition starts from the hint
// and writes exactly what a walk from the file's start writes; a file
// replaced in between (new inode, same name) is not trusted.
func TestSeekHint(t *testing.T) {
	dir := t.TempDir()
	var relays []string
	for _, f := range fixtures(t, "relay-bin.0*") {
		p := filepath.Join(dir, filepath.Base(f))
		copyFile(t, f, p)
		relays = append(relays, p)
	}
	_, all := masterSeries(t)
	extract := func(pos RelayPos) ([]byte, ExtractStats) {
		var out bytes.Buffer
		st, err := Extract(&out, relaySegments(relays, pos), AllowMidTransaction(), SkipServerID(2))
		if err != nil {
			t.Fatal(err)
		}
		return out.Bytes(), st
	}
	hinted := 0
	for _, m := range all {
		pos, err := FindRelayPosition(relays, m.file, m.ev.MasterEnd, 2)
		if err != nil {
			continue
		}
		before := lastHint.used
		got, gotSt := extract(pos)
		hinted += lastHint.used - before
		lastHint.Lock()
		lastHint.h = nil
		lastHint.Unlock()
		want, wantSt := extract(pos)
		if !bytes.Equal(got, want) || !reflect.DeepEqual(gotSt, wantSt) {
			t.Fatalf("%s:%d from %v: hinted extract differs\n%+v\n%+v", m.file, m.ev.MasterEnd, pos, gotSt, wantSt)
		}
	}
	if hinted < 10 {
		t.Fatalf("only %d extracts used a hint", hinted)
	}
	// Change the file under the hint: the transaction start's header (its
	// timestamp) differs, whether in place or in a new file.
	var pos RelayPos
	for _, m := range all {
		var err error
		if pos, err = FindRelayPosition(relays, m.file, m.ev.MasterEnd, 2); err == nil && lastHint.h != nil && lastHint.h.path == pos.File {
			break
		}
	}
	h := lastHint.h
	b, _ := os.ReadFile(pos.File)
	b[h.txStart] ^= 1
	for _, replace := range []bool{false, true} {
		if replace {
			os.Remove(pos.File)
		}
		os.WriteFile(pos.File, b, 0o644)
		lastHint.h = h
		before := lastHint.used
		extract(pos)
		if lastHint.used != before {
			t.Fatalf("hint used for a changed file (replaced %v)", replace)
		}
	}
}

// TestCommitEnds: one end per copied transaction, rising, the last one at
// the end of the output less its header; reading up to an end means that
// many transactions were read whole.
func TestCommitEnds(t *testing.T) {
	files := []string{filepath.Join(fixDir, "master-bin.000001"), filepath.Join(fixDir, "master-bin.000002")}
	for _, f := range files {
		var ends []int64
		var out bytes.Buffer
		st, err := Extract(&out, []Segment{{File: f}}, CommitEnds(&ends))
		if err != nil {
			t.Fatal(err)
		}
		if len(ends) != st.Transactions || st.Transactions == 0 {
			t.Fatalf("%s: %d ends for %d transactions", f, len(ends), st.Transactions)
		}
		if !slices.IsSorted(ends) || ends[0] <= 0 {
			t.Fatalf("%s: ends not rising from the first byte: %v", f, ends)
		}
		fde, err := firstFDE(f)
		if err != nil {
			t.Fatal(err)
		}
		header := int64(len(Magic) + len(fde.raw))
		if last := ends[len(ends)-1]; last+header != st.Bytes {
			t.Errorf("%s: last end %d + header %d != %d bytes written", f, last, header, st.Bytes)
		}
		// Each end is where an event of the output ends.
		tmp := filepath.Join(t.TempDir(), "out")
		if err := os.WriteFile(tmp, out.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		boundaries := map[int64]bool{}
		if _, err := ScanFile(tmp, func(e Event) error { boundaries[e.End] = true; return nil }); err != nil {
			t.Fatal(err)
		}
		for _, e := range ends {
			if !boundaries[e+header] {
				t.Fatalf("%s: end %d is not an event boundary in the output", f, e)
			}
		}
	}
}
