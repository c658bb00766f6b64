package chaos

import (
	"maps"
	"strings"
	"testing"
)

func TestStateAfterReplaysOps(t *testing.T) {
	ops := []op{
		{Seq: 1, Kind: opInsert, Changes: []change{{Kind: "insert", ID: 1, Val: "a"}}},
		{Seq: 2, Kind: opMulti, Changes: []change{{Kind: "insert", ID: 2, Val: "b"}, {Kind: "update", ID: 1, Val: "c"}, {Kind: "update", ID: 1, Val: "d"}}},
		{Seq: 3, Kind: opBig, BigIDs: []int64{50, 51}},
		{Seq: 4, Kind: opDelete, Changes: []change{{Kind: "delete", ID: 2}}},
	}
	for _, tc := range []struct {
		k    int
		kv   map[int64]kvRow
		bigs int
	}{
		{0, map[int64]kvRow{}, 0},
		{1, map[int64]kvRow{1: {"a", 0}}, 0},
		{2, map[int64]kvRow{1: {"d", 2}, 2: {"b", 0}}, 0},
		{3, map[int64]kvRow{1: {"d", 2}, 2: {"b", 0}}, 2},
		{4, map[int64]kvRow{1: {"d", 2}}, 2},
	} {
		got := stateAfter(ops, tc.k)
		if !maps.Equal(got.KV, tc.kv) || len(got.Big) != tc.bigs {
			t.Errorf("after %d: %+v, want kv %+v and %d big rows", tc.k, got, tc.kv, tc.bigs)
		}
	}
}

func TestDiffStateNamesEachDifference(t *testing.T) {
	want := clientState{KV: map[int64]kvRow{1: {"a", 0}, 2: {"b", 1}}, Big: map[int64]bool{9: true}}
	got := clientState{KV: map[int64]kvRow{1: {"a", 0}, 2: {"b", 0}, 3: {"x", 0}}, Big: map[int64]bool{}}
	d := diffState(want, got)
	for _, s := range []string{"kv 2 = {Val:b N:0}, want {Val:b N:1}", "kv 3 should not exist", "big 9 missing"} {
		if !strings.Contains(d, s) {
			t.Errorf("diff %q lacks %q", d, s)
		}
	}
	if diffState(want, want) != "" {
		t.Error("equal states differ")
	}
}

// The generator's own state is the model after every op it made: the
// verifier's replay must reach the same rows.
func TestGeneratorAgreesWithReplay(t *testing.T) {
	c := newClient(3, 42)
	for i := range 500 {
		mb := 0
		if i%100 == 99 {
			mb = 1
		}
		c.nextDML(mb)
	}
	if d := diffState(c.state, stateAfter(c.Ops, len(c.Ops))); d != "" {
		t.Fatalf("replay differs from the generator: %s", d)
	}
	kinds := map[opKind]int{}
	for i, o := range c.Ops {
		kinds[o.Kind]++
		if o.Seq != i+1 {
			t.Fatalf("op %d has seq %d", i, o.Seq)
		}
	}
	for _, k := range []opKind{opInsert, opUpdate, opDelete, opMulti, opBig} {
		if kinds[k] == 0 {
			t.Errorf("500 ops drew no %s: %v", k, kinds)
		}
	}
	if n := len(c.Ops[99].BigIDs); n != (1<<20)/bigRowBytes {
		t.Errorf("a 1 MB transaction has %d rows", n)
	}
}

func TestDDLStatementsAndSchemaFacts(t *testing.T) {
	c := newClient(DDLClient, 7)
	for range 40 {
		c.nextDDL()
	}
	if !maps.Equal(schemaAfter(c.Ops, len(c.Ops)), c.facts) {
		t.Fatalf("replayed facts %v differ from the generator's %v", schemaAfter(c.Ops, len(c.Ops)), c.facts)
	}
	kinds := map[string]bool{}
	for _, o := range c.Ops {
		if !strings.HasSuffix(o.DDL, "/* "+Tag(DDLClient, o.Seq)+" */") {
			t.Fatalf("DDL lacks its tag: %s", o.DDL)
		}
		kinds[strings.Fields(o.DDL)[0]+" "+strings.TrimLeft(strings.Fields(o.Fact)[0], "+-")] = true
	}
	for _, k := range []string{"CREATE table", "ALTER column", "CREATE index", "ALTER index"} {
		if !kinds[k] {
			t.Errorf("40 DDL statements drew no %q: %v", k, kinds)
		}
	}
	if !schemaAfter(c.Ops, 1)["table d1"] || len(schemaAfter(c.Ops, 0)) != 0 {
		t.Error("the first statement must create d1")
	}
}

func TestCheckPrefixAgainstTheLostBound(t *testing.T) {
	c := &client{ID: 1, Acked: 5, InFlight: true, Ops: make([]op, 6)}
	lost := map[txTag]bool{{1, 4}: true, {1, 5}: true, {1, 6}: true}
	for _, tc := range []struct {
		name string
		k    int
		lost map[txTag]bool
		want string
	}{
		{"all acknowledged present", 5, nil, ""},
		{"in-flight one committed too", 6, nil, ""},
		{"more than was sent", 7, nil, "only 5 were acknowledged"},
		{"acknowledged ones missing", 3, nil, "2 acknowledged transactions lost outside the report's lost bound: chaos-tx:1:4; chaos-tx:1:5;"},
		{"missing ones inside the bound", 3, lost, ""},
		{"bound claims present ones", 5, lost, "transactions the report's bound calls lost are on the new master: chaos-tx:1:4; chaos-tx:1:5;"},
	} {
		got := strings.Join(checkPrefix(c, tc.k, tc.lost), " | ")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}
