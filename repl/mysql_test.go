package repl

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const (
	uuidA = "3e11fa47-71ca-11e1-9e33-c80aa9429562"
	uuidB = "b7e8c3d1-0000-11ef-8000-0242ac120002"
	uuidC = "ffffffff-ffff-ffff-ffff-ffffffffffff"
)

func gset(t *testing.T, s string) MySQLGTIDSet {
	t.Helper()
	set, err := ParseMySQLGTIDSet(s)
	if err != nil {
		t.Fatalf("ParseMySQLGTIDSet(%q): %v", s, err)
	}
	return set
}

func TestParseMySQLGTIDSet(t *testing.T) {
	upperA := strings.ToUpper(uuidA)
	tests := []struct {
		name, in, want string
		count          uint64
	}{
		{"empty", "", "", 0},
		{"blank", " \n\t ", "", 0},
		{"commas only", " , ,, ", "", 0},
		{"single", uuidA + ":7", uuidA + ":7", 1},
		{"mysql docs", upperA + ":1-5:11-18", uuidA + ":1-5:11-18", 13},
		{"adjacent merge", uuidA + ":1-5:6-9", uuidA + ":1-9", 9},
		{"adjacent singles", uuidA + ":1:2:3:5", uuidA + ":1-3:5", 4},
		{"overlap", uuidA + ":1-5:3-7", uuidA + ":1-7", 7},
		{"contained", uuidA + ":1-10:3-4", uuidA + ":1-10", 10},
		{"unsorted", uuidA + ":11-18:1-5", uuidA + ":1-5:11-18", 13},
		{"duplicates", uuidA + ":1-5:1-5:3", uuidA + ":1-5", 5},
		{"degenerate interval", uuidA + ":4-4", uuidA + ":4", 1},
		{"uuids sorted", uuidB + ":1-27," + uuidA + ":1-5", uuidA + ":1-5," + uuidB + ":1-27", 32},
		{"uuid repeated", uuidA + ":1-3," + uuidB + ":1," + upperA + ":4-6", uuidA + ":1-6," + uuidB + ":1", 7},
		{"mysql newlines", uuidA + ":1-5,\n" + uuidB + ":1-27", uuidA + ":1-5," + uuidB + ":1-27", 32},
		{"whitespace everywhere", "\n " + uuidA + " : 1 - 5 : 7 ,\r\n " + uuidB + " :2\n", uuidA + ":1-5:7," + uuidB + ":2", 7},
		{"trailing comma", uuidA + ":1-5,", uuidA + ":1-5", 5},
		{"bare uuid", uuidA, "", 0},
		{"bare uuid and set", uuidA + "," + uuidB + ":3", uuidB + ":3", 1},
		{"max gno", uuidA + ":9223372036854775806", uuidA + ":9223372036854775806", 1},
		{"full range", uuidA + ":1-9223372036854775806", uuidA + ":1-9223372036854775806", MaxGNO},
		{"tagged", uuidA + ":tag1:1-5", uuidA + ":tag1:1-5", 5},
		{"tag lowercased", uuidA + ":Blue_Team:1-5", uuidA + ":blue_team:1-5", 5},
		{"tag underscore start", uuidA + ":_x9:3", uuidA + ":_x9:3", 1},
		{"untagged then tagged", uuidA + ":1-5:aa:1-3", uuidA + ":1-5:aa:1-3", 8},
		{"tagged before untagged", uuidA + ":bb:1-3," + uuidA + ":1-2", uuidA + ":1-2:bb:1-3", 5},
		{"tags sorted", uuidA + ":zz:1:aa:2:1", uuidA + ":aa:1-2:zz:1", 3},
		{"untagged sorts first", uuidA + ":zz:1," + uuidA + ":aa:2," + uuidA + ":1", uuidA + ":1:aa:2:zz:1", 3},
		{"same tag twice", uuidA + ":t:1-2:u:7:T:3-4", uuidA + ":t:1-4:u:7", 5},
		{"tag without interval", uuidA + ":1:t", uuidA + ":1", 1},
		{"32 char tag", uuidA + ":" + strings.Repeat("a", 32) + ":1", uuidA + ":" + strings.Repeat("a", 32) + ":1", 1},
		{"three sources", uuidC + ":1," + uuidB + ":t:1," + uuidA + ":1", uuidA + ":1," + uuidB + ":t:1," + uuidC + ":1", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := gset(t, tt.in)
			if got := s.String(); got != tt.want {
				t.Errorf("String() = %q\nwant        %q", got, tt.want)
			}
			if got := s.Count(); got != tt.count {
				t.Errorf("Count() = %d, want %d", got, tt.count)
			}
			if s.IsEmpty() != (tt.want == "") {
				t.Errorf("IsEmpty() = %v", s.IsEmpty())
			}
		})
	}
}

