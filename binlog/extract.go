package binlog

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"path/filepath"
)

// Segment is a byte range of one binlog or relay-log file. From 0 (or 4)
// means from the first event; To 0 means to the end (see Extract for how the
// end is trimmed).
type Segment struct {
	File string
	From int64
	To   int64
}

// ExtractStats counts what Extract wrote.
type ExtractStats struct {
	Bytes        int64 // everything written, magic and FDE included
	Events       int   // copied events (the output FDE not counted)
	Transactions int   // copied events that end a transaction
	FirstGTID    string
	LastGTID     string
	// StopFile/StopOffset is where copying ended in the input.
	StopFile   string
	StopOffset int64
	// Trimmed counts the complete events left out at the end because they
	// belong to a transaction that does not end in the input.
	Trimmed int
	// OpenTail counts the events kept at the end (KeepIncompleteTail, or a
	// segment cut at To) of a transaction that does not end in the input.
	OpenTail int
	// Truncated is the incomplete last event of the last segment, if any.
	Truncated *Truncated
	// Skipped counts the whole transactions SkipTransactions left out,
	// with the first and last of their GTIDs.
	Skipped          int
	SkippedFirstGTID string
	SkippedLastGTID  string
}

type extractOpts struct {
	skipServerID uint32
	allowMidTx   bool
	keepTail     bool
	executed     func(gtid string) bool
	commitEnds   *[]int64
}

// ExtractOption changes how Extract and SaveFrom work.
type ExtractOption func(*extractOpts)

// SkipServerID drops events written by this server (a relay log owner's own
// events, as MHA does).
func SkipServerID(id uint32) ExtractOption { return func(o *extractOpts) { o.skipServerID = id } }

// AllowMidTransaction lets the first segment start inside a transaction: for
// MHA-style pieces (relay diff, saved master binlog) that continue a
// transaction begun in another stream and are replayed together with it.
func AllowMidTransaction() ExtractOption { return func(o *extractOpts) { o.allowMidTx = true } }

// KeepIncompleteTail copies the events of a trailing transaction that has no
// end in the input instead of stopping at the last transaction boundary.
func KeepIncompleteTail() ExtractOption { return func(o *extractOpts) { o.keepTail = true } }

// CommitEnds appends to ends, for each copied transaction, where it ends in
// the output counted from the first byte after the header (magic and FDE):
// whoever replays the output can tell from a read offset how many
// transactions went through.
func CommitEnds(ends *[]int64) ExtractOption { return func(o *extractOpts) { o.commitEnds = ends } }

// SkipTransactions leaves out every whole transaction whose GTID executed
// reports true: the target server has it already, and replaying it again
// would apply it twice. executed gets the GTID as ExtractStats shows it
// ("domain-server-seq" or "uuid:gno"). Transactions without a GTID event
// (anonymous, or the tail of one begun before the first segment) and
// MySQL tagged GTIDs, which this reader does not decode, are always kept.
func SkipTransactions(executed func(gtid string) bool) ExtractOption {
	return func(o *extractOpts) { o.executed = executed }
}

