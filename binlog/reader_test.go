package binlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestOffsetsMatchMariadbBinlog compares every event offset and end_log_pos
// with what mariadb-binlog prints for the same real server-written files.
func TestOffsetsMatchMariadbBinlog(t *testing.T) {
	files := append(fixtures(t, "master-bin.*"), fixtures(t, "relay-bin.0*")...)
	files = append(files, fixtures(t, "replica-bin.*")...)
	files = append(files, filepath.Join(fixDir, "master-inuse.bin"))
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			out := mariadbBinlog(t, f)
			evs, r := readAll(t, f)
			var at, end []int64
			for _, e := range evs {
				at = append(at, e.Offset)
				end = append(end, int64(e.MasterEnd))
			}
			if want := ints(atRe, out); !slices.Equal(at, want) {
				t.Errorf("offsets\n got %v\nwant %v", at, want)
			}
			if want := ints(endPosRe, out); !slices.Equal(end, want) {
				t.Errorf("end_log_pos\n got %v\nwant %v", end, want)
			}
			if want := strs(gtidRe, out); !slices.Equal(gtidsOf(evs), want) {
				t.Errorf("GTIDs\n got %v\nwant %v", gtidsOf(evs), want)
			}
			if r.Truncated() != nil {
				t.Errorf("unexpected truncation %v", r.Truncated())
			}
			st, _ := os.Stat(f)
			if r.Offset() != st.Size() {
				t.Errorf("stopped at %d, size %d", r.Offset(), st.Size())
			}
		})
	}
}

func TestFDEAndInUse(t *testing.T) {
	s, err := ScanFile(filepath.Join(fixDir, "master-inuse.bin"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !s.InUse || !s.Checksum || s.Relay || s.ServerID != 1 || !strings.HasPrefix(s.ServerVersion, "10.11") {
		t.Errorf("summary %+v", s)
	}
	if s.LastTxBoundary != s.LastComplete || s.LastComplete != s.Size {
		t.Errorf("boundary %d complete %d size %d", s.LastTxBoundary, s.LastComplete, s.Size)
	}
	closed, err := ScanFile(filepath.Join(fixDir, "master-bin.000002"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if closed.InUse || closed.PreviousGTIDs == "" {
		t.Errorf("closed summary %+v", closed)
	}
	relay, err := ScanFile(filepath.Join(fixDir, "relay-bin.000002"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !relay.Relay || relay.ServerID != 2 || !slices.Equal(relay.MasterFiles, []string{"master-bin.000004"}) {
		t.Errorf("relay summary %+v", relay)
	}
}

// TestTxMarks checks the transaction marks against the GTID flags printed by
// mariadb-binlog: each GTID starts a transaction, which ends exactly once
// before the next GTID.
func TestTxMarks(t *testing.T) {
	for _, f := range append(fixtures(t, "master-bin.*"), filepath.Join(fixDir, "master-inuse.bin")) {
		evs, _ := readAll(t, f)
		open := false
		for _, e := range evs {
			if e.TxStart && e.GTID != "" {
				if open {
					t.Fatalf("%s: GTID %s at %d while a transaction is open", f, e.GTID, e.Offset)
				}
				open = true
			}
			if e.TxBoundary {
				if !open {
					t.Fatalf("%s: boundary at %d outside a transaction", f, e.Offset)
				}
				open = false
			}
		}
		if open {
			t.Fatalf("%s ends inside a transaction", f)
		}
	}
}

func TestCorruptByte(t *testing.T) {
	src := filepath.Join(fixDir, "master-bin.000002")
	evs, _ := readAll(t, src)
	b, _ := os.ReadFile(src)
	target := evs[len(evs)/2]
	for _, pos := range []int64{target.Offset + HeaderLen + 2, target.Offset + 5} {
		c := slices.Clone(b)
		c[pos] ^= 0x55
		p := filepath.Join(t.TempDir(), "bad.bin")
		os.WriteFile(p, c, 0o644)
		_, err := ScanFile(p, nil)
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d: err %v, want CorruptError", pos, err)
		}
		if ce.Offset != target.Offset || ce.File != p {
			t.Errorf("corrupt at %d in %s, want %d", ce.Offset, ce.File, target.Offset)
		}
	}
}

func TestGarbageSizes(t *testing.T) {
	b, _ := os.ReadFile(filepath.Join(fixDir, "master-bin.000002"))
	evs, _ := readAll(t, filepath.Join(fixDir, "master-bin.000002"))
	at := evs[3].Offset
	for name, size := range map[string]uint32{"small": 5, "huge": 1 << 30} {
		c := slices.Clone(b)
		le.PutUint32(c[at+9:], size)
		p := filepath.Join(t.TempDir(), name)
		os.WriteFile(p, c, 0o644)
		_, err := ScanFile(p, nil)
		var ce *CorruptError
		if !errors.As(err, &ce) || ce.Offset != at {
			t.Errorf("%s: err %v, want corrupt at %d", name, err, at)
		}
	}
	if _, err := NewReader(strings.NewReader("not a binlog"), "x"); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad magic: %v", err)
	}
}

// TestTruncatedTail cuts real files at every byte of their last two events.
func TestTruncatedTail(t *testing.T) {
	for _, f := range []string{"master-inuse.bin", "master-bin.000003", "relay-bin.000004"} {
		src := filepath.Join(fixDir, f)
		evs, _ := readAll(t, src)
		b, _ := os.ReadFile(src)
		dir := t.TempDir()
		for cut := evs[len(evs)-2].Offset + 1; cut < int64(len(b)); cut++ {
			p := filepath.Join(dir, fmt.Sprint(cut))
			os.WriteFile(p, b[:cut], 0o644)
			s, err := ScanFile(p, nil)
			if err != nil {
				t.Fatalf("%s cut %d: %v", f, cut, err)
			}
			var last Event
			for _, e := range evs {
				if e.End <= cut {
					last = e
				}
			}
			if s.LastComplete != last.End || (cut == last.End) != (s.Truncated == nil) {
				t.Fatalf("%s cut %d: summary %+v trunc %+v, want end %d", f, cut, s, s.Truncated, last.End)
			}
			if s.Truncated != nil && (s.Truncated.At != last.End || s.Truncated.Have != cut-last.End) {
				t.Fatalf("%s cut %d: summary %+v trunc %+v, want at %d", f, cut, s, s.Truncated, last.End)
			}
			if s.LastTxBoundary > s.LastComplete {
				t.Fatalf("boundary after end")
			}
		}
	}
	s, err := ScanFile(filepath.Join(fixDir, "truncated-inuse.bin"), nil)
	if err != nil || s.Truncated == nil || s.LastTxBoundary >= s.LastComplete && s.Truncated.At != s.LastComplete {
		t.Fatalf("truncated-inuse: %v %+v", err, s)
	}
}

func TestEmptyAndMagicOnly(t *testing.T) {
	for _, data := range []string{"", "\xfeb", Magic} {
		r, err := NewReader(strings.NewReader(data), "x")
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if _, err := r.Next(); !errors.Is(err, io.EOF) {
			t.Fatalf("%q: %v", data, err)
		}
	}
}
