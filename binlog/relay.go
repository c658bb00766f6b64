package binlog

import (
	"errors"
	"fmt"
	"io"
)

// RelayPos is a position in a relay-log file.
type RelayPos struct {
	File   string
	Offset int64
}

// FindRelayPosition implements MHA's relay-log diff search (apply_diff_relay_logs
// --command=find). files are one replica's relay logs, oldest first;
// masterFile:masterPos is another replica's Read_Master_Log_Pos. The result is
// where that replica's missing events start in these relay logs: the offset
// right after the master event whose end_log_pos is masterPos, moved to the
// next file's first data event when nothing follows in its own file.
//
// Events with server_id ownServerID (the relay log owner's own FDE and
// rotates) are ignored; 0 means each file's own FDE server_id.
//
// Errors: ErrAllApplied (with the newest file's end as position) when no
// event follows; *PositionNotFoundError when the master file is not in the
// relay logs (purged) or masterPos is not the end of an event.
//
// The search checks event framing but not CRC32s: nothing is copied here,
// and Extract verifies every event it copies.
func FindRelayPosition(files []string, masterFile string, masterPos uint32, ownServerID uint32) (pos RelayPos, err error) {
	defer endFaultGuard(faultGuard(), "find relay position", &err)
	notFound := &PositionNotFoundError{MasterFile: masterFile, MasterPos: masterPos, Reason: MasterFileMissing}
	if len(files) == 0 {
		return RelayPos{}, notFound
	}
	start := -1
	for i := len(files) - 1; i >= 0 && start < 0; i-- {
		h, err := readRelayHead(files[i], ownServerID)
		if err != nil {
			return RelayPos{}, err
		}
		if h.known {
			notFound.Oldest = fmt.Sprintf("%s:%d", h.masterFile, h.startPos)
			c := CompareBinlogNames(h.masterFile, masterFile)
			if c < 0 || (c == 0 && h.startPos <= uint64(masterPos)) {
				start = i
			}
		}
	}
	if start < 0 {
		return RelayPos{}, notFound
	}
	f := finder{files: files, own: ownServerID, file: masterFile, pos: masterPos}
	return f.run(start, notFound)
}

// relayHead is what the first events of a relay log say about the master.
type relayHead struct {
	masterFile string
	startPos   uint64
	known      bool
}

// readRelayHead reads the header events of a relay log up to the first
// master data event: a master Rotate names the master file and start.
func readRelayHead(path string, own uint32) (relayHead, error) {
	r, err := Open(path)
	if err != nil {
		return relayHead{}, err
	}
	defer r.Close()
	var h relayHead
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return h, nil
		}
		if err != nil {
			return h, err
		}
		if isOwn(r, &ev, own) {
			continue
		}
		if ev.Type == RotateEvent {
			h = relayHead{masterFile: ev.RotateName, startPos: ev.RotatePos, known: true}
			continue
		}
		if !ev.Type.IsHeader() {
			return h, nil
		}
	}
}

// ownID returns the server_id isOwn skips, if any.
func ownID(r *Reader, own uint32) (uint32, bool) {
	if own != 0 {
		return own, true
	}
	if r.fde != nil && r.fde.Relay() {
		return r.fde.ServerID, true
	}
	return 0, false
}

// skipPlain is the search's inner loop over the headers alone: it passes
// the events that cannot end the search and that only matter by their
// master file, which none of them changes. It stops before an event that
// needs the full decode: an FDE, a Rotate, Start_encryption, one whose
// log_pos is pos, an odd size (corrupt or cut: decode names it) or the end
// of the data. It does not track transactions. It reports whether it passed
// an event of another server than own.
func (r *Reader) skipPlain(pos, own uint32, ownOK bool) (other bool) {
	minSize := HeaderLen
	if r.cur.Checksum() {
		minSize += 4
	}
	buf, i, w, off := r.buf, r.r, r.w, r.off
	for i+HeaderLen <= w {
		h := buf[i : i+HeaderLen]
		size, t, logPos := int(le.Uint32(h[9:])), EventType(h[4]), le.Uint32(h[13:])
		if size < minSize || size > w-i || logPos == pos ||
			t == FormatDescriptionEvent || t == RotateEvent || t == MariadbStartEncryption {
			break
		}
		if txStarts[t] {
			r.noteTxStart(off)
		}
		if i+prefetchDist < w {
			r.sink ^= buf[i+prefetchDist]
		}
		other = other || !ownOK || le.Uint32(h[5:]) != own
		if r.consistent && int64(logPos) != off+int64(size) {
			r.consistent = false
		}
		if r.firstData < 0 && !t.IsHeader() {
			r.firstData = off
		}
		i += size
		off += int64(size)
	}
	r.r, r.off = i, off
	return other
}

