package binlog

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
)

// readBufSize is the initial read buffer; events larger than it grow the
// buffer as their bytes arrive (never to more than the data present).
var readBufSize = 1 << 20

// mmapMin is the smallest file Open maps into memory instead of reading it
// (tests raise it to cover the read path).
var mmapMin int64 = 1

// prefetchDist is how far ahead of the current event a walk that does not
// verify CRCs touches a mapped file. (A verifying walk follows the verifier
// goroutine, which has brought the bytes in already: touching only costs.) Walking headers is a chain of dependent
// loads; the touch, independent of the chain, keeps the memory pipeline
// busy (1 GiB: 0.2 s without, 0.12 s with it).
const prefetchDist = 2048

// Reader reads the events of one binlog or relay-log file in order. It
// verifies CRC32 checksums, stops quietly at an incomplete last event, and
// tracks file offsets itself (header log_pos is the master's in relay logs).
type Reader struct {
	name   string
	base   string
	src    io.Reader
	closer io.Closer
	file   *os.File // the file of Open, for re-reading ranges (Extract)
	mapped bool     // buf is the whole file, mapped read-only

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
	noVerify     bool  // walk without CRC checks and GTID decoding (position search, skipping to From)
	lazyGTID     bool  // keep GTIDs raw (lastGTID) instead of formatting Event.GTID
	lastGTID     gtidRaw
	deferCRC     bool // record the first CRC mismatch in badCRC and go on (Extract may trim it)
	// continued: the file continues a stream (Extract's later segment) in
	// the middle of a transaction, so its own format description does not
	// mean the transaction ended.
	continued  bool
	badCRC     error
	verified   int64 // events ending at or before this offset passed a batch CRC check
	ver        *verifier
	txStartAt  int64 // position search: the last transaction start passed, and its FDE (see seekHint)
	txStartFDE *FDE
	scratch    []byte
	sink       byte // target of the prefetch touches
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
	var data []byte
	if hint >= mmapMin {
		data = mapFile(f, hint)
	}
	r, err := newReader(f, path, hint, data)
	if err != nil {
		if data != nil {
			unmapFile(data)
		}
		f.Close()
		return nil, err
	}
	r.closer, r.file = f, f
	return r, nil
}

// NewReader reads a binlog stream (starting with the magic) from src; name
// is used in events and errors.
func NewReader(src io.Reader, name string) (*Reader, error) {
	hint := int64(readBufSize)
	if l, ok := src.(interface{ Len() int }); ok {
		hint = int64(l.Len())
	}
	return newReader(src, name, hint, nil)
}

