package repl

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// MariaGTID is one MariaDB global transaction ID, written
// "domain-server-seq" (e.g. "0-1-42").
type MariaGTID struct {
	Domain uint32
	Server uint32
	Seq    uint64
}

// ParseMariaGTID parses "domain-server-seq", ignoring surrounding whitespace.
func ParseMariaGTID(s string) (MariaGTID, error) {
	sc := &scanner{in: s, kind: KindMariaGTID}
	sc.skipSpace()
	g, err := sc.mariaGTID()
	if err != nil {
		return MariaGTID{}, err
	}
	sc.skipSpace()
	if !sc.eof() {
		return MariaGTID{}, sc.expected("end of input after the GTID")
	}
	return g, nil
}

// mariaGTID reads "domain-server-seq" at the current position.
func (sc *scanner) mariaGTID() (MariaGTID, error) {
	domain, err := sc.number("domain id", math.MaxUint32)
	if err != nil {
		return MariaGTID{}, err
	}
	if !sc.accept('-') {
		return MariaGTID{}, sc.expected(`"-" after the domain id`)
	}
	server, err := sc.number("server id", math.MaxUint32)
	if err != nil {
		return MariaGTID{}, err
	}
	if !sc.accept('-') {
		return MariaGTID{}, sc.expected(`"-" after the server id`)
	}
	seq, err := sc.number("sequence number", math.MaxUint64)
	if err != nil {
		return MariaGTID{}, err
	}
	return MariaGTID{Domain: uint32(domain), Server: uint32(server), Seq: seq}, nil
}

// String formats g as "domain-server-seq".
func (g MariaGTID) String() string {
	return strconv.FormatUint(uint64(g.Domain), 10) + "-" +
		strconv.FormatUint(uint64(g.Server), 10) + "-" +
		strconv.FormatUint(g.Seq, 10)
}

// MariaGTIDPos is a MariaDB replication position: at most one GTID per
// replication domain, as held by @@gtid_slave_pos, @@gtid_binlog_pos,
// @@gtid_current_pos and MASTER_GTID_POS(). The zero value is the empty
// position. A MariaGTIDPos is immutable except through Update, which never
// changes copies made earlier.
//
// Ordering follows MariaDB: within a domain, positions are ordered by
// sequence number alone; the server id only says which server wrote the
// transaction. Two positions with the same sequence number but different
// server ids in a domain hold different transactions, a sign of divergence,
// which Compare reports as not comparable.
type MariaGTIDPos struct {
	gtids []MariaGTID // sorted by domain, one per domain
}

// NewMariaGTIDPos returns the position made of gtids. When several share a
// domain, the last one wins, as with repeated Update calls.
func NewMariaGTIDPos(gtids ...MariaGTID) MariaGTIDPos {
	var p MariaGTIDPos
	for _, g := range gtids {
		p.Update(g)
	}
	return p
}

// ParseMariaGTIDPos parses a comma-separated GTID list such as
// "0-1-42,1-2-7". The empty string is the empty position. Whitespace and
// newlines around GTIDs and commas are ignored. Like MariaDB, it rejects two
// GTIDs in the same domain.
func ParseMariaGTIDPos(s string) (MariaGTIDPos, error) {
	sc := &scanner{in: s, kind: KindMariaGTIDPos}
	var p MariaGTIDPos
	if sc.skipSpace(); sc.eof() {
		return p, nil
	}
	for {
		start := sc.i
		g, err := sc.mariaGTID()
		if err != nil {
			return MariaGTIDPos{}, err
		}
		if prev, dup := p.Get(g.Domain); dup {
			return MariaGTIDPos{}, sc.errAt(start, "GTID %s repeats domain %d of GTID %s", g, g.Domain, prev)
		}
		p.Update(g)
		if sc.skipSpace(); sc.eof() {
			return p, nil
		}
		if !sc.accept(',') {
			return MariaGTIDPos{}, sc.expected(`"," or end of input after a GTID`)
		}
		sc.skipSpace()
	}
}

// String formats p canonically: GTIDs sorted by domain, joined by commas,
// "" for the empty position.
func (p MariaGTIDPos) String() string {
	parts := make([]string, len(p.gtids))
	for i, g := range p.gtids {
		parts[i] = g.String()
	}
	return strings.Join(parts, ",")
}

// Flavor returns FlavorMariaDB.
func (p MariaGTIDPos) Flavor() Flavor { return FlavorMariaDB }

// IsEmpty reports whether p holds no GTID.
func (p MariaGTIDPos) IsEmpty() bool { return len(p.gtids) == 0 }

// Len returns the number of domains in p.
func (p MariaGTIDPos) Len() int { return len(p.gtids) }

// Domains returns the domain ids of p in ascending order.
func (p MariaGTIDPos) Domains() []uint32 {
	ds := make([]uint32, len(p.gtids))
	for i, g := range p.gtids {
		ds[i] = g.Domain
	}
	return ds
}

