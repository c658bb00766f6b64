package repl

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// builder collects intervals per transaction source before normalising.
type builder map[tsid][]Interval

func (b builder) add(k tsid, ivs ...Interval) { b[k] = append(b[k], ivs...) }

// build returns the canonical set: sources sorted, intervals merged, empty
// sources dropped.
func (b builder) build() MySQLGTIDSet {
	keys := slices.SortedFunc(maps.Keys(b), cmpTSID)
	var s MySQLGTIDSet
	for _, k := range keys {
		if ivs := normalize(b[k]); len(ivs) > 0 {
			s.sets = append(s.sets, UUIDSet{UUID: k.uuid, Tag: k.tag, Intervals: ivs})
		}
	}
	return s
}

// normalize sorts ivs in place and merges overlapping and adjacent
// intervals ("1-5:6-9" becomes "1-9").
func normalize(ivs []Interval) []Interval {
	slices.SortFunc(ivs, func(a, b Interval) int { return cmpUint(a.Start, b.Start) })
	var out []Interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && iv.Start <= out[n-1].End+1 {
			out[n-1].End = max(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// NewMySQLGTIDSet builds a set from UUIDSets, which need not be canonical:
// UUIDs and tags may be in any case, intervals unsorted or overlapping.
// It returns a *ParseError for an invalid UUID, tag or interval.
func NewMySQLGTIDSet(sets ...UUIDSet) (MySQLGTIDSet, error) {
	b := builder{}
	for _, u := range sets {
		k, err := checkSource(u.UUID, u.Tag)
		if err != nil {
			return MySQLGTIDSet{}, err
		}
		for _, iv := range u.Intervals {
			if iv.Start < 1 || iv.End < iv.Start || iv.End > MaxGNO {
				return MySQLGTIDSet{}, &ParseError{Kind: KindMySQLGTIDSet, Input: u.String(),
					Msg: fmt.Sprintf("invalid interval %d-%d: need 1 <= start <= end <= %d", iv.Start, iv.End, uint64(MaxGNO))}
			}
		}
		b.add(k, u.Intervals...)
	}
	return b.build(), nil
}

// checkSource validates and canonicalises a UUID and tag.
func checkSource(uuid, tag string) (tsid, error) {
	u, ok := canonicalUUID(uuid)
	if !ok {
		return tsid{}, &ParseError{Kind: KindMySQLGTIDSet, Input: uuid, Msg: fmt.Sprintf("invalid UUID %q", uuid)}
	}
	t, ok := canonicalTag(tag)
	if !ok {
		return tsid{}, &ParseError{Kind: KindMySQLGTIDSet, Input: tag, Msg: fmt.Sprintf("invalid tag %q", tag)}
	}
	return tsid{u, t}, nil
}

// String formats s canonically, as MySQL does: sources sorted by UUID,
// untagged intervals before tagged ones, tags sorted, "" for the empty set.
// MySQL puts a newline after each comma; String does not.
func (s MySQLGTIDSet) String() string {
	var b strings.Builder
	for i, u := range s.sets {
		if i == 0 || u.UUID != s.sets[i-1].UUID {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(u.UUID)
		}
		u.writeTail(&b)
	}
	return b.String()
}

// UUIDSets returns the sources of s in canonical order, as copies.
func (s MySQLGTIDSet) UUIDSets() []UUIDSet {
	out := make([]UUIDSet, len(s.sets))
	for i, u := range s.sets {
		out[i] = UUIDSet{UUID: u.UUID, Tag: u.Tag, Intervals: slices.Clone(u.Intervals)}
	}
	return out
}

// Flavor returns FlavorMySQL.
func (s MySQLGTIDSet) Flavor() Flavor { return FlavorMySQL }

// IsEmpty reports whether s holds no GTID.
func (s MySQLGTIDSet) IsEmpty() bool { return len(s.sets) == 0 }

// Count returns the number of GTIDs in s, saturating at MaxUint64.
func (s MySQLGTIDSet) Count() uint64 {
	var n uint64
	for _, u := range s.sets {
		n = addSat(n, u.Count())
	}
	return n
}

// find returns the intervals of source k, nil if s lacks it.
func (s MySQLGTIDSet) find(k tsid) []Interval {
	i, ok := slices.BinarySearchFunc(s.sets, k, func(u UUIDSet, k tsid) int { return cmpTSID(u.key(), k) })
	if !ok {
		return nil
	}
	return s.sets[i].Intervals
}

// Contains reports whether o is a MySQL GTID set and every GTID of o is in
// s (s is a superset of o). It returns false for a set of another flavor.
func (s MySQLGTIDSet) Contains(o GTIDSet) bool {
	os, ok := asMySQLSet(o)
	if !ok {
		return false
	}
	for _, u := range os.sets {
		if !containsIntervals(s.find(u.key()), u.Intervals) {
			return false
		}
	}
	return true
}

// asMySQLSet unwraps a GTIDSet holding a MySQLGTIDSet.
func asMySQLSet(o GTIDSet) (MySQLGTIDSet, bool) {
	switch v := o.(type) {
	case MySQLGTIDSet:
		return v, true
	case *MySQLGTIDSet:
		if v != nil {
			return *v, true
		}
	}
	return MySQLGTIDSet{}, false
}

// ContainsGTID reports whether s holds the GTID uuid[:tag]:n. UUID and tag
// are case-insensitive.
func (s MySQLGTIDSet) ContainsGTID(uuid, tag string, n uint64) bool {
	k, err := checkSource(uuid, tag)
	return err == nil && containsIntervals(s.find(k), []Interval{{n, n}})
}

// Equal reports whether s and o hold the same GTIDs.
func (s MySQLGTIDSet) Equal(o MySQLGTIDSet) bool {
	return slices.EqualFunc(s.sets, o.sets, func(a, b UUIDSet) bool {
		return a.key() == b.key() && slices.Equal(a.Intervals, b.Intervals)
	})
}

// Union returns the GTIDs in s or o.
func (s MySQLGTIDSet) Union(o MySQLGTIDSet) MySQLGTIDSet {
	b := builder{}
	for _, u := range append(slices.Clip(s.sets), o.sets...) {
		b.add(u.key(), u.Intervals...)
	}
	return b.build()
}

// Subtract returns the GTIDs of s that o lacks. With s a replica's
// executed set and o the master's, the result is the replica's errant
// transactions.
func (s MySQLGTIDSet) Subtract(o MySQLGTIDSet) MySQLGTIDSet {
	var out MySQLGTIDSet
	for _, u := range s.sets {
		ivs := subtractIntervals(u.Intervals, o.find(u.key()))
		if len(ivs) > 0 {
			out.sets = append(out.sets, UUIDSet{UUID: u.UUID, Tag: u.Tag, Intervals: ivs})
		}
	}
	return out
}

// Add adds the GTID uuid[:tag]:n to s. UUID and tag are case-insensitive;
// tag "" means untagged. It returns a *ParseError for an invalid UUID, tag
// or number, leaving s unchanged.
func (s *MySQLGTIDSet) Add(uuid, tag string, n uint64) error {
	one, err := NewMySQLGTIDSet(UUIDSet{UUID: uuid, Tag: tag, Intervals: []Interval{{n, n}}})
	if err != nil {
		return err
	}
	*s = s.Union(one)
	return nil
}

// containsIntervals reports whether normalised a includes all of b.
func containsIntervals(a, b []Interval) bool {
	i := 0
	for _, iv := range b {
		for i < len(a) && a[i].End < iv.Start {
			i++
		}
		if i == len(a) || a[i].Start > iv.Start || a[i].End < iv.End {
			return false
		}
	}
	return true
}

// subtractIntervals returns normalised a minus normalised b.
func subtractIntervals(a, b []Interval) []Interval {
	var out []Interval
	j := 0
	for _, iv := range a {
		for j < len(b) && b[j].End < iv.Start {
			j++
		}
		start, covered := iv.Start, false
		for k := j; k < len(b) && b[k].Start <= iv.End; k++ {
			if b[k].Start > start {
				out = append(out, Interval{start, b[k].Start - 1})
			}
			if b[k].End >= iv.End {
				covered = true
				break
			}
			start = b[k].End + 1
		}
		if !covered {
			out = append(out, Interval{start, iv.End})
		}
	}
	return out
}

// countIntervals sums the sizes of ivs, saturating at MaxUint64.
func countIntervals(ivs []Interval) uint64 {
	var n uint64
	for _, iv := range ivs {
		n = addSat(n, iv.count())
	}
	return n
}

func addSat(a, b uint64) uint64 {
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}
