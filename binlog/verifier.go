package binlog

import (
	"hash/crc32"
	"runtime"
	"runtime/debug"
	"sync"
)

// asyncMin is the smallest remainder of a mapped file whose CRC32s are
// checked by a verifier goroutine, on another core, while the Reader
// decodes (tests lower it to cover the verifier on small fixtures).
var asyncMin int64 = 8 << 20

// verifyLead is how far the verifier may run ahead of what the Reader has
// asked for, so that a reader stopping early (ScanFile with a callback that
// ends the scan) does not make it verify the rest of a large file.
const verifyLead = 32 << 20

// verifier checks the CRC32s of a mapped file ahead of its Reader. It
// starts at an event boundary the Reader gives it and walks the same event
// sizes, so its batches line up with the Reader's events. It stops
// ("stalls") at the first event it leaves to the Reader: an FDE (which has
// its own in-use rule and may switch checksums off), an odd or incomplete
// event, or a damaged one; the Reader checks that event itself and starts a
// new verifier after it when needed.
type verifier struct {
	data    []byte
	mu      sync.Mutex
	cond    sync.Cond
	done    int64 // events ending at or before done are verified
	want    int64 // verify up to here, then wait for more demand
	stalled bool  // stopped for good at done
	quit    bool
	exited  chan struct{}
}

func startVerifier(data []byte, from int64) *verifier {
	v := &verifier{data: data, done: from, want: from + verifyLead, exited: make(chan struct{})}
	v.cond.L = &v.mu
	go v.run()
	return v
}

// useAsync reports whether a verifier pays off for what is left of r.
func (r *Reader) useAsync() bool {
	return r.mapped && int64(len(r.buf))-r.off >= asyncMin && runtime.GOMAXPROCS(0) > 1
}

func (v *verifier) run() {
	defer close(v.exited)
	at := v.start()
	defer func() {
		// A fault (the file shrank) stalls the verifier; the Reader then
		// meets the fault itself, under its own guard.
		recover()
		v.mu.Lock()
		v.stalled = true
		v.cond.Broadcast()
		v.mu.Unlock()
	}()
	debug.SetPanicOnFault(true)
	scratch := make([]byte, min(batchSize, len(v.data)))
	for at >= 0 {
		n := v.step(v.data[at:], scratch)
		at = v.advance(at, n)
	}
}

func (v *verifier) start() int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.done
}

// advance publishes n more verified bytes after at and waits while the
// verifier is far enough ahead. It returns where to go on, -1 to stop.
func (v *verifier) advance(at int64, n int) int64 {
	v.mu.Lock()
	defer v.mu.Unlock()
	at += int64(n)
	v.done = at
	v.cond.Broadcast()
	for !v.quit && n > 0 && at >= v.want {
		v.cond.Wait()
	}
	if v.quit || n == 0 {
		return -1
	}
	return at
}

// step verifies the batch (or the one large event) at the start of src and
// returns its length, 0 when it must stall there.
func (v *verifier) step(src, scratch []byte) int {
	if len(src) < HeaderLen {
		return 0
	}
	size := int(le.Uint32(src[9:]))
	if size > len(scratch) && size <= len(src) && EventType(src[4]) != FormatDescriptionEvent {
		if crc32.ChecksumIEEE(src[:size]) == crcResidue {
			return size
		}
		return 0
	}
	return verifyBatch(src, scratch)
}

// await raises the demand to want and waits until need is verified or the
// verifier stalled before it.
func (v *verifier) await(need, want int64) (done int64, stalled bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if want > v.want {
		v.want = want
		v.cond.Broadcast()
	}
	for v.done < need && !v.stalled {
		v.cond.Wait()
	}
	return v.done, v.stalled
}

// stop ends the goroutine and waits for it: the mapping must outlive it.
func (v *verifier) stop() {
	v.mu.Lock()
	v.quit = true
	v.cond.Broadcast()
	v.mu.Unlock()
	<-v.exited
}

// verifyAsync makes sure the event [r.off, end) is verified by a verifier,
// starting one when needed. false: the verifier stalled at this event, which
// the caller must check itself.
func (r *Reader) verifyAsync(end int64) bool {
	for {
		if r.ver == nil {
			r.ver = startVerifier(r.buf, r.off)
		}
		done, stalled := r.ver.await(end, end+verifyLead)
		if done >= end {
			// Come back for more before the verifier runs out of demand.
			r.verified = min(done, end+verifyLead/4)
			return true
		}
		r.ver.stop()
		r.ver = nil
		if stalled && done == r.off {
			return false
		}
	}
}
