package binlog

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
)

// readBufSize is the initial read buffer; events larger than it grow the
// buffer as their bytes arrive (never to more than the data present).
var readBufSize = 1 << 20

// Reader reads the events of one binlog or relay-log file in order. It
// verifies CRC32 checksums, stops quietly at an incomplete last event, and
// tracks file offsets itself (header log_pos is the master's in relay logs).
type Reader struct {
	name   string
	base   string
	src    io.Reader
	closer io.Closer

	buf    []byte
	r, w   int
	off    int64 // file offset of buf[r]
	srcEOF bool
	srcErr error

	fde, cur     *FDE // the file's own FDE (offset 4) and the one governing events now
	raw          []byte
	masterFile   string
	consistent   bool // every event so far had log_pos == End (a binlog, not a relay log)
	tx           txState
	lastBoundary int64
	firstData    int64
	trunc        *Truncated
	err          error
	ev           Event // the current event, filled in place (no copies on the hot path)
	noVerify     bool  // planning pass over data verified later: no CRC checks, no GTID text
}

// Open opens a binlog or relay-log file and checks its magic.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open binlog: %w", err)
	}
	hint := int64(readBufSize)
	if st, err := f.Stat(); err == nil {
		hint = st.Size()
	}
	r, err := newReader(f, path, hint)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a binlog stream (starting with the magic) from src; name
// is used in events and errors.
func NewReader(src io.Reader, name string) (*Reader, error) {
	hint := int64(readBufSize)
	if l, ok := src.(interface{ Len() int }); ok {
		hint = int64(l.Len())
	}
	return newReader(src, name, hint)
}

// newReader sizes the buffer for small files: relay logs are often tiny.
func newReader(src io.Reader, name string, size int64) (*Reader, error) {
	bufSize := int64(readBufSize)
	if size+1 < bufSize {
		bufSize = max(size+1, 4096)
	}
	r := &Reader{
		name: name, base: filepath.Base(name), src: src, buf: make([]byte, bufSize),
		consistent: true, firstData: -1, lastBoundary: -1,
	}
	n := r.fill(len(Magic))
	if r.srcErr != nil {
		return nil, fmt.Errorf("read binlog %s: %w", name, r.srcErr)
	}
	if n < len(Magic) || string(r.buf[:len(Magic)]) != Magic {
		if n < len(Magic) && string(r.buf[:n]) == Magic[:n] {
			r.trunc = &Truncated{At: 0, Have: int64(n), Need: int64(len(Magic))}
			r.err = io.EOF
			return r, nil
		}
		return nil, &CorruptError{File: name, Offset: 0, Reason: "bad magic, not a binlog file"}
	}
	r.r, r.off = len(Magic), int64(len(Magic))
	return r, nil
}

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer.Close()
}

// Name returns the path the reader was opened with.
func (r *Reader) Name() string { return r.name }

// FDE returns the file's own Format_description event (nil before the first Next).
func (r *Reader) FDE() *FDE { return r.fde }

// CurrentFDE returns the FDE governing the latest event: in relay logs the
// master's FDE once it has been read.
func (r *Reader) CurrentFDE() *FDE { return r.cur }

// Raw returns the bytes of the event last returned by Next, checksum
// included. They are valid until the next call to Next.
func (r *Reader) Raw() []byte { return r.raw }

// Offset returns where the next event starts.
func (r *Reader) Offset() int64 { return r.off }

// Truncated reports an incomplete last event, once Next has returned io.EOF.
func (r *Reader) Truncated() *Truncated { return r.trunc }

// LastTxBoundary returns the end of the last event after which no
// transaction was open (-1 if none yet): a clean place to stop.
func (r *Reader) LastTxBoundary() int64 { return r.lastBoundary }

// FirstDataEvent returns the offset of the first event that is not a log
// header event (-1 if none yet).
func (r *Reader) FirstDataEvent() int64 { return r.firstData }

// InTransaction reports whether the next event would continue an open
// transaction. In a relay log that starts inside a transaction this is only
// known after the first transaction boundary.
func (r *Reader) InTransaction() bool { return r.tx == txOpen || r.tx == txPending }