func isOwn(r *Reader, ev *Event, own uint32) bool {
	if own == 0 {
		return r.fde != nil && r.fde.Relay() && ev.ServerID == r.fde.ServerID
	}
	return ev.ServerID == own
}

type finder struct {
	files     []string
	own       uint32
	file      string
	pos       uint32
	sawTarget bool
	seen      string // last master file compared with file
	past      bool   // seen is newer than file
}

// pastTarget reports whether master file m is newer than the target,
// comparing names only when m changes.
func (f *finder) pastTarget(m string) bool {
	if m != f.seen {
		f.seen, f.past = m, m != "" && CompareBinlogNames(m, f.file) > 0
	}
	return f.past
}

// run scans forward from files[start] for the target event, then for the
// next data event after it.
func (f *finder) run(start int, notFound *PositionNotFoundError) (RelayPos, error) {
	master := ""
	for i := start; i < len(f.files); i++ {
		r, err := openWalk(f.files[i])
		if err != nil {
			return RelayPos{}, err
		}
		r.masterFile = master
		pos, found, err := f.scanFile(r)
		master = r.masterFile
		if err == nil && found {
			saveHint(r, pos)
			var more bool
			more, err = f.dataFollows(r)
			if err == nil && more {
				r.Close()
				return RelayPos{File: f.files[i], Offset: pos}, nil
			}
		}
		r.Close()
		if err != nil {
			return RelayPos{}, err
		}
		if found {
			return f.nextData(i + 1)
		}
		if f.pastTarget(master) {
			break
		}
	}
	if f.sawTarget {
		notFound.Reason = NotOnBoundary
	}
	return RelayPos{}, notFound
}

// scanFile looks for the master event ending at f.pos in f.file.
func (f *finder) scanFile(r *Reader) (int64, bool, error) {
	for {
		if r.cur != nil {
			own, ok := ownID(r, f.own)
			if r.skipPlain(f.pos, own, ok) {
				f.sawTarget = f.sawTarget || r.masterFile == f.file
				if f.pastTarget(r.masterFile) {
					return 0, false, nil
				}
			}
		}
		ev, err := r.advance()
		if errors.Is(err, io.EOF) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		if txStarts[ev.Type] {
			r.noteTxStart(ev.Offset)
		}
		if isOwn(r, ev, f.own) {
			continue
		}
		if ev.MasterFile == f.file {
			f.sawTarget = true
			if ev.MasterEnd == f.pos && ev.MasterEnd != 0 {
				return ev.End, true, nil
			}
		}
		if ev.Type == RotateEvent && ev.RotateName == f.file {
			f.sawTarget = true
			if ev.RotatePos == uint64(f.pos) {
				return ev.End, true, nil
			}
		}
		if f.pastTarget(ev.MasterFile) {
			return 0, false, nil
		}
	}
}

// dataFollows reports whether r has a master data event after the current one.
func (f *finder) dataFollows(r *Reader) (bool, error) {
	for {
		ev, err := r.advance()
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
		if !ev.Type.IsHeader() && !isOwn(r, ev, f.own) {
			return true, nil
		}
	}
}

// nextData returns the first data event of files[i:], or ErrAllApplied at
// the newest file's end.
func (f *finder) nextData(i int) (RelayPos, error) {
	for ; i < len(f.files); i++ {
		at, ok, err := f.firstData(f.files[i])
		if err != nil {
			return RelayPos{}, err
		}
		if ok {
			return RelayPos{File: f.files[i], Offset: at}, nil
		}
	}
	last := f.files[len(f.files)-1]
	end, err := walkEnd(last)
	if err != nil {
		return RelayPos{}, err
	}
	return RelayPos{File: last, Offset: end}, ErrAllApplied
}

// openWalk opens a file for a walk that needs positions, not contents:
// no CRC checks (nothing is copied from it), no GTID text.
func openWalk(path string) (*Reader, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	r.noVerify = true
	return r, nil
}

// walkEnd returns the end of the last complete event of path.
func walkEnd(path string) (int64, error) {
	r, err := openWalk(path)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	for {
		if _, err := r.advance(); errors.Is(err, io.EOF) {
			return r.Offset(), nil
		} else if err != nil {
			return 0, err
		}
	}
}

func (f *finder) firstData(path string) (int64, bool, error) {
	r, err := openWalk(path)
	if err != nil {
		return 0, false, err
	}
	defer r.Close()
	for {
		ev, err := r.advance()
		if errors.Is(err, io.EOF) {
			return 0, false, nil
		}
		if err != nil {
			return 0, false, err
		}
		if !ev.Type.IsHeader() && !isOwn(r, ev, f.own) {
			return ev.Offset, true, nil
		}
	}
}
