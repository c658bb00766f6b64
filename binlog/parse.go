package binlog

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
)

var le = binary.LittleEndian

// parseFDE decodes a Format_description event (raw = whole event).
func parseFDE(raw []byte, off int64) (FDE, bool) {
	const fixed = 2 + 50 + 4 + 1
	if len(raw) < HeaderLen+fixed {
		return FDE{}, false
	}
	body := raw[HeaderLen:]
	f := FDE{
		Offset:          off,
		ServerID:        le.Uint32(raw[5:]),
		MasterEnd:       le.Uint32(raw[13:]),
		Flags:           le.Uint16(raw[17:]),
		BinlogVersion:   le.Uint16(body),
		ServerVersion:   cString(body[2:52]),
		CreateTimestamp: le.Uint32(body[52:]),
		HeaderLength:    body[56],
		ChecksumAlg:     ChecksumUndefined,
	}
	post := body[fixed:]
	if checksumAware(f.ServerVersion) {
		if len(post) < 5 {
			return FDE{}, false
		}
		f.ChecksumAlg = post[len(post)-5]
		post = post[:len(post)-5]
	}
	f.postHeader = post
	return f, f.BinlogVersion == 4 && f.HeaderLength >= HeaderLen
}

func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// checksumAware reports whether a server of this version writes the checksum
// algorithm byte into its FDE: MySQL >= 5.6.1, MariaDB >= 5.3.
func checksumAware(v string) bool {
	maj, min, pat := versionTriple(v)
	if containsFold(v, "mariadb") && maj == 5 && min >= 3 {
		return true
	}
	n := maj*10000 + min*100 + pat
	return n >= 50601
}

func versionTriple(v string) (maj, min, pat int) {
	parts := [3]int{}
	i := 0
	for p := 0; p < 3; p++ {
		start := i
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i++
		}
		parts[p], _ = strconv.Atoi(v[start:i])
		if i >= len(v) || v[i] != '.' {
			break
		}
		i++
	}
	return parts[0], parts[1], parts[2]
}

// parseRotate decodes a Rotate body (without checksum): pos u64 + file name.
func parseRotate(body []byte) (uint64, string, bool) {
	if len(body) < 8 {
		return 0, "", false
	}
	return le.Uint64(body), string(body[8:]), true
}

// MariaDB GTID event flags (flags2).
const (
	mariaFlStandalone = 0x01
	mariaFlPreparedXA = 0x40
	mariaFlCompleteXA = 0x80
)

// mariaGTID formats a MariaDB GTID body (seq u64, domain u32, flags u8).
func mariaGTID(body []byte, serverID uint32) (gtid string, flags uint8, ok bool) {
	if len(body) < 13 {
		return "", 0, false
	}
	var b [64]byte
	s := strconv.AppendUint(b[:0], uint64(le.Uint32(body[8:])), 10)
	s = append(s, '-')
	s = strconv.AppendUint(s, uint64(serverID), 10)
	s = append(s, '-')
	s = strconv.AppendUint(s, le.Uint64(body), 10)
	return string(s), body[12], true
}

// mysqlGTID formats a MySQL GTID body (flags u8, sid [16], gno u64).
func mysqlGTID(body []byte) (string, bool) {
	if len(body) < 25 {
		return "", false
	}
	var b [64]byte
	s := appendUUID(b[:0], body[1:17])
	s = append(s, ':')
	s = strconv.AppendUint(s, le.Uint64(body[17:]), 10)
	return string(s), true
}

func appendUUID(dst, u []byte) []byte {
	var h [32]byte
	hex.Encode(h[:], u[:16])
	dst = append(dst, h[0:8]...)
	dst = append(dst, '-')
	dst = append(dst, h[8:12]...)
	dst = append(dst, '-')
	dst = append(dst, h[12:16]...)
	dst = append(dst, '-')
	dst = append(dst, h[16:20]...)
	dst = append(dst, '-')
	return append(dst, h[20:32]...)
}

