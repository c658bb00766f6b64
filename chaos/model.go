package chaos

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// The workload's schema. Every DML transaction ends with a ledger row
// tagged "chaos-tx:<client>:<seq>": which transactions a host holds is
// read from its ledger, and which ones a binlog holds from the tags in its
// events, whatever the binlog format. The ";" ends the tag, so digits
// that follow it in a row image (a checksum byte) are not read as its own.
const schemaSQL = `CREATE DATABASE chaos;
CREATE TABLE chaos.kv (id BIGINT PRIMARY KEY, client INT NOT NULL, val VARCHAR(64) NOT NULL, n INT NOT NULL, KEY (client)) ENGINE=InnoDB;
CREATE TABLE chaos.big (id BIGINT PRIMARY KEY, client INT NOT NULL, payload LONGBLOB NOT NULL, KEY (client)) ENGINE=InnoDB;
CREATE TABLE chaos.ledger (client INT NOT NULL, seq INT NOT NULL, tag VARCHAR(40) NOT NULL, PRIMARY KEY (client, seq)) ENGINE=InnoDB`

// DDLClient is the client number of the DDL client's tags.
const DDLClient = 99

// Tag marks a transaction in SQL text, row images and binlog events.
func Tag(client, seq int) string { return fmt.Sprintf("chaos-tx:%d:%d;", client, seq) }

// bigRowBytes is the size of one row of a large transaction.
const bigRowBytes = 64 << 10

// bigPayload is the deterministic content of big row id, so the model
// needs only the id to know what the row must hold.
func bigPayload(id int64) string {
	unit := fmt.Sprintf("chaos-big-%012d|", id)
	return strings.Repeat(unit, bigRowBytes/len(unit))
}

func bigPayloadMD5(id int64) string {
	sum := md5.Sum([]byte(bigPayload(id)))
	return hex.EncodeToString(sum[:])
}

// change is one row change of a DML transaction.
type change struct {
	Kind string // "insert", "update", "delete"
	ID   int64
	Val  string
}

// opKind is what one transaction of a client does.
type opKind string

const (
	opInsert opKind = "insert"
	opUpdate opKind = "update"
	opDelete opKind = "delete"
	opMulti  opKind = "multi"
	opBig    opKind = "big"
	opDDL    opKind = "ddl"
)

// op is one transaction (DML) or one statement (DDL).
type op struct {
	Seq     int // 1-based, the ledger's seq
	Kind    opKind
	Changes []change
	BigIDs  []int64
	DDL     string // the statement, tag included
	Fact    string // the schema fact the DDL adds ("+...") or removes ("-...")
}

// kvRow is one row of chaos.kv as the model expects it.
type kvRow struct {
	Val string
	N   int
}

// clientState is a DML client's rows after some of its transactions.
type clientState struct {
	KV  map[int64]kvRow
	Big map[int64]bool
}

func newClientState() clientState {
	return clientState{KV: map[int64]kvRow{}, Big: map[int64]bool{}}
}

func (s clientState) apply(o op) {
	for _, c := range o.Changes {
		switch c.Kind {
		case "insert":
			s.KV[c.ID] = kvRow{Val: c.Val, N: 0}
		case "update":
			r := s.KV[c.ID]
			s.KV[c.ID] = kvRow{Val: c.Val, N: r.N + 1}
		case "delete":
			delete(s.KV, c.ID)
		}
	}
	for _, id := range o.BigIDs {
		s.Big[id] = true
	}
}

// stateAfter replays the first k ops of a client.
func stateAfter(ops []op, k int) clientState {
	s := newClientState()
	for _, o := range ops[:k] {
		s.apply(o)
	}
	return s
}

// diffState describes how got differs from want, empty when equal.
func diffState(want, got clientState) string {
	var d []string
	for _, id := range slices.Sorted(maps.Keys(want.KV)) {
		g, ok := got.KV[id]
		switch {
		case !ok:
			d = append(d, fmt.Sprintf("kv %d missing", id))
		case g != want.KV[id]:
			d = append(d, fmt.Sprintf("kv %d = %+v, want %+v", id, g, want.KV[id]))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(got.KV)) {
		if _, ok := want.KV[id]; !ok {
			d = append(d, fmt.Sprintf("kv %d should not exist", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(want.Big)) {
		if !got.Big[id] {
			d = append(d, fmt.Sprintf("big %d missing or wrong payload", id))
		}
	}
	for _, id := range slices.Sorted(maps.Keys(got.Big)) {
		if !want.Big[id] {
			d = append(d, fmt.Sprintf("big %d should not exist", id))
		}
	}
	if len(d) > 5 {
		d = append(d[:5], fmt.Sprintf("and %d more", len(d)-5))
	}
	return strings.Join(d, "; ")
}

// schemaAfter replays the first k DDL ops into the set of schema facts.
func schemaAfter(ops []op, k int) map[string]bool {
	facts := map[string]bool{}
	for _, o := range ops[:k] {
		if f, ok := strings.CutPrefix(o.Fact, "-"); ok {
			delete(facts, f)
		} else {
			facts[strings.TrimPrefix(o.Fact, "+")] = true
		}
	}
	return facts
}