// Extract writes the segments as ONE binlog stream: the magic, one FDE (the
// one governing the first segment's events at From: the file's own FDE for a
// binlog, the master's FDE for a relay log; in-use and relay flags cleared,
// CRC recomputed), then every data event of every segment in order. Log
// header events (FDE, Rotate, Stop, Previous_gtids, Gtid_list,
// Binlog_checkpoint, Heartbeat) are dropped, so mariadb-binlog and
// mysqlbinlog read the result end to end.
//
// Copied events keep their header log_pos (the master's end_log_pos in relay
// logs), so end_log_pos in the output is not the output offset; binlog
// readers and the server's BINLOG statement do not use it.
//
// The first segment must start at a transaction boundary (ErrMidTransaction
// unless AllowMidTransaction), and every From/To must be an event boundary
// (ErrNotEventBoundary). A relay log that itself begins inside a
// transaction cannot tell so: From at its first data event is accepted.
// Without a To on the last segment the output ends at
// the last transaction boundary: an incomplete last event or an unfinished
// transaction (a crashed master) is left out and reported in the stats.
//
// Every copied event's CRC32 is verified (a damaged event in the trimmed
// tail is left out like the rest of it, not reported); events before From
// are only walked. The input is read once: copied events are written as
// byte ranges of the files, a range at a time, once a transaction boundary
// confirms them.
func Extract(w io.Writer, segments []Segment, opts ...ExtractOption) (st ExtractStats, err error) {
	var o extractOpts
	for _, f := range opts {
		f(&o)
	}
	if len(segments) == 0 {
		return ExtractStats{}, errors.New("extract: no segments")
	}
	x := &extractor{opts: o, segs: segments, out: bufio.NewWriterSize(w, 1<<20)}
	defer x.closeAll()
	defer endFaultGuard(faultGuard(), "extract", &err)
	for i := range segments {
		if err := x.segment(i); err != nil {
			return x.stats, err
		}
	}
	if err := x.finish(); err != nil {
		return x.stats, err
	}
	return x.stats, nil
}

// flushAt is how many confirmed bytes of one range are gathered before
// they are written.
const flushAt = 4 << 20

type extractor struct {
	opts    extractOpts
	segs    []Segment
	out     *bufio.Writer
	stats   ExtractStats
	readers []*Reader // open while their bytes may still be written
	outFDE  *FDE
	headerW bool
	tx      txState

	// pend: the events taken since the last transaction boundary; done:
	// confirmed by a boundary, not written yet.
	pend, done []piece
	pendEvents int     // copied events in pend
	pendTx     int     // of which end a transaction
	pendData   int     // data events met since the boundary, copied or not (Trimmed)
	pendFirst  gtidRaw // first and last GTID in pend
	pendLast   gtidRaw
	lastGTID   gtidRaw // of the confirmed events
	badCRC     error   // first CRC mismatch: fatal once a boundary after it is confirmed
	skipping   bool    // inside a transaction SkipTransactions leaves out
	skipGTID   gtidRaw // its GTID
	dataBytes  int64   // confirmed output after the header
}

// piece is a byte range of one input file, or a re-encoded event.
type piece struct {
	r        *Reader
	off, end int64
	own      []byte
}

func (p piece) size() int64 {
	if p.own != nil {
		return int64(len(p.own))
	}
	return p.end - p.off
}

func (x *extractor) segment(i int) error {
	seg := x.segs[i]
	r, err := Open(seg.File)
	if err != nil {
		return err
	}
	x.readers = append(x.readers, r)
	r.lazyGTID, r.deferCRC = true, true
	if i > 0 {
		// Segments are one stream: a transaction open at the end of the
		// last one goes on here, whatever this file's header says.
		r.tx = x.tx
		r.continued = x.tx == txOpen || x.tx == txPending
	}
	if err := x.seek(r, i, seg.From); err != nil {
		return err
	}
	if i == 0 {
		x.stats.StopFile, x.stats.StopOffset = seg.File, r.Offset()
	}
	limit := seg.To
	if limit == 0 {
		limit = -1
	}
	if err := x.copyEvents(r, i, limit); err != nil {
		return err
	}
	x.tx = r.tx
	x.release()
	return nil
}

// seek walks up to from, which must be an event boundary (and, for the
// first segment, a transaction boundary). Nothing before from is copied, so
// its CRCs are not checked.
func (x *extractor) seek(r *Reader, i int, from int64) error {
	r.noVerify = true
	defer func() { r.noVerify = false }()
	useHint(r, from)
	for r.Offset() < from {
		if r.skipTo(from); r.Offset() >= from {
			break
		}
		if _, err := r.advance(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return err
		}
	}
	if r.Offset() != from && from > int64(len(Magic)) {
		return fmt.Errorf("extract %s from %d: %w (events end at %d)", r.name, from, ErrNotEventBoundary, r.Offset())
	}
	if i == 0 && r.InTransaction() && !x.opts.allowMidTx {
		return fmt.Errorf("extract %s from %d: %w", r.name, from, ErrMidTransaction)
	}
	return nil
}

