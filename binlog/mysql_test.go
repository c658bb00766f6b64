package binlog

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/mhago/mhago/binlog/internal/mysqlgen"
)

// mysqlFile builds a synthesized MySQL 8.0.36 binlog and its GTIDs.
func mysqlFile(checksum, inUse bool) ([]byte, []string) {
	b := mysqlgen.New("8.0.36", 11, checksum)
	b.PreviousGTIDs(5)
	var g []string
	g = append(g, b.DDL("CREATE TABLE t (id INT, v VARCHAR(20))"))
	for i := 1; i <= 4; i++ {
		g = append(g, b.Insert(i))
	}
	if inUse {
		b.SetInUse()
	} else {
		b.Rotate("binlog.000002")
	}
	return b.Bytes(), g
}

// mysqlFixtures writes the synthesized MySQL files (closed, in use, no
// checksum) to a temporary directory.
func mysqlFixtures(t testing.TB) []string {
	t.Helper()
	dir := t.TempDir()
	var paths []string
	for _, c := range []struct {
		name            string
		checksum, inUse bool
	}{{"binlog.000001", true, false}, {"binlog.000002", true, true}, {"nocrc.000001", false, false}} {
		data, _ := mysqlFile(c.checksum, c.inUse)
		p := filepath.Join(dir, c.name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

func TestMySQL8Synthesized(t *testing.T) {
	for _, c := range []struct{ checksum, inUse bool }{{true, false}, {true, true}, {false, false}} {
		data, gtids := mysqlFile(c.checksum, c.inUse)
		r, err := NewReader(bytes.NewReader(data), "mysql")
		if err != nil {
			t.Fatal(err)
		}
		var evs []Event
		for {
			ev, err := r.Next()
			if err != nil {
				if r.Truncated() != nil || err.Error() != "EOF" {
					t.Fatalf("%+v: %v", c, err)
				}
				break
			}
			evs = append(evs, ev)
		}
		f := r.FDE()
		if f.ServerVersion != "8.0.36" || f.Checksum() != c.checksum || f.InUse() != c.inUse || f.MariaDB() {
			t.Errorf("%+v: fde %+v", c, f)
		}
		if !slices.Equal(gtidsOf(evs), gtids) || gtids[0] != "3e11fa47-71ca-11e1-9e33-c80aa9429561:6" {
			t.Errorf("%+v: gtids %v want %v", c, gtidsOf(evs), gtids)
		}
		var starts, ends int
		for _, e := range evs {
			if e.MasterEnd != uint32(e.End) {
				t.Errorf("end_log_pos %d at %d-%d", e.MasterEnd, e.Offset, e.End)
			}
			if e.TxStart {
				starts++
			}
			if e.TxBoundary {
				ends++
			}
		}
		// DDL: GTID + query; inserts: GTID + BEGIN (both TxStart) ... XID.
		if starts != 1+2*4 || ends != 5 {
			t.Errorf("%+v: %d starts %d ends", c, starts, ends)
		}
		s, err := scan(mustReader(t, data), nil)
		if err != nil || s.PreviousGTIDs != "3e11fa47-71ca-11e1-9e33-c80aa9429561:1-5" || s.LastTxBoundary != s.LastComplete {
			t.Errorf("%+v: summary %+v %v", c, s, err)
		}
	}
}

func mustReader(t testing.TB, data []byte) *Reader {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "mem")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestMySQLExtract: a MySQL stream extracted from the middle keeps its
// checksum setting and GTIDs; a no-checksum segment after a CRC32 one is
// re-encoded with CRCs.
func TestMySQLExtract(t *testing.T) {
	paths := mysqlFixtures(t)
	evs, _ := readAll(t, paths[0])
	var from int64
	for _, e := range evs {
		if e.TxBoundary {
			from = e.End // after the DDL
			break
		}
	}
	var out bytes.Buffer
	st, err := Extract(&out, []Segment{{File: paths[0], From: from}, {File: paths[2]}})
	if err != nil {
		t.Fatal(err)
	}
	_, all := dataOf(t, out.Bytes())
	_, g1 := mysqlFile(true, false)
	_, g2 := mysqlFile(false, false)
	want := append(g1[1:], g2...)
	if !slices.Equal(gtidsOf(all), want) || st.Transactions != len(want) {
		t.Fatalf("gtids %v want %v (%+v)", gtidsOf(all), want, st)
	}
}
