package repl

import (
	"errors"
	"fmt"
)

// Kinds of value a ParseError can be about, used in ParseError.Kind.
const (
	KindCoordinates  = "binlog coordinates"
	KindMariaGTID    = "MariaDB GTID"
	KindMariaGTIDPos = "MariaDB GTID position"
	KindMySQLGTIDSet = "MySQL GTID set"
	KindVersion      = "server version"
)

// maxQuoted bounds how much of a bad input an error message repeats, so a
// megabyte of garbage does not end up in a log line.
const maxQuoted = 120

// ErrIncomparable is returned (wrapped) by Coordinates.CompareChecked when the
// two binlog files do not belong to the same numbered sequence.
var ErrIncomparable = errors.New("binlog files are not comparable")

// ParseError reports a malformed replication value. Pos is the byte offset in
// Input where the bad part starts and Msg names that part.
type ParseError struct {
	Kind  string // one of the Kind* constants
	Input string // the complete text that was parsed
	Pos   int    // byte offset of the bad part in Input
	Msg   string // what is wrong, quoting the bad part
}

// Error formats the error as `repl: parse <kind> "<input>": <msg> (at byte N)`.
func (e *ParseError) Error() string {
	return fmt.Sprintf("repl: parse %s %s: %s (at byte %d)", e.Kind, quote(e.Input), e.Msg, e.Pos)
}

// quote returns s quoted, shortened to maxQuoted bytes.
func quote(s string) string {
	if len(s) > maxQuoted {
		return fmt.Sprintf("%q...", s[:maxQuoted])
	}
	return fmt.Sprintf("%q", s)
}
