package binlog

import (
	"bytes"
	"os"
	"sync"
)

// A seek hint lets Extract start near a position FindRelayPosition has just
// found instead of walking the file again from its start (the node agent
// does exactly that: find, then extract from there). The search walk does
// not track transactions, but it notes the last transaction start (a GTID
// or anonymous GTID event) before the position: such an event sets the
// transaction state whatever it was, so a walk from it with full tracking
// reaches the position in the same state as a walk from the file's start.
//
// The hint is used only when it is for the same file (device and inode),
// the file still holds the bytes it was taken from (the header of the
// transaction start and the governing FDEs, flags aside: closing a binlog
// clears its in-use flag), and the position is the one asked for. A stale
// hint is ignored, never trusted.
type seekHint struct {
	path       string
	info       os.FileInfo
	at         int64 // the position found
	txStart    int64 // offset of the last transaction start before at
	header     [HeaderLen]byte
	fde, cur   *FDE
	master     string
	firstData  int64
	consistent bool
}

var lastHint struct {
	sync.Mutex
	h    *seekHint
	used int // hints applied, for tests
}

// noteTxStart remembers where the last transaction start of a walk is.
func (r *Reader) noteTxStart(off int64) {
	r.txStartAt, r.txStartFDE = off, r.cur
}

// saveHint records r's walk for a later Extract from at.
func saveHint(r *Reader, at int64) {
	if !r.mapped || r.file == nil || r.txStartAt < int64(len(Magic)) || r.txStartFDE == nil {
		return
	}
	info, err := r.file.Stat()
	if err != nil {
		return
	}
	h := &seekHint{path: r.name, info: info, at: at, txStart: r.txStartAt, fde: r.fde, cur: r.txStartFDE,
		master: r.masterFile, firstData: r.firstData, consistent: r.consistent}
	copy(h.header[:], r.buf[h.txStart:])
	lastHint.Lock()
	lastHint.h = h
	lastHint.Unlock()
}

// useHint moves a freshly opened r to the transaction start noted before
// from, when a valid hint says where it is. The caller walks on to from.
func useHint(r *Reader, from int64) {
	lastHint.Lock()
	h := lastHint.h
	lastHint.Unlock()
	if h == nil || h.path != r.name || h.at != from || !r.mapped || r.off != int64(len(Magic)) || from > int64(len(r.buf)) {
		return
	}
	info, err := r.file.Stat()
	if err != nil || !os.SameFile(info, h.info) || !bytes.Equal(r.buf[h.txStart:h.txStart+HeaderLen], h.header[:]) ||
		!sameFDE(r.buf, h.fde) || !sameFDE(r.buf, h.cur) {
		return
	}
	lastHint.Lock()
	lastHint.used++
	lastHint.Unlock()
	r.fde, r.cur, r.masterFile, r.firstData, r.consistent = h.fde, h.cur, h.master, h.firstData, h.consistent
	r.tx, r.lastBoundary = txUnknown, -1
	r.r, r.off = int(h.txStart), h.txStart
}

// sameFDE reports whether data still holds f at its offset, flags aside.
func sameFDE(data []byte, f *FDE) bool {
	end := f.Offset + int64(len(f.raw))
	if end > int64(len(data)) {
		return false
	}
	b := data[f.Offset:end]
	return bytes.Equal(b[:17], f.raw[:17]) && bytes.Equal(b[19:], f.raw[19:])
}
