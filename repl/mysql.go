package repl

import (
	"cmp"
	"math"
	"strconv"
	"strings"
)

// MaxGNO is the largest transaction number MySQL accepts in a GTID.
const MaxGNO = math.MaxInt64 - 1

// maxTagLen is the longest tag MySQL 8.4 accepts.
const maxTagLen = 32

// Interval is a closed range [Start, End] of transaction numbers, with
// 1 <= Start <= End <= MaxGNO.
type Interval struct {
	Start, End uint64
}

// String formats iv as MySQL does: "7" for a single number, "1-5" otherwise.
func (iv Interval) String() string {
	if iv.Start == iv.End {
		return strconv.FormatUint(iv.Start, 10)
	}
	return strconv.FormatUint(iv.Start, 10) + "-" + strconv.FormatUint(iv.End, 10)
}

// count returns the number of transactions in iv.
func (iv Interval) count() uint64 { return iv.End - iv.Start + 1 }

// UUIDSet is the part of a MySQL GTID set that belongs to one transaction
// source: a server UUID plus, since MySQL 8.4, an optional tag. In a value
// returned by this package UUID and Tag are lower-case and Intervals are
// sorted, disjoint and not adjacent.
type UUIDSet struct {
	UUID      string
	Tag       string // "" for untagged GTIDs
	Intervals []Interval
}

// String formats u as "uuid:1-5:7" or, when tagged, "uuid:tag:1-5:7".
func (u UUIDSet) String() string {
	var b strings.Builder
	b.WriteString(u.UUID)
	u.writeTail(&b)
	return b.String()
}

// writeTail writes u's ":tag" and ":interval" parts.
func (u UUIDSet) writeTail(b *strings.Builder) {
	if u.Tag != "" {
		b.WriteString(":" + u.Tag)
	}
	for _, iv := range u.Intervals {
		b.WriteString(":" + iv.String())
	}
}

// Count returns the number of transactions in u, saturating at MaxUint64.
func (u UUIDSet) Count() uint64 { return countIntervals(u.Intervals) }

// tsid identifies a transaction source: UUID and tag, both canonical.
type tsid struct{ uuid, tag string }

func (u UUIDSet) key() tsid { return tsid{u.UUID, u.Tag} }

func cmpTSID(a, b tsid) int {
	return cmp.Or(strings.Compare(a.uuid, b.uuid), strings.Compare(a.tag, b.tag))
}

// MySQLGTIDSet is a MySQL GTID set such as
// "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:11-18,uuid2:1-27", including
// MySQL 8.4 tagged GTIDs ("uuid:tag:1-5"). The zero value is the empty set.
// Values are immutable except through Add, which never changes copies made
// earlier.
type MySQLGTIDSet struct {
	sets []UUIDSet // sorted by (UUID, Tag); no empty Intervals
}

// ParseMySQLGTIDSet parses a GTID set as MySQL prints it in @@gtid_executed,
// SHOW REPLICA STATUS or the binlog. UUIDs and tags are case-insensitive;
// whitespace and newlines between tokens are ignored, as are empty elements
// between commas; intervals may overlap and come in any order. A UUID or a
// tag not followed by any interval adds nothing, as in MySQL. The empty
// string is the empty set.
func ParseMySQLGTIDSet(s string) (MySQLGTIDSet, error) {
	sc := &scanner{in: s, kind: KindMySQLGTIDSet}
	b := builder{}
	for {
		sc.skipSpace()
		if sc.eof() {
			return b.build(), nil
		}
		if sc.accept(',') {
			continue
		}
		if err := sc.uuidSet(b); err != nil {
			return MySQLGTIDSet{}, err
		}
		if sc.skipSpace(); !sc.eof() && sc.peek() != ',' {
			return MySQLGTIDSet{}, sc.expected(`":", "," or end of input`)
		}
	}
}

// uuidSet reads "uuid(:tag|:interval)*" at the current position into b.
func (sc *scanner) uuidSet(b builder) error {
	uuid, err := sc.uuid()
	if err != nil {
		return err
	}
	key := tsid{uuid: uuid}
	for {
		if sc.skipSpace(); !sc.accept(':') {
			return nil
		}
		sc.skipSpace()
		if isTagStart(sc.peek()) {
			if key.tag, err = sc.tag(); err != nil {
				return err
			}
			continue
		}
		iv, err := sc.interval()
		if err != nil {
			return err
		}
		b.add(key, iv)
	}
}

// uuid reads a 36-character UUID at the current position.
func (sc *scanner) uuid() (string, error) {
	end := min(sc.i+36, len(sc.in))
	u, ok := canonicalUUID(sc.in[sc.i:end])
	if !ok {
		return "", sc.expected("UUID")
	}
	sc.i = end
	return u, nil
}

// tag reads a GTID tag at the current position.
func (sc *scanner) tag() (string, error) {
	start := sc.i
	for !sc.eof() && isTagChar(sc.peek()) {
		sc.i++
	}
	if sc.i-start > maxTagLen {
		return "", sc.errAt(start, "tag %q is longer than %d characters", sc.in[start:sc.i], maxTagLen)
	}
	return strings.ToLower(sc.in[start:sc.i]), nil
}

// interval reads "N" or "N-M" at the current position.
func (sc *scanner) interval() (Interval, error) {
	if !isDigit(sc.peek()) {
		return Interval{}, sc.expected("transaction number or tag")
	}
	start := sc.i
	first, err := sc.number("transaction number", MaxGNO)
	if err != nil {
		return Interval{}, err
	}
	if first == 0 {
		return Interval{}, sc.errAt(start, "transaction number 0 is not allowed, numbers start at 1")
	}
	iv := Interval{first, first}
	if sc.skipSpace(); !sc.accept('-') {
		return iv, nil
	}
	sc.skipSpace()
	if iv.End, err = sc.number("end of interval", MaxGNO); err != nil {
		return Interval{}, err
	}
	if iv.End < iv.Start {
		return Interval{}, sc.errAt(start, "interval %d-%d ends before it starts", iv.Start, iv.End)
	}
	return iv, nil
}

func isTagStart(c byte) bool {
	return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z')
}

func isTagChar(c byte) bool { return isTagStart(c) || isDigit(c) }

// canonicalUUID validates a dashed UUID and returns it in lower case.
func canonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !isDigit(c) && !(c|0x20 >= 'a' && c|0x20 <= 'f') {
				return "", false
			}
		}
	}
	return strings.ToLower(s), true
}

// canonicalTag validates a GTID tag ("" meaning untagged) and returns it in
// lower case.
func canonicalTag(s string) (string, bool) {
	if len(s) > maxTagLen || (s != "" && !isTagStart(s[0])) {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if !isTagChar(s[i]) {
			return "", false
		}
	}
	return strings.ToLower(s), true
}
