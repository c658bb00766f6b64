package repl

import (
	"slices"
	"testing"
)

func mpos(t *testing.T, s string) MariaGTIDPos {
	t.Helper()
	p, err := ParseMariaGTIDPos(s)
	if err != nil {
		t.Fatalf("ParseMariaGTIDPos(%q): %v", s, err)
	}
	return p
}

func TestParseMariaGTID(t *testing.T) {
	tests := []struct {
		in   string
		want MariaGTID
	}{
		{"0-1-42", MariaGTID{0, 1, 42}},
		{" 1-2-7\n", MariaGTID{1, 2, 7}},
		{"4294967295-4294967295-18446744073709551615", MariaGTID{4294967295, 4294967295, 18446744073709551615}},
		{"00-01-0042", MariaGTID{0, 1, 42}},
		{"0-1-0", MariaGTID{0, 1, 0}},
	}
	for _, tt := range tests {
		got, err := ParseMariaGTID(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseMariaGTID(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	if s := (MariaGTID{0, 1, 42}).String(); s != "0-1-42" {
		t.Errorf("String() = %q", s)
	}
}

func TestParseMariaGTIDErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"", 0, "expected domain id, found end of input"},
		{"0-1", 3, `expected "-" after the server id`},
		{"0-1-", 4, "expected sequence number"},
		{"0-1-2-3", 5, "expected end of input after the GTID"},
		{"a-1-2", 0, `expected domain id, found "a-1-2"`},
		{"0 -1-2", 1, `expected "-" after the domain id, found " -1-2"`},
		{"4294967296-1-2", 0, `domain id "4294967296" is larger than 4294967295`},
		{"0-4294967296-2", 2, "server id"},
		{"0-1-18446744073709551616", 4, "sequence number"},
		{"-1-1-1", 0, "expected domain id"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseMariaGTID(tt.in)
			wantParseError(t, err, KindMariaGTID, tt.pos, tt.msg)
		})
	}
}

func TestParseMariaGTIDPos(t *testing.T) {
	tests := []struct {
		in, want string
		domains  []uint32
	}{
		{"", "", []uint32{}},
		{" \n\t", "", []uint32{}},
		{"0-1-42", "0-1-42", []uint32{0}},
		{"0-1-42,1-2-7", "0-1-42,1-2-7", []uint32{0, 1}},
		{"1-2-7,0-1-42", "0-1-42,1-2-7", []uint32{0, 1}},
		{"0-1-42,\n1-2-7", "0-1-42,1-2-7", []uint32{0, 1}},
		{"  10-3-5 ,\r\n 2-1-9  ,0-1-1\n", "0-1-1,2-1-9,10-3-5", []uint32{0, 2, 10}},
		{"007-01-042", "7-1-42", []uint32{7}},
	}
	for _, tt := range tests {
		p, err := ParseMariaGTIDPos(tt.in)
		if err != nil {
			t.Errorf("ParseMariaGTIDPos(%q): %v", tt.in, err)
			continue
		}
		if got := p.String(); got != tt.want {
			t.Errorf("ParseMariaGTIDPos(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
		if got := p.Domains(); !slices.Equal(got, tt.domains) {
			t.Errorf("ParseMariaGTIDPos(%q).Domains() = %v, want %v", tt.in, got, tt.domains)
		}
		if p.IsEmpty() != (tt.want == "") || p.Len() != len(tt.domains) {
			t.Errorf("ParseMariaGTIDPos(%q): IsEmpty %v, Len %d", tt.in, p.IsEmpty(), p.Len())
		}
	}
}

func TestParseMariaGTIDPosErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{"0-1-42,0-2-43", 7, "GTID 0-2-43 repeats domain 0 of GTID 0-1-42"},
		{"0-1-42, 1-1-1, 0-1-42", 15, "repeats domain 0"},
		{"0-1-42,", 7, "expected domain id, found end of input"},
		{",0-1-42", 0, `expected domain id, found ",0-1-42"`},
		{"0-1-42,,1-1-1", 7, "expected domain id"},
		{"0-1-42;1-1-1", 6, `expected "," or end of input after a GTID, found ";1-1-1"`},
		{"0-1-42 1-1-1", 7, `expected "," or end of input`},
		{"0-1-x", 4, "expected sequence number"},
		{"3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5", 1, `expected "-" after the domain id, found "E11FA47`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := ParseMariaGTIDPos(tt.in)
			wantParseError(t, err, KindMariaGTIDPos, tt.pos, tt.msg)
		})
	}
}

func TestMariaGTIDPosGetAndGTIDs(t *testing.T) {
	p := mpos(t, "1-2-7,0-1-42")
	if g, ok := p.Get(1); !ok || g != (MariaGTID{1, 2, 7}) {
		t.Errorf("Get(1) = %v, %v", g, ok)
	}
	if g, ok := p.Get(5); ok {
		t.Errorf("Get(5) = %v, true; want missing", g)
	}
	gs := p.GTIDs()
	if !slices.Equal(gs, []MariaGTID{{0, 1, 42}, {1, 2, 7}}) {
		t.Errorf("GTIDs() = %v", gs)
	}
	gs[0].Seq = 999 // must not write through
	if g, _ := p.Get(0); g.Seq != 42 {
		t.Errorf("GTIDs() aliases the position: seq now %d", g.Seq)
	}
	if p.Flavor() != FlavorMariaDB {
		t.Errorf("Flavor() = %v", p.Flavor())
	}
}