func TestParseMySQLGTIDSetErrors(t *testing.T) {
	tests := []struct {
		name, in string
		pos      int
		msg      string
	}{
		{"garbage", "hello", 0, `expected UUID, found "hello"`},
		{"short uuid", "3e11fa47-71ca-11e1-9e33-c80aa942956:1", 0, "expected UUID"},
		{"bad hex", "3e11fa47-71ca-11e1-9e33-c80aa942956g:1", 0, "expected UUID"},
		{"no dashes", "3e11fa4771ca11e19e33c80aa9429562abcd:1", 0, "expected UUID"},
		{"long uuid", uuidA + "0:1", 36, `expected ":", "," or end of input, found "0:1"`},
		{"zero", uuidA + ":0", 37, "transaction number 0 is not allowed"},
		{"zero start", uuidA + ":0-5", 37, "transaction number 0"},
		{"reversed", uuidA + ":5-3", 37, "interval 5-3 ends before it starts"},
		{"open end", uuidA + ":1-", 39, "expected end of interval, found end of input"},
		{"negative", uuidA + ":-5", 37, `expected transaction number or tag, found "-5"`},
		{"empty interval", uuidA + "::1", 37, "expected transaction number or tag"},
		{"colon at end", uuidA + ":", 37, "expected transaction number or tag, found end of input"},
		{"too big", uuidA + ":9223372036854775807", 37, "larger than 9223372036854775806"},
		{"too big end", uuidA + ":1-99999999999999999999", 39, "end of interval"},
		{"junk after number", uuidA + ":1a", 38, `expected ":", "," or end of input, found "a"`},
		{"junk after set", uuidA + ":1-5 x", 41, `found "x"`},
		{"semicolon", uuidA + ":1;" + uuidB + ":1", 38, `found ";`},
		{"tag too long", uuidA + ":" + strings.Repeat("a", 33) + ":1", 37, "longer than 32 characters"},
		{"tag then junk", uuidA + ":tag-1:1", 40, `found "-1:1"`},
		{"second uuid bad", uuidA + ":1,xyz", 39, `expected UUID, found "xyz"`},
		{"mariadb text", "0-1-42", 0, "expected UUID"},
		{"plus prefix", "+" + uuidA + ":1", 0, "expected UUID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseMySQLGTIDSet(tt.in)
			if err == nil {
				t.Fatalf("parsed to %q, want error", s)
			}
			wantParseError(t, err, KindMySQLGTIDSet, tt.pos, tt.msg)
		})
	}
}

func TestMySQLGTIDSetContainsSubtractUnion(t *testing.T) {
	tests := []struct {
		name, a, b string
		aContainsB bool
		bContainsA bool
		aMinusB    string
		union      string
	}{
		{"both empty", "", "", true, true, "", ""},
		{"empty b", uuidA + ":1-5", "", true, false, uuidA + ":1-5", uuidA + ":1-5"},
		{"equal", uuidA + ":1-5", uuidA + ":1-3:4-5", true, true, "", uuidA + ":1-5"},
		{"superset", uuidA + ":1-10", uuidA + ":2-4:7", true, false, uuidA + ":1:5-6:8-10", uuidA + ":1-10"},
		{"gap", uuidA + ":1-3:5-7", uuidA + ":3-5", false, false, uuidA + ":1-2:6-7", uuidA + ":1-7"},
		{"spans two", uuidA + ":1-3:5-9", uuidA + ":2-6", false, false, uuidA + ":1:7-9", uuidA + ":1-9"},
		{"errant uuid", uuidA + ":1-100," + uuidB + ":1-2", uuidA + ":1-100", true, false, uuidB + ":1-2", uuidA + ":1-100," + uuidB + ":1-2"},
		{"errant transaction", uuidA + ":1-101", uuidA + ":1-100," + uuidB + ":1-9", false, false, uuidA + ":101", uuidA + ":1-101," + uuidB + ":1-9"},
		{"disjoint uuids", uuidA + ":1", uuidB + ":1", false, false, uuidA + ":1", uuidA + ":1," + uuidB + ":1"},
		{"tag differs", uuidA + ":1-5", uuidA + ":t:1-5", false, false, uuidA + ":1-5", uuidA + ":1-5:t:1-5"},
		{"tagged subset", uuidA + ":1-5:t:1-9", uuidA + ":t:2-3", true, false, uuidA + ":1-5:t:1:4-9", uuidA + ":1-5:t:1-9"},
		{"b covers a", uuidA + ":5-6", uuidA + ":1-9", false, true, "", uuidA + ":1-9"},
		{"edge ends", uuidA + ":1-9223372036854775806", uuidA + ":9223372036854775806", true, false, uuidA + ":1-9223372036854775805", uuidA + ":1-9223372036854775806"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := gset(t, tt.a), gset(t, tt.b)
			if got := a.Contains(b); got != tt.aContainsB {
				t.Errorf("a.Contains(b) = %v", got)
			}
			if got := b.Contains(a); got != tt.bContainsA {
				t.Errorf("b.Contains(a) = %v", got)
			}
			if got := a.Contains(&b); got != tt.aContainsB {
				t.Errorf("a.Contains(&b) = %v", got)
			}
			if got := a.Subtract(b).String(); got != tt.aMinusB {
				t.Errorf("a.Subtract(b) = %q, want %q", got, tt.aMinusB)
			}
			for _, u := range []MySQLGTIDSet{a.Union(b), b.Union(a)} {
				if got := u.String(); got != tt.union {
					t.Errorf("Union = %q, want %q", got, tt.union)
				}
			}
			if got := a.Equal(b); got != (tt.aContainsB && tt.bContainsA) {
				t.Errorf("Equal = %v", got)
			}
		})
	}
}

