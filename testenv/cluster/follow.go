package cluster

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Window is one worker's write-blocked window, measured by the client:
// from sending its first INSERT that was refused to the acknowledgement of
// the next INSERT that was accepted (the same row, retried). It therefore
// includes the time the worker took to find the writable address: at most
// one retry pause (10 ms) plus one round over the addresses.
type Window struct {
	Worker     int
	Start, End time.Time
	From, To   string // the address that refused first, the one that accepted
	Refused    int    // refused attempts within the window
	// Open: no address accepted before the load ended; End is the end.
	Open bool
}

// Duration is End - Start.
func (w Window) Duration() time.Duration { return w.End.Sub(w.Start) }

// Retry pace of a follow load: a worker that found no writable address
// pauses minRetryPause, doubling each round up to LoadOptions.MaxRetryPause.
const (
	minRetryPause        = time.Millisecond
	defaultMaxRetryPause = 10 * time.Millisecond
)

// MySQL/MariaDB error numbers a follow load takes as "not writable here".
const (
	erServerShutdown          = 1053
	erOptionPreventsStatement = 1290 // read_only
	erReadOnlyTransaction     = 1792
	erReadOnlyMode            = 1836 // MySQL super_read_only
	erConnectionKilled        = 1927 // MariaDB: KILL CONNECTION by the tool
)

// refused tells whether an INSERT's error means "this address does not
// take writes now" (go on elsewhere), as opposed to a fault of the load
// itself (bad grant, missing table), which ends it.
func refused(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case erServerShutdown, erOptionPreventsStatement, erReadOnlyTransaction, erReadOnlyMode, erConnectionKilled:
			return true
		}
		return false
	}
	var ne net.Error
	// A connection the tool killed can also surface as a protocol error.
	return errors.As(err, &ne) || errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, mysql.ErrPktSync) || errors.Is(err, mysql.ErrPktSyncMul) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, context.DeadlineExceeded)
}

// retryPause is the pause after the round-th fruitless round (0-based),
// at most maxPause.
func retryPause(round int, maxPause time.Duration) time.Duration {
	if round >= 20 { // 1 ms << 20 is beyond any sensible cap, and no overflow
		return maxPause
	}
	return min(minRetryPause<<round, maxPause)
}

// scanOrder lists the n addresses starting after cur, cur last: the one
// that just refused is the least likely to accept.
func scanOrder(cur, n int) []int {
	out := make([]int, 0, n)
	for k := 1; k <= n; k++ {
		out = append(out, (cur+k)%n)
	}
	return out
}

// blockedSpans returns the longest span of the union of the windows and
// the longest single window.
func blockedSpans(ws []Window) (union, single time.Duration) {
	sorted := slices.Clone(ws)
	slices.SortFunc(sorted, func(a, b Window) int { return a.Start.Compare(b.Start) })
	var start, end time.Time
	for k, w := range sorted {
		single = max(single, w.Duration())
		if k == 0 || w.Start.After(end) {
			start, end = w.Start, w.End
		} else if w.End.After(end) {
			end = w.End
		}
		union = max(union, end.Sub(start))
	}
	return union, single
}

// startFollowLoad opens one pool of AppUser per address.
func (c *Cluster) startFollowLoad(ctx context.Context, opts LoadOptions) (*Load, error) {
	addrs := opts.Addrs
	if len(addrs) == 0 {
		addrs = []string{c.MySQLAddr(opts.Host)}
		for i := 1; i <= c.opts.Hosts; i++ {
			if i != opts.Host {
				addrs = append(addrs, c.MySQLAddr(i))
			}
		}
	}
	dbs := make([]*sql.DB, 0, len(addrs))
	for _, a := range addrs {
		db, err := openPool(c.appConfig(a), opts.Workers)
		if err != nil {
			for _, d := range dbs {
				d.Close()
			}
			return nil, fmt.Errorf("follow load connector for %s: %w", a, err)
		}
		dbs = append(dbs, db)
	}
	return startLoad(ctx, opts, addrs, dbs), nil
}

// followWorker writes rows until the load ends; a refused row is retried
// until an address accepts it.
func (r *loadRun) followWorker(w int) {
	cur := 0
	for r.ctx.Err() == nil && r.next.Add(1) <= r.rows {
		var ok bool
		if cur, ok = r.writeRow(w, cur); !ok {
			return
		}
	}
}

// writeRow inserts one row on address cur, else searches for an address
// that takes it; it returns the address that did and false when the load
// must end for this worker.
func (r *loadRun) writeRow(w, cur int) (int, bool) {
	var win *Window
	try := func(k int) (accepted, fatal bool) {
		t0 := time.Now()
		id, err := r.insert(k, w)
		if err == nil {
			r.accept(k, id, win)
			return true, false
		}
		if !refused(err) {
			r.fail(err, false)
			r.stop()
			return false, true
		}
		if win == nil {
			win = &Window{Worker: w, Start: t0, From: r.addrs[k]}
		}
		win.Refused++
		r.fail(err, true)
		return false, false
	}
	if ok, fatal := try(cur); ok || fatal {
		return cur, ok
	}
	for round := 0; r.ctx.Err() == nil; round++ {
		for _, k := range scanOrder(cur, len(r.addrs)) {
			if ok, fatal := try(k); ok || fatal {
				return k, ok
			}
			if r.ctx.Err() != nil {
				break
			}
		}
		select {
		case <-r.ctx.Done():
		case <-time.After(retryPause(round, r.pause)):
		}
	}
	win.End, win.Open = time.Now(), true
	r.mu.Lock()
	r.windows = append(r.windows, *win)
	r.mu.Unlock()
	return cur, false
}

func (r *loadRun) accept(k int, id int64, win *Window) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.acked[k] = append(r.acked[k], id)
	if win != nil {
		win.End, win.To = now, r.addrs[k]
		r.windows = append(r.windows, *win)
	}
}

func (r *loadRun) fail(err error, refused bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors++
	r.lastErr = err
	if refused {
		r.refused++
	}
}
