package binlog

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"
)

// fixtureEvents returns the fixture's events as evb bytes, with their types.
func fixtureEvents(t *testing.T, path string) (data []byte, evs []Event) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	evs, _ = readAll(t, path)
	return data, evs
}

// queryLike rewrites the Query event q to carry text, with a fresh size
// and CRC32.
func queryLike(q []byte, text string) []byte {
	body := q[HeaderLen : len(q)-4]
	statusLen := int(binary.LittleEndian.Uint16(body[11:13]))
	dbLen := int(body[8])
	ev := append(append([]byte{}, q[:HeaderLen]...), body[:13+statusLen+dbLen+1]...)
	ev = append(ev, text...)
	ev = append(ev, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(ev[9:], uint32(len(ev)))
	binary.LittleEndian.PutUint32(ev[len(ev)-4:], crc32.ChecksumIEEE(ev[:len(ev)-4]))
	return ev
}

// TestSkipStatementTransactionAcrossFiles: in statement format a
// transaction's statements are Query events. When a replica read the
// head of one (its GTID event) and the latest replica's diff holds the
// rest, the two diff files are one transaction; the second file's own
// format description must not end it, or its statements would look
// standalone: an executed transaction would be half replayed (a duplicate
// key on resume), an unexecuted one applied without its GTID.
func TestSkipStatementTransactionAcrossFiles(t *testing.T) {
	var fde, gtid, query, xid []byte
	for _, f := range []string{"master-bin.000001", "master-bin.000002"} {
		data, evs := fixtureEvents(t, filepath.Join(fixDir, f))
		for _, e := range evs {
			evb := data[e.Offset:e.End]
			switch {
			case e.Type == FormatDescriptionEvent && fde == nil:
				fde = evb
			case e.Type == MariadbGTIDEvent && gtid == nil && evb[HeaderLen+12]&mariaFlStandalone == 0:
				gtid = evb
			case e.Type == QueryEvent && query == nil:
				query = evb
			case e.Type == XIDEvent && xid == nil:
				xid = evb
			}
		}
	}
	if fde == nil || gtid == nil || query == nil || xid == nil {
		t.Fatal("fixture lacks an FDE, a transactional GTID event, a Query event or an XID event")
	}
	dir := t.TempDir()
	write := func(name string, events ...[]byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, bytes.Join(append([][]byte{[]byte(Magic), fde}, events...), nil), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := write("exec.binlog", gtid)
	tail := write("read.binlog", queryLike(query, "INSERT INTO t VALUES (1)"), queryLike(query, "INSERT INTO t VALUES (2)"), xid)
	for _, c := range []struct {
		name     string
		executed bool
		events   int
	}{
		{"executed: left out whole", true, 0},
		{"not executed: written whole, GTID first", false, 4},
	} {
		var out bytes.Buffer
		st, err := Extract(&out, []Segment{{File: head}, {File: tail}}, SkipTransactions(func(string) bool { return c.executed }))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if st.Events != c.events || st.Transactions != c.events/4 {
			t.Errorf("%s: %d events, %d transactions (skipped %d); want %d events", c.name, st.Events, st.Transactions, st.Skipped, c.events)
		}
	}
}