func TestMySQLGTIDSetContainsOtherFlavor(t *testing.T) {
	s := gset(t, "")
	var nilSet *MySQLGTIDSet
	for _, o := range []GTIDSet{MariaGTIDPos{}, &MariaGTIDPos{}, nil, nilSet} {
		if s.Contains(o) {
			t.Errorf("Contains(%T) = true", o)
		}
	}
	if s.Flavor() != FlavorMySQL {
		t.Errorf("Flavor() = %v", s.Flavor())
	}
}

func TestMySQLGTIDSetAdd(t *testing.T) {
	var s MySQLGTIDSet
	steps := []struct {
		uuid, tag string
		n         uint64
		want      string
	}{
		{uuidB, "", 5, uuidB + ":5"},
		{uuidB, "", 6, uuidB + ":5-6"},
		{uuidB, "", 4, uuidB + ":4-6"},
		{uuidB, "", 5, uuidB + ":4-6"},
		{uuidB, "", 9, uuidB + ":4-6:9"},
		{strings.ToUpper(uuidA), "", 1, uuidA + ":1," + uuidB + ":4-6:9"},
		{uuidA, "Tag", 3, uuidA + ":1:tag:3," + uuidB + ":4-6:9"},
		{uuidB, "", 7, uuidA + ":1:tag:3," + uuidB + ":4-7:9"},
		{uuidB, "", 8, uuidA + ":1:tag:3," + uuidB + ":4-9"},
	}
	snapshots := []MySQLGTIDSet{}
	for _, st := range steps {
		if err := s.Add(st.uuid, st.tag, st.n); err != nil {
			t.Fatalf("Add(%s, %q, %d): %v", st.uuid, st.tag, st.n, err)
		}
		if got := s.String(); got != st.want {
			t.Fatalf("after Add(%s, %q, %d): %q, want %q", st.uuid, st.tag, st.n, got, st.want)
		}
		snapshots = append(snapshots, s)
	}
	for i, snap := range snapshots {
		if got := snap.String(); got != steps[i].want {
			t.Errorf("snapshot %d changed by later Add: %q", i, got)
		}
	}
	if !s.ContainsGTID(strings.ToUpper(uuidA), "TAG", 3) || s.ContainsGTID(uuidA, "", 3) || s.ContainsGTID("bad", "", 1) {
		t.Error("ContainsGTID is wrong")
	}
}

func TestMySQLGTIDSetAddErrors(t *testing.T) {
	tests := []struct {
		uuid, tag string
		n         uint64
		msg       string
	}{
		{"not-a-uuid", "", 1, `invalid UUID "not-a-uuid"`},
		{uuidA, "9lives", 1, `invalid tag "9lives"`},
		{uuidA, "has-dash", 1, "invalid tag"},
		{uuidA, strings.Repeat("x", 33), 1, "invalid tag"},
		{uuidA, "", 0, "invalid interval 0-0"},
		{uuidA, "", MaxGNO + 1, "invalid interval"},
	}
	for _, tt := range tests {
		s := gset(t, uuidA+":1")
		err := s.Add(tt.uuid, tt.tag, tt.n)
		wantParseError(t, err, KindMySQLGTIDSet, -1, tt.msg)
		if s.String() != uuidA+":1" {
			t.Errorf("failed Add changed the set to %q", s)
		}
	}
}