// newReader reads from the mapped file data when given, else from src with
// a buffer sized for small files: relay logs are often tiny.
func newReader(src io.Reader, name string, size int64, data []byte) (*Reader, error) {
	r := &Reader{
		name: name, base: filepath.Base(name), src: src,
		consistent: true, firstData: -1, lastBoundary: -1,
	}
	if data != nil {
		r.buf, r.w, r.srcEOF, r.mapped = data, len(data), true, true
	} else {
		bufSize := int64(readBufSize)
		if size+1 < bufSize {
			bufSize = max(size+1, 4096)
		}
		r.buf = make([]byte, bufSize)
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
	if r.ver != nil {
		r.ver.stop()
		r.ver = nil
	}
	if r.mapped {
		r.mapped = false
		unmapFile(r.buf)
		r.buf, r.raw, r.r, r.w = nil, nil, 0, 0
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

// Name returns the path the reader was opened with.
func (r *Reader) Name() string { return r.name }

// FDE returns the file's own Format_description event (nil before the first Next).
func (r *Reader) FDE() *FDE { return r.fde }

// CurrentFDE returns the FDE governing the latest event: in relay logs the
// master's FDE once it has been read.
func (r *Reader) CurrentFDE() *FDE { return r.cur }

// Raw returns the bytes of the event last returned by Next, checksum
// included. They are valid until the next call to Next, and never after Close
// (they may be the mapped file itself).
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
func (r *Reader) Next() (ev Event, err error) {
	if r.mapped {
		defer r.endGuard(faultGuard(), &err)
	}
	e, err := r.advance()
	if err != nil {
		return Event{}, err
	}
	return *e, nil
}

// endGuard ends a fault guard, making a fault the reader's sticky error.
func (r *Reader) endGuard(old bool, err *error) {
	debug.SetPanicOnFault(old)
	if e := faultErr(recover(), "read binlog ", r.name); e != nil {
		*err = e
		r.err = e
	}
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
	if r.w-r.r < HeaderLen && r.fill(HeaderLen) < HeaderLen {
		return r.endOfData()
	}
	size := int(le.Uint32(r.buf[r.r+9:]))
	if size < HeaderLen {
		return r.corrupt(fmt.Sprintf("event size %d < %d", size, HeaderLen))
	}
	if r.w-r.r < size && r.fill(size) < size {
		if r.srcErr != nil {
			return r.readErr()
		}
		return r.incomplete(r.w-r.r, size)
	}
	raw := r.buf[r.r : r.r+size]
	if r.noVerify && r.mapped && r.r+prefetchDist < r.w {
		r.sink ^= r.buf[r.r+prefetchDist]
	}
	if err := r.decode(raw); err != nil {
		return err
	}
	r.raw = raw
	r.r += size
	r.off += int64(size)
	return nil
}

// skipTo is a walk's inner loop up to limit over the events that need no
// decoding beyond the transaction state: everything but FDE, Rotate and
// Start_encryption, which it leaves (like an odd size, a cut event or the
// end of the data) to the full decode. No CRC checks, no Event.
func (r *Reader) skipTo(limit int64) {
	if r.cur == nil {
		return
	}
	crcLen := 0
	if r.cur.Checksum() {
		crcLen = 4
	}
	buf, i, w, off := r.buf, r.r, r.w, r.off
	for i+HeaderLen <= w && off < limit {
		h := buf[i : i+HeaderLen]
		size, t := int(le.Uint32(h[9:])), EventType(h[4])
		if size < HeaderLen+crcLen || size > w-i ||
			t == FormatDescriptionEvent || t == RotateEvent || t == MariadbStartEncryption {
			break
		}
		if r.mapped && i+prefetchDist < w {
			r.sink ^= buf[i+prefetchDist]
		}
		end := off + int64(size)
		if r.consistent && int64(le.Uint32(h[13:])) != end {
			r.consistent = false
		}
		if plainData[t] && r.tx == txOpen && r.firstData >= 0 {
			// track's result for a row event inside a transaction: nothing changes
		} else {
			r.track(t, off, end, buf[i+HeaderLen:i+size-crcLen])
		}
		i, off = i+size, end
	}
	r.r, r.off = i, off
}

// endOfData explains why less than a header is left.
func (r *Reader) endOfData() error {
	switch have := r.w - r.r; {
	case r.srcErr != nil:
		return r.readErr()
	case have == 0:
		return io.EOF
	default:
		return r.truncated(have, HeaderLen)
	}
}

func (r *Reader) readErr() error {
	return fmt.Errorf("read binlog %s at %d: %w", r.name, r.off, r.srcErr)
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
	h := raw[:HeaderLen]
	ev.Offset, ev.End, ev.Type = r.off, r.off+int64(len(raw)), EventType(h[4])
	ev.Timestamp, ev.ServerID, ev.MasterEnd = le.Uint32(h), le.Uint32(h[5:]), le.Uint32(h[13:])
	ev.Flags = le.Uint16(h[17:])
	if ev.GTID != "" || ev.RotateName != "" || ev.RotatePos != 0 {
		ev.GTID, ev.RotateName, ev.RotatePos = "", "", 0
	}
	ev.File, ev.MasterFile = r.name, r.masterFile
	if int64(ev.MasterEnd) != ev.End {
		r.consistent = false
	}
	var checksum bool
	if ev.Type != FormatDescriptionEvent && r.cur != nil {
		checksum = r.cur.ChecksumAlg == ChecksumCRC32 // checksumOf's common case, inline
	} else if c, err := r.checksumOf(ev, raw); err != nil {
		return err
	} else {
		checksum = c
		ev.MasterFile = r.masterFile // the first FDE of a binlog names it
	}
	body := raw[HeaderLen:]
	if checksum {
		if len(body) < 4 {
			return r.corrupt("event too short for its checksum")
		}
		body = body[:len(body)-4]
		if !r.noVerify && ev.End > r.verified {
			if err := r.verify(raw, ev.Type == FormatDescriptionEvent); err != nil {
				if !r.deferCRC {
					return err
				}
				if r.badCRC == nil {
					r.badCRC = err
				}
			}
		}
	}
	if err := r.interpret(ev, body); err != nil {
		return err
	}
	ev.TxStart, ev.TxBoundary = r.track(ev.Type, ev.Offset, ev.End, body)
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

// verify checks the current event's CRC32, batched with the events that
// follow it in the buffer when possible (see verifyBatch).
func (r *Reader) verify(raw []byte, fde bool) error {
	if !fde && r.useAsync() {
		if r.verifyAsync(r.off + int64(len(raw))) {
			return nil
		}
	} else if !fde {
		ahead := r.buf[r.r:r.w]
		if need := min(len(ahead), batchSize); len(r.scratch) < need {
			r.scratch = make([]byte, min(batchSize, max(need, len(r.buf))))
		}
		r.verified = r.off + int64(verifyBatch(ahead, r.scratch))
		if r.off+int64(len(raw)) <= r.verified {
			return nil
		}
	}
	return r.verifyCRC(raw, fde)
}

// verifyCRC checks the CRC32 trailer of one event. The server computes an FDE's CRC with
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
	case MariadbGTIDEvent, GTIDEvent, GTIDTaggedEvent:
		if r.noVerify {
			return nil
		}
		if !r.lastGTID.set(ev.Type, ev.ServerID, body) {
			if ev.Type == MariadbGTIDEvent {
				return r.corrupt("short MariaDB GTID event")
			}
			return r.corrupt("short GTID event")
		}
		if !r.lazyGTID {
			ev.GTID = r.lastGTID.String()
		}
	case MariadbStartEncryption:
		return r.corrupt("encrypted binlog (Start_encryption event) is not supported")
	}
	return nil
}

// span returns the bytes [off, end) of the file: from the mapping or the
// read buffer when they are there, else read again from the file.
func (r *Reader) span(off, end int64) ([]byte, error) {
	base := r.off - int64(r.r)
	if off >= base && end <= base+int64(r.w) {
		return r.buf[off-base : end-base], nil
	}
	if r.file == nil {
		return nil, fmt.Errorf("read binlog %s at %d: bytes no longer buffered", r.name, off)
	}
	b := make([]byte, end-off)
	if _, err := r.file.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("read binlog %s at %d: %w", r.name, off, err)
	}
	return b, nil
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
