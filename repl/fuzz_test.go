package repl

import (
	"testing"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/.

func FuzzParseMySQLGTIDSet(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseMySQLGTIDSet(in)
		if err != nil {
			return
		}
		text := s.String()
		back, err := ParseMySQLGTIDSet(text)
		if err != nil {
			t.Fatalf("reparse of %q: %v", text, err)
		}
		if !back.Equal(s) || back.String() != text {
			t.Fatalf("round trip %q -> %q -> %q", in, text, back)
		}
		checkCanonical(t, s)
		if !s.Contains(s) || !s.Subtract(s).IsEmpty() || !s.Union(s).Equal(s) {
			t.Fatalf("self laws fail for %q", text)
		}
		empty := MySQLGTIDSet{}
		if !s.Contains(empty) || !s.Subtract(empty).Equal(s) || s.IsEmpty() != (text == "") {
			t.Fatalf("empty-set laws fail for %q", text)
		}
	})
}

// checkCanonical asserts the invariants every set from this package keeps.
func checkCanonical(t *testing.T, s MySQLGTIDSet) {
	t.Helper()
	sets := s.UUIDSets()
	for i, u := range sets {
		if i > 0 && cmpTSID(sets[i-1].key(), u.key()) >= 0 {
			t.Fatalf("sources not sorted in %q", s)
		}
		if len(u.Intervals) == 0 {
			t.Fatalf("empty source in %q", s)
		}
		for j, iv := range u.Intervals {
			if iv.Start < 1 || iv.End < iv.Start || iv.End > MaxGNO {
				t.Fatalf("bad interval %v in %q", iv, s)
			}
			if j > 0 && iv.Start <= u.Intervals[j-1].End+1 {
				t.Fatalf("intervals not merged in %q", s)
			}
		}
	}
}

func FuzzParseMariaGTIDPos(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		p, err := ParseMariaGTIDPos(in)
		if err != nil {
			return
		}
		text := p.String()
		back, err := ParseMariaGTIDPos(text)
		if err != nil {
			t.Fatalf("reparse of %q: %v", text, err)
		}
		if !back.Equal(p) || back.String() != text {
			t.Fatalf("round trip %q -> %q -> %q", in, text, back)
		}
		if cmp, ok := p.Compare(p); cmp != 0 || !ok || !p.Covers(p) || !p.Contains(p) || !p.SameServerAs(p) {
			t.Fatalf("self laws fail for %q", text)
		}
		for _, g := range p.GTIDs() {
			if !p.ContainsGTID(g) {
				t.Fatalf("%q does not contain its own GTID %v", text, g)
			}
		}
		if !p.Covers(MariaGTIDPos{}) {
			t.Fatalf("%q does not cover the empty position", text)
		}
	})
}

func FuzzParseCoordinates(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		c, err := ParseCoordinates(in)
		if err != nil {
			return
		}
		back, err := ParseCoordinates(c.String())
		if err != nil || back != c {
			t.Fatalf("round trip %q -> %q -> %+v, %v", in, c.String(), back, err)
		}
		if c.Compare(c) != 0 || c.Less(c) || !c.Equal(c) {
			t.Fatalf("self comparison fails for %v", c)
		}
		if next := c.NextFile(); next != "" {
			n := Coordinates{File: next}
			if r, err := c.CompareChecked(n); err != nil || r >= 0 {
				t.Fatalf("%v vs its next file %q: %d, %v", c, next, r, err)
			}
		}
	})
}

func FuzzParseVersion(f *testing.F) {
	f.Fuzz(func(t *testing.T, in string) {
		v, err := ParseVersion(in)
		if err != nil {
			return
		}
		back, err := ParseVersion(v.String())
		if err != nil {
			t.Fatalf("reparse of %q: %v", v.String(), err)
		}
		back.Raw = v.Raw
		if back != v {
			t.Fatalf("round trip %q -> %q -> %+v", in, v.String(), back)
		}
		if v.Compare(v) != 0 || !v.AtLeast(v.Major, v.Minor, v.Patch) {
			t.Fatalf("self comparison fails for %+v", v)
		}
	})
}

// FuzzMySQLGTIDSetAlgebra checks set laws between two parsed sets.
func FuzzMySQLGTIDSetAlgebra(f *testing.F) {
	f.Fuzz(func(t *testing.T, x, y string) {
		a, errA := ParseMySQLGTIDSet(x)
		b, errB := ParseMySQLGTIDSet(y)
		if errA != nil || errB != nil {
			return
		}
		u, d := a.Union(b), a.Subtract(b)
		checkCanonical(t, u)
		checkCanonical(t, d)
		switch {
		case !u.Contains(a) || !u.Contains(b) || !u.Equal(b.Union(a)):
			t.Fatalf("union laws fail for %q, %q", a, b)
		case !a.Contains(d) || !d.Union(b).Contains(a) || !d.Subtract(b).Equal(d):
			t.Fatalf("subtract laws fail for %q, %q", a, b)
		case a.Contains(b) != b.Subtract(a).IsEmpty():
			t.Fatalf("Contains disagrees with Subtract for %q, %q", a, b)
		case a.Equal(b) != (a.Contains(b) && b.Contains(a)):
			t.Fatalf("Equal disagrees with Contains for %q, %q", a, b)
		case u.Count() < max(a.Count(), b.Count()) || d.Count() > a.Count():
			t.Fatalf("Count laws fail for %q, %q", a, b)
		}
	})
}

// FuzzMariaGTIDPosCompare checks that Compare, Covers and Contains agree.
func FuzzMariaGTIDPosCompare(f *testing.F) {
	f.Fuzz(func(t *testing.T, x, y string) {
		a, errA := ParseMariaGTIDPos(x)
		b, errB := ParseMariaGTIDPos(y)
		if errA != nil || errB != nil {
			return
		}
		c, ok := a.Compare(b)
		rc, rok := b.Compare(a)
		switch {
		case c != -rc || ok != rok:
			t.Fatalf("Compare not antisymmetric for %q, %q", a, b)
		case ok && (c >= 0) != a.Covers(b):
			t.Fatalf("Compare %d disagrees with Covers for %q, %q", c, a, b)
		case a.Contains(b) != (ok && c >= 0):
			t.Fatalf("Contains disagrees with Compare for %q, %q", a, b)
		case a.Equal(b) && (c != 0 || !ok):
			t.Fatalf("equal positions compare %d, %v", c, ok)
		}
	})
}
