package repl

import (
	"strings"
	"testing"
)

func TestParseErrorMessage(t *testing.T) {
	e := &ParseError{Kind: KindMariaGTID, Input: "0-x-1", Pos: 2, Msg: `expected server id, found "x-1"`}
	want := `repl: parse MariaDB GTID "0-x-1": expected server id, found "x-1" (at byte 2)`
	if got := e.Error(); got != want {
		t.Errorf("Error() = %s\nwant      %s", got, want)
	}
}

func TestParseErrorTruncatesLongInput(t *testing.T) {
	e := &ParseError{Kind: KindVersion, Input: strings.Repeat("x", 10000), Msg: "bad"}
	if got := e.Error(); len(got) > 300 || !strings.Contains(got, `"...`) {
		t.Errorf("Error() is %d bytes, want a shortened input: %.200s", len(got), got)
	}
}

func TestErrorNearShortensRest(t *testing.T) {
	_, err := ParseMySQLGTIDSet("not-a-uuid-but-a-very-long-piece-of-text-indeed")
	wantParseError(t, err, KindMySQLGTIDSet, 0, `expected UUID, found "not-a-uuid-but-a-ver"...`)
}