func TestNewMySQLGTIDSet(t *testing.T) {
	s, err := NewMySQLGTIDSet(
		UUIDSet{UUID: strings.ToUpper(uuidB), Intervals: []Interval{{7, 9}, {1, 3}, {4, 4}}},
		UUIDSet{UUID: uuidA, Tag: "X", Intervals: []Interval{{2, 2}}},
		UUIDSet{UUID: uuidA},
	)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := s.String(), uuidA+":x:2,"+uuidB+":1-4:7-9"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	sets := s.UUIDSets()
	want := []UUIDSet{
		{UUID: uuidA, Tag: "x", Intervals: []Interval{{2, 2}}},
		{UUID: uuidB, Intervals: []Interval{{1, 4}, {7, 9}}},
	}
	if !slices.EqualFunc(sets, want, func(a, b UUIDSet) bool { return a.String() == b.String() }) {
		t.Errorf("UUIDSets() = %v", sets)
	}
	sets[1].Intervals[0].End = 100
	if s.String() != uuidA+":x:2,"+uuidB+":1-4:7-9" {
		t.Errorf("UUIDSets() aliases the set")
	}
	if got := want[1].String(); got != uuidB+":1-4:7-9" {
		t.Errorf("UUIDSet.String() = %q", got)
	}
	if got := want[1].Count(); got != 7 {
		t.Errorf("UUIDSet.Count() = %d", got)
	}
	if _, err := NewMySQLGTIDSet(UUIDSet{UUID: uuidA, Intervals: []Interval{{5, 4}}}); err == nil {
		t.Error("reversed interval accepted")
	}
}

func TestMySQLGTIDSetCountSaturates(t *testing.T) {
	full := ":1-" + strconv.FormatUint(MaxGNO, 10)
	s := gset(t, uuidA+full+","+uuidB+full+","+uuidC+full)
	if got := s.Count(); got != math.MaxUint64 {
		t.Errorf("Count() = %d, want saturation at MaxUint64", got)
	}
}

// TestIntervalOpsAgainstModel compares the interval algebra with a bitmap
// model on random small sets.
func TestIntervalOpsAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const width = 40
	for range 3000 {
		a, am := randomSet(rng, width)
		b, bm := randomSet(rng, width)
		diff, union, contains := uint64(0), am|bm, am&bm == bm
		diff = am &^ bm
		if got := modelOf(t, a.Subtract(b), width); got != diff {
			t.Fatalf("%v minus %v = %v; model %b", a, b, a.Subtract(b), diff)
		}
		if got := modelOf(t, a.Union(b), width); got != union {
			t.Fatalf("%v union %v = %v; model %b", a, b, a.Union(b), union)
		}
		if got := a.Contains(b); got != contains {
			t.Fatalf("%v contains %v = %v; model %v", a, b, got, contains)
		}
		if got := a.Count(); got != uint64(popcount(am)) {
			t.Fatalf("%v Count = %d; model %d", a, got, popcount(am))
		}
	}
}

// randomSet returns a one-uuid set of random intervals within [1, width]
// and its bitmap (bit n-1 set when n is in the set).
func randomSet(rng *rand.Rand, width int) (MySQLGTIDSet, uint64) {
	var parts []string
	var bits uint64
	for range rng.IntN(5) {
		s := 1 + rng.IntN(width)
		e := s + rng.IntN(min(6, width-s+1))
		parts = append(parts, strconv.Itoa(s)+"-"+strconv.Itoa(e))
		for n := s; n <= e; n++ {
			bits |= 1 << (n - 1)
		}
	}
	text := ""
	if len(parts) > 0 {
		text = uuidA + ":" + strings.Join(parts, ":")
	}
	set, err := ParseMySQLGTIDSet(text)
	if err != nil {
		panic(err)
	}
	return set, bits
}

// modelOf converts a one-uuid set back to a bitmap, checking that its
// intervals are canonical.
func modelOf(t *testing.T, s MySQLGTIDSet, width int) uint64 {
	t.Helper()
	var bits uint64
	for _, u := range s.UUIDSets() {
		for i, iv := range u.Intervals {
			if iv.Start < 1 || iv.End < iv.Start || iv.End > uint64(width) {
				t.Fatalf("bad interval %v in %v", iv, s)
			}
			if i > 0 && iv.Start <= u.Intervals[i-1].End+1 {
				t.Fatalf("intervals not merged in %v", s)
			}
			for n := iv.Start; n <= iv.End; n++ {
				bits |= 1 << (n - 1)
			}
		}
	}
	return bits
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}
