package binlog

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// benchDir holds the generated 1 GiB relay log. It is built once, only by
// the benchmarks (go test -bench), and reused while it is there.
const benchDir = "/tmp/mhago-binlog-bench"

const benchSize = 1 << 30

// benchRelay returns the path of a >= 1 GiB relay log: the header of a real
// relay log (replica FDE, master rotate, master FDE, ...) followed by the
// real master transactions of master-bin.000005 repeated, with increasing
// GTID sequence numbers, consistent master end_log_pos and recomputed CRCs.
// It also returns the master coordinate of the last transaction's start.
func benchRelay(b *testing.B) (string, uint32) {
	b.Helper()
	path := filepath.Join(benchDir, "relay-bin.000001")
	meta := path + ".lastpos"
	if st, err := os.Stat(path); err == nil && st.Size() >= benchSize {
		if m, err := os.ReadFile(meta); err == nil {
			var pos uint32
			if _, err := fmt.Sscan(string(m), &pos); err == nil {
				return path, pos
			}
		}
	}
	if err := os.MkdirAll(benchDir, 0o755); err != nil {
		b.Fatal(err)
	}
	pos, err := writeBenchRelay(path)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(meta, []byte(fmt.Sprint(pos)), 0o644); err != nil {
		b.Fatal(err)
	}
	return path, pos
}

func writeBenchRelay(path string) (uint32, error) {
	head, err := rawEvents(filepath.Join(fixDir, "relay-bin.000004"), func(e Event) bool { return e.Type.IsHeader() })
	if err != nil {
		return 0, err
	}
	txs, err := rawEvents(filepath.Join(fixDir, "master-bin.000005"), func(e Event) bool { return !e.Type.IsHeader() })
	if err != nil {
		return 0, err
	}
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 4<<20)
	w.WriteString(Magic)
	size := int64(len(Magic))
	for _, raw := range head {
		w.Write(raw)
		size += int64(len(raw))
	}
	masterPos := uint32(343) // after the master's Gtid_list and checkpoint
	seq, lastStart := uint64(1000), uint32(0)
	for size < benchSize {
		for _, raw := range txs {
			e := append([]byte(nil), raw...)
			if EventType(e[4]) == MariadbGTIDEvent {
				seq++
				le.PutUint64(e[HeaderLen:], seq)
				lastStart = masterPos
			}
			masterPos += uint32(len(e))
			le.PutUint32(e[13:], masterPos)
			le.PutUint32(e[len(e)-4:], crc32.ChecksumIEEE(e[:len(e)-4]))
			w.Write(e)
			size += int64(len(e))
		}
	}
	if err := w.Flush(); err != nil {
		return 0, err
	}
	return lastStart, f.Close()
}

// rawEvents returns copies of the events of path accepted by keep.
func rawEvents(path string, keep func(Event) bool) ([][]byte, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out [][]byte
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if keep(ev) {
			out = append(out, append([]byte(nil), r.Raw()...))
		}
	}
}

// benchPositions are master coordinates (master-bin.000005) in the bench
// relay log: the end of its first transaction, the end of the first
// transaction after 90% of the file, and the start of its last one.
type benchPositions struct {
	First, Tail, Last uint32
	File              string
	Size              int64
}

var (
	benchOnce sync.Once
	benchPos  benchPositions
	benchCat  time.Duration
)

// benchSetup builds (or reuses) the relay log, finds the positions (cached
// next to it) and times cat on it once per process.
func benchSetup(b *testing.B) benchPositions {
	b.Helper()
	benchOnce.Do(func() {
		path, last := benchRelay(b)
		p, err := relayPositions(path, last)
		if err != nil {
			b.Fatal(err)
		}
		benchPos = p
		benchCat = timeCmd(b, 5, "cat", path)
	})
	if benchPos.File == "" {
		b.Fatal("bench setup failed")
	}
	return benchPos
}

func relayPositions(path string, last uint32) (benchPositions, error) {
	cache := path + ".positions"
	p := benchPositions{File: path, Last: last}
	st, err := os.Stat(path)
	if err != nil {
		return p, err
	}
	p.Size = st.Size()
	if m, err := os.ReadFile(cache); err == nil {
		if _, err := fmt.Sscan(string(m), &p.First, &p.Tail); err == nil {
			return p, nil
		}
	}
	tailFrom := p.Size / 10 * 9
	_, err = ScanFile(path, func(e Event) error {
		if e.TxBoundary && p.First == 0 {
			p.First = e.MasterEnd
		}
		if e.TxBoundary && e.Offset >= tailFrom {
			p.Tail = e.MasterEnd
			return io.EOF
		}
		return nil
	})
	if err != io.EOF {
		return p, fmt.Errorf("no tail position: %v", err)
	}
	return p, os.WriteFile(cache, []byte(fmt.Sprint(p.First, p.Tail)), 0o644)
}

