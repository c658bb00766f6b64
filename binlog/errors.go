package binlog

import (
	"errors"
	"fmt"
)

// ErrCorrupt matches every *CorruptError.
var ErrCorrupt = errors.New("binlog corrupt")

// ErrPositionNotFound matches every *PositionNotFoundError.
var ErrPositionNotFound = errors.New("master position not found in relay logs")

// ErrAllApplied is returned by FindRelayPosition when the target position is
// the end of the newest relay log: the target already has every event
// (MHA's "target has received all relay logs", status 2).
var ErrAllApplied = errors.New("target has all events of the relay logs")

// ErrMidTransaction is returned by Extract when a segment would start inside
// a transaction and AllowMidTransaction was not given.
var ErrMidTransaction = errors.New("position is inside a transaction")

// ErrNotEventBoundary is returned when an offset given by the caller is not
// the start of an event.
var ErrNotEventBoundary = errors.New("offset is not an event boundary")

// CorruptError names the file and byte offset of a damaged event: a bad
// magic, an impossible event size, or a CRC32 mismatch.
type CorruptError struct {
	File   string
	Offset int64
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("binlog %s: corrupt event at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// NotFoundReason tells why FindRelayPosition failed.
type NotFoundReason int

const (
	// MasterFileMissing: the relay logs do not reach back to the master file
	// (or to the position inside it); they were probably purged.
	MasterFileMissing NotFoundReason = iota + 1
	// NotOnBoundary: the relay logs carry the master file, but no master
	// event ends at the position (MHA status 12).
	NotOnBoundary
)

func (r NotFoundReason) String() string {
	switch r {
	case MasterFileMissing:
		return "master file not in relay logs (purged?)"
	case NotOnBoundary:
		return "position is not on an event boundary"
	}
	return fmt.Sprintf("NotFoundReason(%d)", int(r))
}

// PositionNotFoundError is returned by FindRelayPosition.
type PositionNotFoundError struct {
	MasterFile string
	MasterPos  uint32
	Reason     NotFoundReason
	// Oldest is the oldest master coordinate the relay logs carry, when known.
	Oldest string
}

func (e *PositionNotFoundError) Error() string {
	s := fmt.Sprintf("find %s:%d in relay logs: %s", e.MasterFile, e.MasterPos, e.Reason)
	if e.Oldest != "" {
		s += "; oldest relay coordinate " + e.Oldest
	}
	return s
}

// Is makes errors.Is(err, ErrPositionNotFound) true.
func (e *PositionNotFoundError) Is(target error) bool { return target == ErrPositionNotFound }

// Truncated describes an incomplete last event (a crash mid-write, or a file
// still being written). It is not an error: readers stop at the last complete
// event.
type Truncated struct {
	At   int64 // offset of the incomplete event
	Have int64 // bytes present from At to end of file
	Need int64 // bytes the event needs (19 when even the header is cut)
}

func (t Truncated) String() string {
	return fmt.Sprintf("incomplete event at %d (have %d of %d bytes)", t.At, t.Have, t.Need)
}
