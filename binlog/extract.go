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
	// Truncated is the incomplete last event of the last segment, if any.
	Truncated *Truncated
}

type extractOpts struct {
	skipServerID uint32
	allowMidTx   bool
	keepTail     bool
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
func Extract(w io.Writer, segments []Segment, opts ...ExtractOption) (ExtractStats, error) {
	var o extractOpts
	for _, f := range opts {
		f(&o)
	}
	if len(segments) == 0 {
		return ExtractStats{}, errors.New("extract: no segments")
	}
	x := extractor{opts: o, segs: segments, out: bufio.NewWriterSize(w, 1<<20)}
	if err := x.planStop(); err != nil {
		return x.stats, err
	}
	for i := range segments {
		if i > x.stopSeg {
			break
		}
		if err := x.copySegment(i); err != nil {
			return x.stats, err
		}
	}
	if err := x.writeHeader(); err != nil {
		return x.stats, err
	}
	if err := x.out.Flush(); err != nil {
		return x.stats, fmt.Errorf("extract: write: %w", err)
	}
	return x.stats, nil
}

type extractor struct {
	opts    extractOpts
	segs    []Segment
	out     *bufio.Writer
	stats   ExtractStats
	stopSeg int
	stopAt  int64 // in segs[stopSeg]; -1 means to the end
	outFDE  *FDE
	headerW bool
	tx      txState
	scratch []byte
}

// planStop finds where copying ends: the last segment's To, or the last
// transaction boundary, searching segments backwards.
func (x *extractor) planStop() error {
	last := len(x.segs) - 1
	x.stopSeg, x.stopAt = last, -1
	if x.segs[last].To > 0 || x.opts.keepTail {
		x.stopAt = x.segs[last].To
		if x.stopAt == 0 {
			x.stopAt = -1
		}
		return nil
	}
	for i := last; i >= 0; i-- {
		b, trunc, err := lastBoundary(x.segs[i])
		if err != nil {
			return err
		}
		if i == last {
			x.stats.Truncated = trunc
		}
		if b >= 0 {
			x.stopSeg, x.stopAt = i, b
			return nil
		}
	}
	x.stopSeg, x.stopAt = 0, max(x.segs[0].From, int64(len(Magic)))
	return nil
}

// lastBoundary returns the last transaction boundary in seg at or after its
// From (-1 if none), and the file's incomplete last event.
func lastBoundary(seg Segment) (int64, *Truncated, error) {
	r, err := Open(seg.File)
	if err != nil {
		return 0, nil, err
	}
	defer r.Close()
	r.noVerify = true // the copy pass verifies every event it writes
	for {
		if seg.To > 0 && r.Offset() >= seg.To {
			break
		}
		if _, err := r.advance(); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return 0, nil, err
		}
	}
	if b := r.LastTxBoundary(); b >= seg.From {
		return b, r.Truncated(), nil
	}
	return -1, r.Truncated(), nil
}

func (x *extractor) copySegment(i int) error {
	seg := x.segs[i]
	r, err := Open(seg.File)
	if err != nil {
		return err
	}
	defer r.Close()
	if i > 0 {
		r.tx = x.tx
	}
	if err := x.seek(r, i, seg.From); err != nil {
		return err
	}
	limit := seg.To
	if limit == 0 {
		limit = -1
	}
	if i == x.stopSeg {
		limit = x.stopAt
	}
	if err := x.copyEvents(r, i, limit); err != nil {
		return err
	}
	x.tx = r.tx
	x.stats.StopFile, x.stats.StopOffset = seg.File, r.Offset()
	return nil
}

// seek reads up to from, which must be an event boundary (and, for the
// first segment, a transaction boundary).
func (x *extractor) seek(r *Reader, i int, from int64) error {
	for r.Offset() < from {
		if _, err := r.Next(); errors.Is(err, io.EOF) {
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

func (x *extractor) copyEvents(r *Reader, i int, limit int64) error {
	last := i == len(x.segs)-1
	for limit < 0 || r.Offset() < limit {
		ev, err := r.advance()
		if errors.Is(err, io.EOF) {
			if last {
				x.stats.Truncated = r.Truncated()
			}
			break
		}
		if err != nil {
			return err
		}
		if limit >= 0 && ev.End > limit {
			return fmt.Errorf("extract %s to %d: %w (event %d-%d)", r.name, limit, ErrNotEventBoundary, ev.Offset, ev.End)
		}
		if ev.Type.IsHeader() || (x.opts.skipServerID != 0 && ev.ServerID == x.opts.skipServerID) {
			continue
		}
		if err := x.copyEvent(r, ev); err != nil {
			return err
		}
	}
	if i == x.stopSeg && limit >= 0 && x.segs[i].To == 0 {
		x.stats.Trimmed = countAfter(r)
	}
	return nil
}

// countAfter counts the complete events left in r (the trimmed tail).
func countAfter(r *Reader) int {
	n := 0
	for {
		ev, err := r.Next()
		if err != nil {
			return n
		}
		if !ev.Type.IsHeader() {
			n++
		}
	}
}

func (x *extractor) copyEvent(r *Reader, ev *Event) error {
	if x.outFDE == nil {
		x.outFDE = r.CurrentFDE()
	}
	if err := x.writeHeader(); err != nil {
		return err
	}
	n, err := x.writeEvent(r.Raw(), r.CurrentFDE().Checksum())
	if err != nil {
		return err
	}
	x.stats.Bytes += int64(n)
	x.stats.Events++
	if ev.TxBoundary {
		x.stats.Transactions++
	}
	if ev.GTID != "" {
		if x.stats.FirstGTID == "" {
			x.stats.FirstGTID = ev.GTID
		}
		x.stats.LastGTID = ev.GTID
	}
	return nil
}

// writeEvent writes raw, adding or removing the CRC32 trailer when the
// event's checksum setting differs from the output FDE's.
func (x *extractor) writeEvent(raw []byte, hasCRC bool) (int, error) {
	want := x.outFDE.Checksum()
	if hasCRC == want {
		return x.write(raw)
	}
	body := raw
	if hasCRC {
		body = raw[:len(raw)-4]
	}
	x.scratch = append(x.scratch[:0], body...)
	if want {
		x.scratch = append(x.scratch, 0, 0, 0, 0)
	}
	le.PutUint32(x.scratch[9:], uint32(len(x.scratch)))
	if want {
		n := len(x.scratch) - 4
		le.PutUint32(x.scratch[n:], crc32.ChecksumIEEE(x.scratch[:n]))
	}
	return x.write(x.scratch)
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