// previousGTIDs renders a MySQL Previous_gtids body as a GTID set
// ("uuid:1-5:7,uuid:..."). Tagged (8.4) sets are not decoded: ok is false.
func previousGTIDs(body []byte) (string, bool) {
	if len(body) < 8 {
		return "", false
	}
	n := le.Uint64(body)
	if n > uint64(len(body)) {
		return "", false // tagged format or garbage
	}
	p := body[8:]
	var sb strings.Builder
	for i := uint64(0); i < n; i++ {
		if len(p) < 24 {
			return "", false
		}
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.Write(appendUUID(nil, p[:16]))
		k := le.Uint64(p[16:])
		p = p[24:]
		if k > uint64(len(p))/16 {
			return "", false
		}
		for j := uint64(0); j < k; j++ {
			start, end := le.Uint64(p), le.Uint64(p[8:])
			p = p[16:]
			sb.WriteByte(':')
			sb.WriteString(strconv.FormatUint(start, 10))
			if end-1 > start {
				sb.WriteByte('-')
				sb.WriteString(strconv.FormatUint(end-1, 10))
			}
		}
	}
	return sb.String(), true
}

// gtidList renders a MariaDB Gtid_list body as "d-s-n,d-s-n".
func gtidList(body []byte) (string, bool) {
	if len(body) < 4 {
		return "", false
	}
	n := int(le.Uint32(body) & 0x0fffffff)
	p := body[4:]
	if n > len(p)/16 {
		return "", false
	}
	parts := make([]string, 0, n)
	for i := 0; i < n; i++ {
		e := p[i*16:]
		parts = append(parts, strconv.FormatUint(uint64(le.Uint32(e)), 10)+"-"+
			strconv.FormatUint(uint64(le.Uint32(e[4:])), 10)+"-"+
			strconv.FormatUint(le.Uint64(e[8:]), 10))
	}
	return strings.Join(parts, ","), true
}

type queryKind uint8

const (
	qOther queryKind = iota
	qBegin
	qEnd    // COMMIT, ROLLBACK, XA PREPARE/COMMIT/ROLLBACK: ends a group
	qInside // XA END, SAVEPOINT: inside a group
	qUnreadable
)

// queryText returns the statement text of a Query body (checksum removed).
func queryText(body []byte, postLen int) ([]byte, bool) {
	if postLen < 13 || len(body) < postLen {
		return nil, false
	}
	dbLen := int(body[8])
	statusLen := int(le.Uint16(body[11:]))
	start := postLen + statusLen + dbLen + 1
	if start > len(body) {
		return nil, false
	}
	return body[start:], true
}

func classifyQuery(q []byte) queryKind {
	q = trimSpace(q)
	switch {
	case equalFold(q, "BEGIN"), hasPrefixFold(q, "XA START"), hasPrefixFold(q, "XA BEGIN"):
		return qBegin
	case equalFold(q, "COMMIT"), equalFold(q, "ROLLBACK"),
		hasPrefixFold(q, "XA PREPARE"), hasPrefixFold(q, "XA COMMIT"), hasPrefixFold(q, "XA ROLLBACK"):
		return qEnd
	case hasPrefixFold(q, "XA END"), hasPrefixFold(q, "SAVEPOINT"), hasPrefixFold(q, "ROLLBACK TO"):
		return qInside
	}
	return qOther
}

func trimSpace(q []byte) []byte {
	for len(q) > 0 && (q[0] == ' ' || q[0] == '\n' || q[0] == '\t' || q[0] == '\r') {
		q = q[1:]
	}
	for len(q) > 0 {
		c := q[len(q)-1]
		if c != ' ' && c != '\n' && c != '\t' && c != '\r' && c != ';' && c != 0 {
			break
		}
		q = q[:len(q)-1]
	}
	return q
}

func equalFold(b []byte, s string) bool { return len(b) == len(s) && hasPrefixFold(b, s) }

func hasPrefixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := b[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// gtidRaw keeps the bytes of a GTID event so that only the GTIDs somebody
// reports are formatted (a string per transaction is ~10% of a scan).
type gtidRaw struct {
	typ    EventType // 0: none
	server uint32
	b      [25]byte
}

// set stores a GTID event body; false when it is too short.
func (g *gtidRaw) set(t EventType, serverID uint32, body []byte) bool {
	need := 25
	if t == MariadbGTIDEvent {
		need = 13
	}
	if len(body) < need {
		return false
	}
	g.typ, g.server = t, serverID
	copy(g.b[:], body[:need])
	return true
}

func (g *gtidRaw) String() string {
	switch g.typ {
	case 0:
		return ""
	case MariadbGTIDEvent:
		s, _, _ := mariaGTID(g.b[:13], g.server)
		return s
	}
	s, _ := mysqlGTID(g.b[:])
	return s
}