// timeCmd runs a command (stdout to /dev/null) n times and returns the best.
func timeCmd(b *testing.B, n int, name string, args ...string) time.Duration {
	b.Helper()
	best := time.Duration(1 << 62)
	for i := 0; i < n; i++ {
		cmd := exec.Command(name, args...)
		devnull, _ := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		cmd.Stdout = devnull
		start := time.Now()
		err := cmd.Run()
		d := time.Since(start)
		devnull.Close()
		if err != nil {
			b.Fatalf("%s: %v", name, err)
		}
		best = min(best, d)
	}
	return best
}

func mbps(size int64, d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }

// report puts the throughput over the whole file (and over the diff when
// there is one) and the ratio to cat's time on the same file.
func report(b *testing.B, p benchPositions, diff int64) {
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(mbps(p.Size, per), "MB/s")
	b.ReportMetric(mbps(p.Size, benchCat), "cat_MB/s")
	b.ReportMetric(benchCat.Seconds()/per.Seconds(), "ratio_to_cat")
	if diff > 0 {
		b.ReportMetric(float64(diff)/1e6, "diff_MB")
	}
}

// BenchmarkCat times `cat FILE > /dev/null`, the reference.
func BenchmarkCat(b *testing.B) {
	p := benchSetup(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		timeCmd(b, 1, "cat", p.File)
	}
	report(b, p, 0)
}

// BenchmarkMariadbBinlog times `mariadb-binlog FILE > /dev/null` (~20 s).
func BenchmarkMariadbBinlog(b *testing.B) {
	p := benchSetup(b)
	bin := needTool(b, "mariadb-binlog")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		timeCmd(b, 1, bin, "--no-defaults", p.File)
	}
	report(b, p, 0)
}

// BenchmarkScan reads every event with CRC32 verification.
func BenchmarkScan(b *testing.B) {
	p := benchSetup(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := ScanFile(p.File, nil)
		if err != nil || s.LastComplete != p.Size {
			b.Fatal(err, s.LastComplete)
		}
	}
	report(b, p, 0)
}

// BenchmarkFindRelayPosition locates the start of the LAST transaction:
// the worst case, a walk over the whole file.
func BenchmarkFindRelayPosition(b *testing.B) {
	p := benchSetup(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := locate(p, p.Last); err != nil {
			b.Fatal(err)
		}
	}
	report(b, p, 0)
}

func locate(p benchPositions, pos uint32) (RelayPos, error) {
	return FindRelayPosition([]string{p.File}, "master-bin.000005", pos, 2)
}

func extractFrom(at RelayPos) (ExtractStats, error) {
	return Extract(io.Discard, []Segment{{File: at.File, From: at.Offset}}, SkipServerID(2), AllowMidTransaction())
}

// BenchmarkExtract writes a diff to io.Discard (as cat writes to
// /dev/null): from the end of the first transaction (~1 GiB) and from the
// first transaction boundary after 90% of the file (the realistic case: the
// walk to it is part of the work). The position is located beforehand, and
// its seek hint dropped, so Extract walks to it from the file's start.
func BenchmarkExtract(b *testing.B) {
	p := benchSetup(b)
	for _, c := range []struct {
		name string
		pos  uint32
	}{{"from_start", p.First}, {"last_10pct", p.Tail}} {
		b.Run(c.name, func(b *testing.B) {
			at, err := locate(p, c.pos)
			if err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			var st ExtractStats
			for i := 0; i < b.N; i++ {
				forgetHint() // a cold Extract: it walks to the position itself
				if st, err = extractFrom(at); err != nil || st.Events == 0 {
					b.Fatal(err, st)
				}
			}
			report(b, p, st.Bytes)
		})
	}
}

// BenchmarkLocateAndExtract is the node agent's diff: FindRelayPosition,
// then Extract from there (using the search's seek hint), both timed.
func BenchmarkLocateAndExtract(b *testing.B) {
	p := benchSetup(b)
	for _, c := range []struct {
		name string
		pos  uint32
	}{{"from_start", p.First}, {"last_10pct", p.Tail}} {
		b.Run(c.name, func(b *testing.B) {
			var st ExtractStats
			for i := 0; i < b.N; i++ {
				at, err := locate(p, c.pos)
				if err != nil {
					b.Fatal(err)
				}
				if st, err = extractFrom(at); err != nil || st.Events == 0 {
					b.Fatal(err, st)
				}
			}
			report(b, p, st.Bytes)
		})
	}
}

func forgetHint() {
	lastHint.Lock()
	lastHint.h = nil
	lastHint.Unlock()
}
