// Package mysqlgen synthesizes small MySQL 8.0 binlog files byte by byte,
// with correct sizes, end_log_pos and CRC32 checksums. MySQL servers are not
// packaged on the build hosts, so these stand in for server-written MySQL
// files in tests: they are synthesized, not written by mysqld.
package mysqlgen

import (
	"encoding/binary"
	"hash/crc32"
	"strconv"
)

// Event type codes used here.
const (
	typeQuery         = 2
	typeRotate        = 4
	typeFDE           = 15
	typeXID           = 16
	typeTableMap      = 19
	typeWriteRowsV2   = 30
	typeGTID          = 33
	typeAnonymousGTID = 34
	typePreviousGTIDs = 35
)

var le = binary.LittleEndian

// Builder appends events to an in-memory binlog file.
type Builder struct {
	buf      []byte
	ServerID uint32
	ts       uint32
	checksum bool
	SID      [16]byte
	gno      uint64
	xid      uint64
	tableID  uint64
}

// New starts a file with the magic and a MySQL FDE for serverVersion
// (e.g. "8.0.36"). checksum selects binlog_checksum=CRC32.
func New(serverVersion string, serverID uint32, checksum bool) *Builder {
	b := &Builder{buf: []byte("\xfebin"), ServerID: serverID, ts: 1700000000, checksum: checksum, tableID: 90}
	copy(b.SID[:], "\x3e\x11\xfa\x47\x71\xca\x11\xe1\x9e\x33\xc8\x0a\xa9\x42\x95\x61")
	body := make([]byte, 0, 100)
	body = le.AppendUint16(body, 4)
	var ver [50]byte
	copy(ver[:], serverVersion)
	body = append(body, ver[:]...)
	body = le.AppendUint32(body, b.ts)
	body = append(body, 19)
	body = append(body, postHeaderLens()...)
	alg := byte(0)
	if checksum {
		alg = 1
	}
	body = append(body, alg)
	if !checksum {
		body = append(body, 0, 0, 0, 0) // a checksum-aware FDE always has the 4 bytes
	}
	b.event(typeFDE, 0, body, true)
	return b
}

// postHeaderLens is MySQL 8.0's table (41 event types).
func postHeaderLens() []byte {
	p := make([]byte, 41)
	set := map[int]byte{typeQuery: 13, typeRotate: 8, typeFDE: 98, typeTableMap: 8, 23: 8, 24: 8, 25: 8,
		typeWriteRowsV2: 10, 31: 10, 32: 10, typeGTID: 42, typeAnonymousGTID: 42, 29: 1, 39: 10, 40: 40}
	for t, n := range set {
		p[t-1] = n
	}
	return p
}

// event appends one event; fde events carry their own checksum handling.
func (b *Builder) event(typ byte, flags uint16, body []byte, fde bool) {
	size := 19 + len(body)
	if b.checksum {
		size += 4
	}
	off := len(b.buf)
	h := make([]byte, 19)
	le.PutUint32(h, b.ts)
	h[4] = typ
	le.PutUint32(h[5:], b.ServerID)
	le.PutUint32(h[9:], uint32(size))
	le.PutUint32(h[13:], uint32(off+size))
	le.PutUint16(h[17:], flags)
	b.buf = append(b.buf, h...)
	b.buf = append(b.buf, body...)
	if b.checksum {
		b.buf = le.AppendUint32(b.buf, crc32.ChecksumIEEE(b.buf[off:]))
	}
	b.ts++
}

// SetInUse sets LOG_EVENT_BINLOG_IN_USE_F in the FDE without changing its
// CRC, as mysqld does for an open binlog.
func (b *Builder) SetInUse() { b.buf[4+17] |= 1 }

// PreviousGTIDs writes a Previous_gtids event for SID:1-(n).
func (b *Builder) PreviousGTIDs(n uint64) {
	var body []byte
	if n == 0 {
		body = le.AppendUint64(body, 0)
	} else {
		body = le.AppendUint64(body, 1)
		body = append(body, b.SID[:]...)
		body = le.AppendUint64(body, 1)
		body = le.AppendUint64(body, 1)
		body = le.AppendUint64(body, n+1)
		b.gno = n
	}
	b.event(typePreviousGTIDs, 0, body, false)
}

func (b *Builder) gtid() string {
	b.gno++
	body := []byte{1}
	body = append(body, b.SID[:]...)
	body = le.AppendUint64(body, b.gno)
	body = append(body, 2)
	body = le.AppendUint64(body, b.gno-1) // last_committed
	body = le.AppendUint64(body, b.gno)   // sequence_number
	b.event(typeGTID, 0, body, false)
	return b.GTID(b.gno)
}

// GTID formats SID:gno like MySQL.
func (b *Builder) GTID(gno uint64) string {
	const hexd = "0123456789abcdef"
	var s []byte
	for i, c := range b.SID {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			s = append(s, '-')
		}
		s = append(s, hexd[c>>4], hexd[c&15])
	}
	return string(s) + ":" + strconv.FormatUint(gno, 10)
}

func (b *Builder) query(db, q string) {
	body := le.AppendUint32(nil, 7) // thread id
	body = le.AppendUint32(body, 0) // exec time
	body = append(body, byte(len(db)))
	body = le.AppendUint16(body, 0) // error code
	body = le.AppendUint16(body, 0) // status vars length
	body = append(body, db...)
	body = append(body, 0)
	body = append(body, q...)
	b.event(typeQuery, 0, body, false)
}

// DDL writes GTID + a DDL Query event and returns the GTID.
func (b *Builder) DDL(q string) string {
	g := b.gtid()
	b.query("test", q)
	return g
}

// Insert writes GTID, BEGIN, Table_map, Write_rows_v2 (rows rows of
// (INT, VARCHAR(20))) and XID, and returns the GTID.
func (b *Builder) Insert(rows int) string {
	g := b.gtid()
	b.query("test", "BEGIN")
	b.tableMap()
	b.writeRows(rows)
	b.xid++
	b.event(typeXID, 0, le.AppendUint64(nil, b.xid), false)
	return g
}

func (b *Builder) tableMap() {
	body := le.AppendUint64(nil, b.tableID)[:6]
	body = le.AppendUint16(body, 1)
	body = append(body, 4, 't', 'e', 's', 't', 0, 1, 't', 0)
	body = append(body, 2, 3, 15) // 2 columns: LONG, VARCHAR
	body = append(body, 2, 80, 0) // metadata: varchar max 80 bytes
	body = append(body, 0x02)     // null bitmap: v nullable
	b.event(typeTableMap, 0, body, false)
}

func (b *Builder) writeRows(rows int) {
	body := le.AppendUint64(nil, b.tableID)[:6]
	body = le.AppendUint16(body, 1) // STMT_END_F
	body = le.AppendUint16(body, 2) // extra data length (itself)
	body = append(body, 2, 0x03)    // 2 columns, all present
	for i := 0; i < rows; i++ {
		body = append(body, 0)
		body = le.AppendUint32(body, uint32(i))
		v := "row-" + strconv.Itoa(i)
		body = append(body, byte(len(v)))
		body = append(body, v...)
	}
	b.event(typeWriteRowsV2, 0, body, false)
}

// Rotate writes the closing Rotate event naming the next file.
func (b *Builder) Rotate(next string) {
	body := le.AppendUint64(nil, 4)
	body = append(body, next...)
	b.event(typeRotate, 0, body, false)
}

// Bytes returns the file so far.
func (b *Builder) Bytes() []byte { return b.buf }