// GTIDs returns the GTIDs of p sorted by domain.
func (p MariaGTIDPos) GTIDs() []MariaGTID { return slices.Clone(p.gtids) }

// Get returns the GTID of domain d, if p has one.
func (p MariaGTIDPos) Get(d uint32) (MariaGTID, bool) {
	i, ok := p.find(d)
	if !ok {
		return MariaGTID{}, false
	}
	return p.gtids[i], true
}

// find returns the index of domain d in p.gtids, or where it would go.
func (p MariaGTIDPos) find(d uint32) (int, bool) {
	return slices.BinarySearchFunc(p.gtids, d, func(g MariaGTID, d uint32) int {
		return cmpUint(uint64(g.Domain), uint64(d))
	})
}

// seq returns the sequence number of domain d, 0 when p lacks the domain.
func (p MariaGTIDPos) seq(d uint32) uint64 {
	g, _ := p.Get(d)
	return g.Seq
}

// Update sets the GTID of g's domain to g, as MariaDB does when it applies
// g. It does not check that the sequence number grows. Copies of p made
// before the call are not changed.
func (p *MariaGTIDPos) Update(g MariaGTID) {
	i, ok := p.find(g.Domain)
	next := slices.Clone(p.gtids)
	if ok {
		next[i] = g
	} else {
		next = slices.Insert(next, i, g)
	}
	p.gtids = next
}

// ContainsGTID reports whether the transaction g is at or before p: p has
// g's domain with a sequence number >= g.Seq. The server id is not
// compared, following MariaDB's ordering.
func (p MariaGTIDPos) ContainsGTID(g MariaGTID) bool {
	cur, ok := p.Get(g.Domain)
	return ok && cur.Seq >= g.Seq
}

// Covers reports whether, in every domain, p's sequence number is at least
// o's (a missing domain counts as 0). It ignores server ids; use Compare or
// Contains to also catch divergence.
func (p MariaGTIDPos) Covers(o MariaGTIDPos) bool {
	for _, g := range o.gtids {
		if p.seq(g.Domain) < g.Seq {
			return false
		}
	}
	return true
}

// Contains reports whether o is a MariaGTIDPos that p has reached without
// divergence: Compare returns cmp >= 0 and comparable. It returns false for
// a set of another flavor.
func (p MariaGTIDPos) Contains(o GTIDSet) bool {
	op, ok := asMariaPos(o)
	if !ok {
		return false
	}
	cmp, comparable := p.Compare(op)
	return comparable && cmp >= 0
}

// asMariaPos unwraps a GTIDSet holding a MariaGTIDPos.
func asMariaPos(s GTIDSet) (MariaGTIDPos, bool) {
	switch v := s.(type) {
	case MariaGTIDPos:
		return v, true
	case *MariaGTIDPos:
		if v != nil {
			return *v, true
		}
	}
	return MariaGTIDPos{}, false
}

// Compare compares p with o domain by domain, a missing domain counting as
// sequence number 0. cmp is +1 when p is ahead in some domain and behind in
// none, -1 when behind in some and ahead in none, 0 when every domain is
// equal. comparable is false, with cmp 0, when p is ahead in some domain
// and behind in another, or when some domain has the same sequence number
// with different server ids (see SameServerAs): the positions diverged.
func (p MariaGTIDPos) Compare(o MariaGTIDPos) (cmp int, comparable bool) {
	if !p.SameServerAs(o) {
		return 0, false
	}
	ahead, behind := false, false
	for _, d := range unionDomains(p, o) {
		switch cmpUint(p.seq(d), o.seq(d)) {
		case 1:
			ahead = true
		case -1:
			behind = true
		}
	}
	switch {
	case ahead && behind:
		return 0, false
	case ahead:
		return 1, true
	case behind:
		return -1, true
	}
	return 0, true
}

// SameServerAs reports whether every domain that p and o both hold at the
// same sequence number was written by the same server in both. A mismatch
// means two different transactions got the same GTID position: the servers
// diverged.
func (p MariaGTIDPos) SameServerAs(o MariaGTIDPos) bool {
	for _, g := range p.gtids {
		og, ok := o.Get(g.Domain)
		if ok && og.Seq == g.Seq && og.Server != g.Server {
			return false
		}
	}
	return true
}

// Equal reports whether p and o hold exactly the same GTIDs.
func (p MariaGTIDPos) Equal(o MariaGTIDPos) bool { return slices.Equal(p.gtids, o.gtids) }

// unionDomains returns the domains present in p or o, ascending.
func unionDomains(p, o MariaGTIDPos) []uint32 {
	ds := append(p.Domains(), o.Domains()...)
	slices.Sort(ds)
	return slices.Compact(ds)
}
