package binlog

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader: arbitrary bytes as a file never panic, offsets are
// contiguous, events stay inside the data, and the end is explained.
func FuzzReader(f *testing.F) {
	for _, p := range []string{"relay-bin.000003", "master-inuse.bin", "truncated-inuse.bin"} {
		b, err := os.ReadFile(filepath.Join(fixDir, p))
		if err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := NewReader(bytes.NewReader(data), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("open: %v", err)
			}
			return
		}
		end := int64(len(Magic))
		for {
			ev, err := r.Next()
			if errors.Is(err, io.EOF) {
				if tr := r.Truncated(); tr != nil {
					if tr.At != r.Offset() || tr.At+tr.Have != int64(len(data)) || tr.Need <= tr.Have {
						t.Fatalf("truncated %+v at %d of %d", tr, r.Offset(), len(data))
					}
				} else if end != int64(len(data)) {
					t.Fatalf("EOF at %d of %d without truncation", end, len(data))
				}
				return
			}
			if err != nil {
				var ce *CorruptError
				if !errors.As(err, &ce) || ce.Offset != end {
					t.Fatalf("error %v at %d", err, end)
				}
				return
			}
			if ev.Offset != end || ev.End <= ev.Offset || ev.End > int64(len(data)) || r.LastTxBoundary() > ev.End {
				t.Fatalf("event %+v after %d, data %d", ev, end, len(data))
			}
			end = ev.End
		}
	})
}

// FuzzFindRelayPosition: damaged relay logs never panic the search, and a
// found position lies inside its file and can be extracted from.
func FuzzFindRelayPosition(f *testing.F) {
	a, _ := os.ReadFile(filepath.Join(fixDir, "relay-bin.000003"))
	b, _ := os.ReadFile(filepath.Join(fixDir, "relay-bin.000010"))
	f.Add(a, b, uint32(1865))
	f.Add(b, b, uint32(788))
	// One directory per fuzzing process: t.TempDir per input made each
	// execution cost a directory create and remove.
	dir := f.TempDir()
	files := []string{filepath.Join(dir, "relay-bin.000001"), filepath.Join(dir, "relay-bin.000002")}
	f.Fuzz(func(t *testing.T, first, second []byte, pos uint32) {
		for i, data := range [][]byte{first, second} {
			if err := os.WriteFile(files[i], data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		for _, mf := range []string{"master-bin.000005", "master-bin.000007"} {
			rp, err := FindRelayPosition(files, mf, pos, 2)
			if err != nil {
				continue
			}
			st, serr := os.Stat(rp.File)
			if serr != nil || rp.Offset < int64(len(Magic)) || rp.Offset > st.Size() {
				t.Fatalf("position %+v outside its file", rp)
			}
			Extract(io.Discard, []Segment{{File: rp.File, From: rp.Offset}}, AllowMidTransaction())
			// Skipping some transactions must not break the walk either.
			Extract(io.Discard, []Segment{{File: rp.File, From: rp.Offset}}, AllowMidTransaction(),
				SkipTransactions(func(g string) bool { return len(g)%2 == 0 }))
		}
	})
}