func TestMariaGTIDPosUpdate(t *testing.T) {
	var p MariaGTIDPos
	p.Update(MariaGTID{1, 2, 7})
	before := p
	p.Update(MariaGTID{0, 1, 42})
	p.Update(MariaGTID{1, 3, 8})
	p.Update(MariaGTID{2, 3, 1})
	p.Update(MariaGTID{0, 1, 40}) // Update does not insist on growth
	if got := p.String(); got != "0-1-40,1-3-8,2-3-1" {
		t.Errorf("after updates: %q", got)
	}
	if got := before.String(); got != "1-2-7" {
		t.Errorf("earlier copy changed to %q", got)
	}
	n := NewMariaGTIDPos(MariaGTID{5, 1, 1}, MariaGTID{3, 1, 1}, MariaGTID{5, 2, 2})
	if got := n.String(); got != "3-1-1,5-2-2" {
		t.Errorf("NewMariaGTIDPos = %q", got)
	}
	if !NewMariaGTIDPos().IsEmpty() {
		t.Error("NewMariaGTIDPos() not empty")
	}
}

func TestMariaGTIDPosContainsGTID(t *testing.T) {
	p := mpos(t, "0-1-42,1-2-7")
	tests := []struct {
		g    MariaGTID
		want bool
	}{
		{MariaGTID{0, 1, 42}, true},
		{MariaGTID{0, 1, 41}, true},
		{MariaGTID{0, 9, 1}, true}, // server id is informational
		{MariaGTID{0, 1, 43}, false},
		{MariaGTID{1, 2, 8}, false},
		{MariaGTID{2, 1, 1}, false}, // domain missing
		{MariaGTID{2, 1, 0}, false},
	}
	for _, tt := range tests {
		if got := p.ContainsGTID(tt.g); got != tt.want {
			t.Errorf("%v.ContainsGTID(%v) = %v, want %v", p, tt.g, got, tt.want)
		}
	}
	if (MariaGTIDPos{}).ContainsGTID(MariaGTID{0, 1, 1}) {
		t.Error("empty position contains a GTID")
	}
}

func TestMariaGTIDPosCompare(t *testing.T) {
	tests := []struct {
		name       string
		a, b       string
		cmp        int
		comparable bool
		covers     bool // a.Covers(b)
		sameServer bool
	}{
		{"both empty", "", "", 0, true, true, true},
		{"equal", "0-1-42,1-2-7", "1-2-7,0-1-42", 0, true, true, true},
		{"ahead one domain", "0-1-43,1-2-7", "0-1-42,1-2-7", 1, true, true, true},
		{"behind one domain", "0-1-42,1-2-7", "0-1-42,1-2-9", -1, true, false, true},
		{"ahead everywhere", "0-1-50,1-2-9", "0-1-42,1-2-7", 1, true, true, true},
		{"empty behind", "", "0-1-1", -1, true, false, true},
		{"empty ahead-of", "0-1-1", "", 1, true, true, true},
		{"extra domain", "0-1-42,1-2-7", "0-1-42", 1, true, true, true},
		{"missing domain", "0-1-42", "0-1-42,1-2-7", -1, true, false, true},
		{"missing domain vs seq 0", "0-1-42", "0-1-42,1-2-0", 0, true, true, true},
		{"diverged", "0-1-43,1-2-7", "0-1-42,1-2-8", 0, false, false, true},
		{"diverged by domains", "0-1-42", "1-2-7", 0, false, false, true},
		{"new master id ahead", "0-2-43", "0-1-42", 1, true, true, true},
		{"new master id behind", "0-1-42", "0-2-43", -1, true, false, true},
		{"same seq other server", "0-1-42", "0-2-42", 0, false, true, false},
		{"same seq other server, other domain ahead", "0-1-42,1-1-9", "0-2-42,1-1-8", 0, false, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := mpos(t, tt.a), mpos(t, tt.b)
			cmp, ok := a.Compare(b)
			if cmp != tt.cmp || ok != tt.comparable {
				t.Errorf("Compare = %d, %v; want %d, %v", cmp, ok, tt.cmp, tt.comparable)
			}
			rcmp, rok := b.Compare(a)
			if rcmp != -tt.cmp || rok != tt.comparable {
				t.Errorf("reverse Compare = %d, %v; want %d, %v", rcmp, rok, -tt.cmp, tt.comparable)
			}
			if got := a.Covers(b); got != tt.covers {
				t.Errorf("Covers = %v, want %v", got, tt.covers)
			}
			if got := a.SameServerAs(b); got != tt.sameServer || b.SameServerAs(a) != got {
				t.Errorf("SameServerAs = %v, want %v (symmetric)", got, tt.sameServer)
			}
			wantContains := tt.comparable && tt.cmp >= 0
			if got := a.Contains(b); got != wantContains {
				t.Errorf("Contains = %v, want %v", got, wantContains)
			}
			if got := a.Contains(&b); got != wantContains {
				t.Errorf("Contains(pointer) = %v, want %v", got, wantContains)
			}
			if a.Equal(b) != (tt.a == tt.b || tt.name == "equal") {
				t.Errorf("Equal = %v", a.Equal(b))
			}
		})
	}
}

func TestMariaGTIDPosContainsOtherFlavor(t *testing.T) {
	p := mpos(t, "0-1-1")
	var nilPos *MariaGTIDPos
	for _, o := range []GTIDSet{MySQLGTIDSet{}, &MySQLGTIDSet{}, nil, nilPos} {
		if p.Contains(o) {
			t.Errorf("Contains(%T) = true", o)
		}
	}
}