// Next returns the next complete event. It returns io.EOF at the end of the
// file, including when the last event is incomplete (see Truncated), and a
// *CorruptError for damaged data.
func (r *Reader) Next() (Event, error) {
	ev, err := r.advance()
	if err != nil {
		return Event{}, err
	}
	return *ev, nil
}

// advance is Next without the copy: the event is valid until the next call.
func (r *Reader) advance() (*Event, error) {
	if r.err != nil {
		return nil, r.err
	}
	if err := r.next(); err != nil {
		r.err = err
		return nil, err
	}
	return &r.ev, nil
}

func (r *Reader) next() error {
	have := r.fill(HeaderLen)
	if r.srcErr != nil {
		return fmt.Errorf("read binlog %s at %d: %w", r.name, r.off, r.srcErr)
	}
	if have == 0 {
		return io.EOF
	}
	if have < HeaderLen {
		return r.truncated(have, HeaderLen)
	}
	size := int(le.Uint32(r.buf[r.r+9:]))
	if size < HeaderLen {
		return r.corrupt(fmt.Sprintf("event size %d < %d", size, HeaderLen))
	}
	if have = r.fill(size); have < size {
		if r.srcErr != nil {
			return fmt.Errorf("read binlog %s at %d: %w", r.name, r.off, r.srcErr)
		}
		return r.incomplete(have, size)
	}
	raw := r.buf[r.r : r.r+size]
	if err := r.decode(raw); err != nil {
		return err
	}
	r.raw = raw
	r.r += size
	r.off += int64(size)
	return nil
}

// incomplete decides whether a last event cut short is a crash tail
// (Truncated) or garbage: its header must look like a real one.
func (r *Reader) incomplete(have, size int) error {
	h := r.buf[r.r:]
	t := EventType(h[4])
	logPos := int64(le.Uint32(h[13:]))
	switch {
	case !t.known():
		return r.corrupt(fmt.Sprintf("unknown event type %d with size %d beyond end of file", t, size))
	case r.consistent && r.fde != nil && logPos != r.off+int64(size):
		return r.corrupt(fmt.Sprintf("event size %d beyond end of file and log_pos %d inconsistent", size, logPos))
	}
	return r.truncated(have, size)
}

func (r *Reader) truncated(have, need int) error {
	r.trunc = &Truncated{At: r.off, Have: int64(have), Need: int64(need)}
	return io.EOF
}

func (r *Reader) corrupt(reason string) error {
	return &CorruptError{File: r.name, Offset: r.off, Reason: reason}
}

// decode checks one complete event and fills an Event.
func (r *Reader) decode(raw []byte) error {
	ev := &r.ev
	ev.File, ev.Offset, ev.End, ev.Type = r.name, r.off, r.off+int64(len(raw)), EventType(raw[4])
	ev.Timestamp, ev.ServerID = le.Uint32(raw), le.Uint32(raw[5:])
	ev.MasterEnd, ev.Flags = le.Uint32(raw[13:]), le.Uint16(raw[17:])
	ev.GTID, ev.RotateName, ev.RotatePos, ev.TxStart, ev.TxBoundary = "", "", 0, false, false
	if int64(ev.MasterEnd) != ev.End {
		r.consistent = false
	}
	checksum, err := r.checksumOf(ev, raw)
	if err != nil {
		return err
	}
	body := raw[HeaderLen:]
	if checksum {
		if len(body) < 4 {
			return r.corrupt("event too short for its checksum")
		}
		body = body[:len(body)-4]
		if !r.noVerify {
			if err := r.verifyCRC(raw, ev.Type == FormatDescriptionEvent); err != nil {
				return err
			}
		}
	}
	ev.MasterFile = r.masterFile
	if err := r.interpret(ev, body); err != nil {
		return err
	}
	r.track(ev, body)
	return nil
}

