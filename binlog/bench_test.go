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

// timeCmd runs a shell command (stdout to /dev/null) best of three.
func timeCmd(b *testing.B, name string, args ...string) time.Duration {
	b.Helper()
	best := time.Duration(1 << 62)
	for i := 0; i < 3; i++ {
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

// BenchmarkScan reads every event of the 1 GiB relay log with CRC32
// verification and compares with cat and mariadb-binlog on the same file.
func BenchmarkScan(b *testing.B) {
	path, _ := benchRelay(b)
	st, _ := os.Stat(path)
	cat := timeCmd(b, "cat", path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		s, err := ScanFile(path, nil)
		if err != nil || s.LastComplete != st.Size() {
			b.Fatal(err, s.LastComplete)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(mbps(st.Size(), per), "MB/s")
	b.ReportMetric(mbps(st.Size(), cat), "cat-MB/s")
	b.ReportMetric(cat.Seconds()/per.Seconds(), "ratio-to-cat")
}

func BenchmarkFindRelayPosition(b *testing.B) {
	path, last := benchRelay(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		pos, err := FindRelayPosition([]string{path}, "master-bin.000005", last, 2)
		if err != nil || pos.Offset == 0 {
			b.Fatal(pos, err)
		}
	}
}

func BenchmarkExtract(b *testing.B) {
	path, _ := benchRelay(b)
	st, _ := os.Stat(path)
	cat := timeCmd(b, "cat", path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := Extract(io.Discard, []Segment{{File: path}}, SkipServerID(2)); err != nil {
			b.Fatal(err)
		}
	}
	per := time.Since(start) / time.Duration(b.N)
	b.ReportMetric(mbps(st.Size(), per), "MB/s")
	b.ReportMetric(cat.Seconds()/per.Seconds(), "ratio-to-cat")
}

// BenchmarkMariadbBinlog times `mariadb-binlog FILE > /dev/null` once per
// iteration for reference.
func BenchmarkMariadbBinlog(b *testing.B) {
	path, _ := benchRelay(b)
	bin := needTool(b, "mariadb-binlog")
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		timeCmd1(b, bin, path)
	}
	b.ReportMetric(mbps(st.Size(), time.Since(start)/time.Duration(b.N)), "MB/s")
}

func timeCmd1(b *testing.B, name string, args ...string) {
	cmd := exec.Command(name, append([]string{"--no-defaults"}, args...)...)
	if err := cmd.Run(); err != nil {
		b.Fatalf("%s: %v", name, err)
	}
}