// copyEvents takes the events of r up to limit (-1: the end), confirming
// them at each transaction boundary.
func (x *extractor) copyEvents(r *Reader, i int, limit int64) error {
	for limit < 0 || r.Offset() < limit {
		x.takePlain(r, limit)
		before := r.lastBoundary
		ev, err := r.advance()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return err
			}
			if i == len(x.segs)-1 {
				x.stats.Truncated = r.Truncated()
			}
			return nil
		}
		if limit >= 0 && ev.End > limit {
			return fmt.Errorf("extract %s to %d: %w (event %d-%d)", r.name, limit, ErrNotEventBoundary, ev.Offset, ev.End)
		}
		if r.badCRC != nil && x.badCRC == nil {
			x.badCRC = r.badCRC
		}
		b := r.lastBoundary
		if b != before && b == ev.Offset {
			if err := x.confirm(r, b); err != nil {
				return err
			}
		}
		x.take(r, ev)
		if b != before && b == ev.End {
			if err := x.confirm(r, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// takePlain is copyEvents' inner loop for the bulk of a transaction: row
// events (plainData) inside an open transaction, CRC already verified,
// extending the last pending range. They need neither an Event nor a
// change of the transaction state, so only their headers are read. It
// stops before any other event for the full path.
func (x *extractor) takePlain(r *Reader, limit int64) {
	n := len(x.pend)
	if x.skipping || n == 0 || x.pend[n-1].r != r || x.pend[n-1].end != r.off || r.tx != txOpen || r.firstData < 0 || r.cur == nil {
		return
	}
	crcLen, verified := 0, int64(1<<62)
	if r.cur.Checksum() {
		crcLen, verified = 4, r.verified
	}
	if limit >= 0 {
		verified = min(verified, limit)
	}
	skip, buf, i, w, off, count := x.opts.skipServerID, r.buf, r.r, r.w, r.off, 0
	for i+HeaderLen <= w {
		h := buf[i : i+HeaderLen]
		size, t := int(le.Uint32(h[9:])), EventType(h[4])
		end := off + int64(size)
		if !plainData[t] || size < HeaderLen+crcLen || size > w-i || end > verified ||
			(skip != 0 && le.Uint32(h[5:]) == skip) {
			break
		}
		if r.consistent && int64(le.Uint32(h[13:])) != end {
			r.consistent = false
		}
		i, off, count = i+size, end, count+1
	}
	r.r, r.off = i, off
	x.pend[n-1].end = off
	x.pendEvents += count
	x.pendData += count
}

// take adds a data event to the pending ones (header events and those of
// the skipped server are only counted).
func (x *extractor) take(r *Reader, ev *Event) {
	if ev.Type.IsHeader() {
		return
	}
	x.pendData++
	if x.opts.skipServerID != 0 && ev.ServerID == x.opts.skipServerID {
		return
	}
	if x.skipped(r, ev) {
		return
	}
	if x.outFDE == nil {
		x.outFDE = r.CurrentFDE()
	}
	x.pendEvents++
	if ev.TxBoundary {
		x.pendTx++
	}
	switch ev.Type {
	case MariadbGTIDEvent, GTIDEvent, GTIDTaggedEvent:
		if x.pendFirst.typ == 0 {
			x.pendFirst = r.lastGTID
		}
		x.pendLast = r.lastGTID
	}
	if has := r.CurrentFDE().Checksum(); has != x.outFDE.Checksum() {
		x.pend = append(x.pend, piece{own: reencode(r.Raw(), has, x.outFDE.Checksum())})
		return
	}
	if n := len(x.pend); n > 0 && x.pend[n-1].r == r && x.pend[n-1].end == ev.Offset {
		x.pend[n-1].end = ev.End
		return
	}
	x.pend = append(x.pend, piece{r: r, off: ev.Offset, end: ev.End})
}

// skipped reports whether ev belongs to a transaction SkipTransactions
// leaves out; a transaction's GTID event decides for all its events.
func (x *extractor) skipped(r *Reader, ev *Event) bool {
	if x.opts.executed == nil {
		return false
	}
	switch ev.Type {
	case MariadbGTIDEvent, GTIDEvent:
		x.skipGTID = r.lastGTID
		x.skipping = x.opts.executed(r.lastGTID.String())
	case AnonymousGTIDEvent, GTIDTaggedEvent:
		x.skipping = false
	}
	if x.skipping && ev.TxBoundary {
		x.endSkip()
		return true
	}
	return x.skipping
}

// endSkip counts the transaction being skipped as left out.
func (x *extractor) endSkip() {
	g := x.skipGTID.String()
	if x.stats.Skipped == 0 {
		x.stats.SkippedFirstGTID = g
	}
	x.stats.Skipped++
	x.stats.SkippedLastGTID = g
	x.skipping = false
}

// confirm makes the pending events part of the output: a transaction
// boundary at r's offset b follows them.
func (x *extractor) confirm(r *Reader, b int64) error {
	if x.badCRC != nil {
		return x.badCRC
	}
	x.stats.StopFile, x.stats.StopOffset = r.name, b
	x.pendData = 0
	if x.pendEvents == 0 {
		return nil
	}
	x.stats.Events += x.pendEvents
	x.stats.Transactions += x.pendTx
	for _, p := range x.pend {
		x.dataBytes += p.size()
	}
	if x.opts.commitEnds != nil {
		for range x.pendTx {
			*x.opts.commitEnds = append(*x.opts.commitEnds, x.dataBytes)
		}
	}
	if x.stats.FirstGTID == "" && x.pendFirst.typ != 0 {
		x.stats.FirstGTID = x.pendFirst.String()
	}
	if x.pendLast.typ != 0 {
		x.lastGTID = x.pendLast
	}
	x.pendEvents, x.pendTx, x.pendFirst, x.pendLast = 0, 0, gtidRaw{}, gtidRaw{}
	for _, p := range x.pend {
		if n := len(x.done); n > 0 && p.own == nil && x.done[n-1].r == p.r && x.done[n-1].end == p.off {
			x.done[n-1].end = p.end
		} else {
			x.done = append(x.done, p)
		}
	}
	x.pend = x.pend[:0]
	// The last range may still grow with the next transaction.
	keep := 1
	if x.done[len(x.done)-1].size() >= flushAt {
		keep = 0
	}
	return x.writeDone(keep)
}

// writeDone writes the confirmed pieces but the last keep ones.
func (x *extractor) writeDone(keep int) error {
	n := len(x.done) - keep
	if n <= 0 {
		return nil
	}
	if err := x.writeHeader(); err != nil {
		return err
	}
	for _, p := range x.done[:n] {
		b := p.own
		if b == nil {
			var err error
			if b, err = p.r.span(p.off, p.end); err != nil {
				return err
			}
		}
		m, err := x.write(b)
		x.stats.Bytes += int64(m)
		if err != nil {
			return err
		}
	}
	x.done = append(x.done[:0], x.done[n:]...)
	return nil
}

// finish confirms or trims what is pending, writes the rest and flushes.
func (x *extractor) finish() error {
	last := len(x.segs) - 1
	if x.opts.keepTail || x.segs[last].To > 0 {
		if x.skipping { // its unfinished tail is left out with the rest of it
			x.endSkip()
		}
		r := x.readers[len(x.readers)-1]
		x.stats.OpenTail = x.pendEvents
		if err := x.confirm(r, r.Offset()); err != nil {
			return err
		}
	} else {
		x.stats.Trimmed = x.pendData
		x.pend = x.pend[:0]
	}
	if err := x.writeDone(0); err != nil {
		return err
	}
	if x.stats.Events == 0 {
		x.outFDE = nil // as if nothing had been taken: the first segment's FDE
	}
	if err := x.writeHeader(); err != nil {
		return err
	}
	x.stats.LastGTID = x.lastGTID.String()
	if err := x.out.Flush(); err != nil {
		return fmt.Errorf("extract: write: %w", err)
	}
	return nil
}

// release closes the readers of finished segments that no piece needs.
func (x *extractor) release() {
	keep := x.readers[:0]
	for i, r := range x.readers {
		if i == len(x.readers)-1 || x.uses(r) {
			keep = append(keep, r)
		} else {
			r.Close()
		}
	}
	clear(x.readers[len(keep):])
	x.readers = keep
}

func (x *extractor) uses(r *Reader) bool {
	for _, p := range append(x.pend, x.done...) {
		if p.r == r {
			return true
		}
	}
	return false
}

func (x *extractor) closeAll() {
	for _, r := range x.readers {
		r.Close()
	}
}

// reencode returns raw with the CRC32 trailer added or removed, for an
// output whose FDE's checksum setting differs from the event's.
func reencode(raw []byte, hasCRC, want bool) []byte {
	body := raw
	if hasCRC {
		body = raw[:len(raw)-4]
	}
	b := append([]byte(nil), body...)
	if want {
		b = append(b, 0, 0, 0, 0)
	}
	le.PutUint32(b[9:], uint32(len(b)))
	if want {
		n := len(b) - 4
		le.PutUint32(b[n:], crc32.ChecksumIEEE(b[:n]))
	}
	return b
}

func (x *extractor) write(b []byte) (int, error) {
	n, err := x.out.Write(b)
	if err != nil {
		return n, fmt.Errorf("extract: write: %w", err)
	}
	return n, nil
}

// writeHeader writes the magic and the output FDE once.
func (x *extractor) writeHeader() error {
	if x.headerW {
		return nil
	}
	if x.outFDE == nil {
		f, err := firstFDE(x.segs[0].File)
		if err != nil {
			return err
		}
		x.outFDE = f
	}
	x.headerW = true
	fde := append([]byte(nil), x.outFDE.raw...)
	flags := le.Uint16(fde[17:]) &^ (FlagInUse | FlagRelayLog)
	le.PutUint16(fde[17:], flags)
	le.PutUint32(fde[13:], uint32(len(Magic)+len(fde)))
	if x.outFDE.Checksum() {
		n := len(fde) - 4
		le.PutUint32(fde[n:], crc32.ChecksumIEEE(fde[:n]))
	}
	for _, b := range [][]byte{[]byte(Magic), fde} {
		n, err := x.write(b)
		x.stats.Bytes += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// firstFDE returns the last FDE before the first data event of path.
func firstFDE(path string) (*FDE, error) {
	r, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for {
		ev, err := r.Next()
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, err
		}
		if err != nil || !ev.Type.IsHeader() {
			break
		}
	}
	if r.CurrentFDE() == nil {
		return nil, fmt.Errorf("extract: %s has no Format_description event", path)
	}
	return r.CurrentFDE(), nil
}

// SaveFrom is MHA's save_binary_logs: it writes dir/startFile from startPos
// (0 or 4: from the first event), then every later binlog with the same
// prefix up to the newest, as one stream (see Extract). startPos must be an
// event boundary. When nothing follows startPos the stats have Events == 0.
func SaveFrom(w io.Writer, dir, startFile string, startPos int64, opts ...ExtractOption) (ExtractStats, error) {
	base := filepath.Base(startFile)
	prefix, num := splitBinlogName(base)
	if num == "" {
		return ExtractStats{}, fmt.Errorf("save binlogs: %q is not a binlog file name (prefix.NNNNNN)", startFile)
	}
	files, err := ListBinlogs(dir, prefix)
	if err != nil {
		return ExtractStats{}, err
	}
	var segs []Segment
	for _, f := range files {
		if c := CompareBinlogNames(f, base); c > 0 {
			segs = append(segs, Segment{File: f})
		} else if c == 0 {
			segs = append(segs, Segment{File: f, From: startPos})
		}
	}
	if len(segs) == 0 || filepath.Base(segs[0].File) != base {
		return ExtractStats{}, fmt.Errorf("save binlogs: %s not found in %s", base, dir)
	}
	return Extract(w, segs, opts...)
}