// checksumOf returns whether raw ends in a CRC32, installing a new FDE.
func (r *Reader) checksumOf(ev *Event, raw []byte) (bool, error) {
	if ev.Type != FormatDescriptionEvent {
		if r.cur == nil {
			return false, r.corrupt(fmt.Sprintf("first event is %v, not a Format_description (binlog v4)", ev.Type))
		}
		return r.cur.Checksum(), nil
	}
	f, ok := parseFDE(raw, ev.Offset)
	if !ok {
		return false, r.corrupt("unreadable Format_description event")
	}
	f.raw = append([]byte(nil), raw...)
	f.postHeader = f.raw[HeaderLen+57 : HeaderLen+57+len(f.postHeader)]
	r.cur = &f
	if r.fde == nil {
		r.fde = &f
		if !f.Relay() {
			r.masterFile = r.base
		}
	}
	return f.Checksum(), nil
}

// verifyCRC checks the CRC32 trailer. The server computes an FDE's CRC with
// the in-use flag clear, because it clears the flag in place on close.
func (r *Reader) verifyCRC(raw []byte, fde bool) error {
	n := len(raw) - 4
	want := le.Uint32(raw[n:])
	var got uint32
	if fde && raw[17]&byte(FlagInUse) != 0 {
		got = crc32.Update(0, crc32.IEEETable, raw[:17])
		got = crc32.Update(got, crc32.IEEETable, []byte{raw[17] &^ byte(FlagInUse)})
		got = crc32.Update(got, crc32.IEEETable, raw[18:n])
	} else {
		got = crc32.ChecksumIEEE(raw[:n])
	}
	if got != want {
		return r.corrupt(fmt.Sprintf("CRC32 mismatch (stored %#08x, computed %#08x)", want, got))
	}
	return nil
}

// interpret decodes the few event bodies that matter.
func (r *Reader) interpret(ev *Event, body []byte) error {
	switch ev.Type {
	case RotateEvent:
		pos, name, ok := parseRotate(body)
		if !ok {
			return r.corrupt("short Rotate event")
		}
		ev.RotatePos, ev.RotateName = pos, name
		if r.fde.Relay() && ev.ServerID != r.fde.ServerID {
			// The master's rotate: events after it come from that master file.
			// Its own log_pos (if any) still belongs to the previous file.
			r.masterFile = name
		}
	case MariadbGTIDEvent:
		if r.noVerify {
			return nil
		}
		g, _, ok := mariaGTID(body, ev.ServerID)
		if !ok {
			return r.corrupt("short MariaDB GTID event")
		}
		ev.GTID = g
	case GTIDEvent, GTIDTaggedEvent:
		if r.noVerify {
			return nil
		}
		g, ok := mysqlGTID(body)
		if !ok {
			return r.corrupt("short GTID event")
		}
		ev.GTID = g
	case MariadbStartEncryption:
		return r.corrupt("encrypted binlog (Start_encryption event) is not supported")
	}
	return nil
}

// fill makes at least n bytes available at buf[r:] if the source has them
// and returns how many are available.
func (r *Reader) fill(n int) int {
	for r.w-r.r < n && !r.srcEOF {
		if r.w == len(r.buf) {
			r.makeRoom(n)
		}
		m, err := r.src.Read(r.buf[r.w:])
		r.w += m
		if err != nil {
			r.srcEOF = true
			if !errors.Is(err, io.EOF) {
				r.srcErr = err
			}
		}
	}
	if r.w-r.r < n {
		return r.w - r.r
	}
	return n
}

// makeRoom slides unread bytes to the front, growing the buffer (at most
// doubling) when an event does not fit, so garbage sizes cost no memory.
func (r *Reader) makeRoom(n int) {
	if r.r > 0 {
		copy(r.buf, r.buf[r.r:r.w])
		r.w -= r.r
		r.r = 0
		if r.w < len(r.buf) {
			return
		}
	}
	size := 2 * len(r.buf)
	if n > len(r.buf) && n < size {
		size = n
	}
	nb := make([]byte, size)
	copy(nb, r.buf[:r.w])
	r.buf = nb
}
