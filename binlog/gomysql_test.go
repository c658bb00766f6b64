//go:build gomysql

package binlog

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/go-mysql-org/go-mysql/replication"
)

// TestAgreesWithGoMySQL cross-checks event offsets and end_log_pos with
// go-mysql's replication parser (checksum verification off: it rejects
// the in-use FDE, see doc.go).
func TestAgreesWithGoMySQL(t *testing.T) {
	files := append(fixtures(t, "*-bin.0*"), filepath.Join(fixDir, "master-inuse.bin"))
	files = append(files, mysqlFixtures(t)...)
	for _, f := range files {
		var offs []int64
		var ends []uint32
		off := int64(4)
		p := replication.NewBinlogParser()
		// go-mysql verifies the FDE CRC without clearing the in-use flag.
		evs, r := readAll(t, f)
		p.SetVerifyChecksum(!r.FDE().InUse())
		err := p.ParseFile(f, 0, func(e *replication.BinlogEvent) error {
			offs = append(offs, off)
			ends = append(ends, e.Header.LogPos)
			off += int64(e.Header.EventSize)
			return nil
		})
		if err != nil {
			t.Fatalf("go-mysql %s: %v", f, err)
		}
		var myOffs []int64
		var myEnds []uint32
		for _, e := range evs {
			myOffs = append(myOffs, e.Offset)
			myEnds = append(myEnds, e.MasterEnd)
		}
		if !slices.Equal(offs, myOffs) || !slices.Equal(ends, myEnds) {
			t.Errorf("%s: go-mysql offsets %v ends %v\nours %v %v", f, offs, ends, myOffs, myEnds)
		}
	}
}

// BenchmarkGoMySQLScan parses the 1 GiB relay log with go-mysql for the
// comparison in doc.go: raw mode (only FDE/Rotate decoded), as cheap as
// go-mysql gets, with and without its checksum verification.
func BenchmarkGoMySQLScan(b *testing.B) {
	path, _ := benchRelay(b)
	st, _ := os.Stat(path)
	for _, verify := range []bool{false, true} {
		b.Run(fmt.Sprintf("verify=%v", verify), func(b *testing.B) {
			b.SetBytes(st.Size())
			for i := 0; i < b.N; i++ {
				p := replication.NewBinlogParser()
				p.SetRawMode(true)
				p.SetVerifyChecksum(verify)
				n := 0
				if err := p.ParseFile(path, 0, func(*replication.BinlogEvent) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
