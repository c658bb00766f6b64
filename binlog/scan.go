package binlog

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// FileSummary describes one binlog or relay-log file after a full scan.
type FileSummary struct {
	Path           string
	Size           int64
	FirstEvent     int64 // offset of the first data (non-header) event; LastComplete if none
	LastComplete   int64 // end of the last complete event
	LastTxBoundary int64 // end of the last event after which no transaction is open (-1: none known)
	InUse          bool  // the FDE carries the in-use flag: open or crashed binlog
	Relay          bool  // written by a replica as a relay log
	ServerID       uint32
	ServerVersion  string
	Checksum       bool
	Truncated      *Truncated
	Events         int
	Transactions   int // events with TxBoundary
	FirstGTID      string
	LastGTID       string
	// PreviousGTIDs is the MySQL Previous_gtids set or the MariaDB Gtid_list
	// ("d-s-n,...") at the head of the file, when present.
	PreviousGTIDs string
	// MasterFiles are the master binlogs a relay log carries, in order.
	MasterFiles []string
}

// ScanFile reads every event of path, calling fn (if not nil) for each. An
// error from fn stops the scan and is returned as is.
func ScanFile(path string, fn func(Event) error) (s FileSummary, err error) {
	r, err := Open(path)
	if err != nil {
		return FileSummary{Path: path}, err
	}
	defer r.Close()
	defer r.endGuard(faultGuard(), &err)
	r.lazyGTID = fn == nil // only the first and last GTID are reported
	s, err = scan(r, fn)
	if err != nil {
		return s, err
	}
	st, err := os.Stat(path)
	if err != nil {
		return s, fmt.Errorf("scan binlog: %w", err)
	}
	s.Size = st.Size()
	return s, nil
}

func scan(r *Reader, fn func(Event) error) (FileSummary, error) {
	s := FileSummary{Path: r.name, LastTxBoundary: -1}
	for {
		ev, err := r.advance()
		if err != nil {
			s.finish(r)
			if errors.Is(err, io.EOF) {
				return s, nil
			}
			return s, err
		}
		s.add(r, ev)
		if fn != nil {
			if err := fn(*ev); err != nil {
				s.finish(r)
				return s, err
			}
		}
	}
}

func (s *FileSummary) add(r *Reader, ev *Event) {
	s.Events++
	if ev.TxBoundary {
		s.Transactions++
	}
	switch ev.Type {
	case MariadbGTIDEvent, GTIDEvent, GTIDTaggedEvent:
		if s.FirstGTID == "" {
			s.FirstGTID = r.lastGTID.String()
		}
	case PreviousGTIDsEvent, MariadbGTIDListEvent:
		if s.PreviousGTIDs == "" && (ev.ServerID == r.fde.ServerID || !r.fde.Relay()) {
			s.PreviousGTIDs = headGTIDs(r.Raw(), ev.Type, r.cur.Checksum())
		}
	case RotateEvent:
		if r.fde.Relay() && ev.ServerID != r.fde.ServerID && ev.RotateName != "" {
			if n := len(s.MasterFiles); n == 0 || s.MasterFiles[n-1] != ev.RotateName {
				s.MasterFiles = append(s.MasterFiles, ev.RotateName)
			}
		}
	}
}

func headGTIDs(raw []byte, t EventType, checksum bool) string {
	body := raw[HeaderLen:]
	if checksum && len(body) >= 4 {
		body = body[:len(body)-4]
	}
	var txt string
	if t == PreviousGTIDsEvent {
		txt, _ = previousGTIDs(body)
	} else {
		txt, _ = gtidList(body)
	}
	return txt
}

func (s *FileSummary) finish(r *Reader) {
	s.LastComplete = r.Offset()
	s.FirstEvent = r.FirstDataEvent()
	if s.FirstEvent < 0 {
		s.FirstEvent = s.LastComplete
	}
	s.LastTxBoundary = r.LastTxBoundary()
	s.LastGTID = r.lastGTID.String()
	s.Truncated = r.Truncated()
	if f := r.FDE(); f != nil {
		s.InUse, s.Relay, s.ServerID = f.InUse(), f.Relay(), f.ServerID
		s.ServerVersion, s.Checksum = f.ServerVersion, f.Checksum()
	}
}
