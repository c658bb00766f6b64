package cluster

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-sql-driver/mysql"
)

// LoadOptions bound a write load; zero fields take the defaults noted.
type LoadOptions struct {
	Host     int           // target host, default 1
	Rows     int           // stop after this many INSERTs were attempted, default 1000
	Duration time.Duration // stop after this long, default 30s
	Workers  int           // concurrent connections, default 4
	// Follow makes the load follow the master, as an application that
	// retries does: it writes as AppUser (whom read_only binds), and a
	// worker whose INSERT is refused (read_only, a lost or refused
	// connection) retries the same row on every address in turn, pausing
	// 1 ms after a fruitless round and doubling that up to MaxRetryPause,
	// until one accepts it or the load ends. Without Follow the first
	// failed INSERT ends the load.
	Follow bool
	// MaxRetryPause caps a follow load's pause (default 10 ms; 1 ms
	// resolves windows of a few ms, at the price of more refused INSERTs).
	MaxRetryPause time.Duration
	// Addrs are the ip:port a follow load writes to, the first one first
	// (default: host Host, then every other host). A proxy's frontend
	// works too.
	Addrs []string
}

// LoadResult lists the ids whose autocommit INSERT the server acknowledged.
type LoadResult struct {
	Acked    []int64 // sorted
	MaxAcked int64
	Errors   int   // failed INSERTs, refused ones included
	LastErr  error // last failure, nil if none
	Elapsed  time.Duration

	// A follow load also reports where each id was acknowledged, and its
	// write-blocked windows (see Window).
	AckedBy map[string][]int64 // address -> ids acknowledged there, sorted
	Refused int                // INSERTs refused (counted per attempt)
	Windows []Window           // in the order they closed
	// Blocked is the longest time during which at least one worker was
	// write-blocked: the longest span of the union of all windows. A
	// switchover's windows overlap, so this runs from the first refused
	// INSERT of any worker to the last worker's next acknowledgement.
	Blocked time.Duration
	// BlockedWorkerMax is the longest single window.
	BlockedWorkerMax time.Duration
}

// Load is a running write load; Wait returns its result.
type Load struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    LoadResult
}

// StartLoad inserts into mhago_test.load on opts.Host until Rows inserts,
// Duration, ctx's end or the first error (e.g. the master was killed); with
// opts.Follow it goes on where writes are accepted instead.
func (c *Cluster) StartLoad(ctx context.Context, opts LoadOptions) (*Load, error) {
	opts = opts.withDefaults()
	if err := c.checkHost(opts.Host); err != nil {
		return nil, err
	}
	if opts.Follow {
		return c.startFollowLoad(ctx, opts)
	}
	cfg := c.adminConfig(opts.Host)
	// A hung master must fail an INSERT quickly rather than stall the load.
	cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 5*time.Second
	db, err := openPool(cfg, opts.Workers)
	if err != nil {
		return nil, fmt.Errorf("host %d load connector: %w", opts.Host, err)
	}
	return startLoad(ctx, opts, []string{c.MySQLAddr(opts.Host)}, []*sql.DB{db}), nil
}

func openPool(cfg *mysql.Config, workers int) (*sql.DB, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(workers)
	db.SetMaxIdleConns(workers)
	return db, nil
}

func startLoad(ctx context.Context, opts LoadOptions, addrs []string, dbs []*sql.DB) *Load {
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	l := &Load{done: make(chan struct{}), cancel: cancel}
	go l.run(ctx, opts, addrs, dbs)
	return l
}

func (o LoadOptions) withDefaults() LoadOptions {
	if o.Host == 0 {
		o.Host = 1
	}
	if o.Rows <= 0 {
		o.Rows = 1000
	}
	if o.Duration <= 0 {
		o.Duration = 30 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxRetryPause <= 0 {
		o.MaxRetryPause = defaultMaxRetryPause
	}
	return o
}

// Wait blocks until the load has stopped and returns its result.
func (l *Load) Wait() LoadResult {
	<-l.done
	return l.res
}

// Stop ends the load early and returns its result.
func (l *Load) Stop() LoadResult {
	l.cancel()
	return l.Wait()
}

type loadRun struct {
	addrs   []string
	dbs     []*sql.DB // one pool per address
	follow  bool
	pause   time.Duration // MaxRetryPause
	ctx     context.Context
	stop    context.CancelFunc
	rows    int64
	next    atomic.Int64
	payload string

	mu      sync.Mutex
	acked   map[int][]int64 // address index -> ids
	errors  int
	refused int
	lastErr error
	windows []Window
}

func (l *Load) run(ctx context.Context, opts LoadOptions, addrs []string, dbs []*sql.DB) {
	defer close(l.done)
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	defer l.cancel()
	t0 := time.Now()
	ctx, stop := context.WithCancel(ctx)
	r := &loadRun{addrs: addrs, dbs: dbs, follow: opts.Follow, pause: opts.MaxRetryPause, ctx: ctx, stop: stop, rows: int64(opts.Rows),
		payload: strings.Repeat("x", 100), acked: map[int][]int64{}}
	var wg sync.WaitGroup
	for w := 1; w <= opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r.follow {
				r.followWorker(w)
			} else {
				r.worker(w)
			}
		}()
	}
	wg.Wait()
	stop()
	l.res = r.result(time.Since(t0))
}

func (r *loadRun) result(elapsed time.Duration) LoadResult {
	res := LoadResult{Errors: r.errors, LastErr: r.lastErr, Elapsed: elapsed}
	for k, ids := range r.acked {
		res.Acked = append(res.Acked, ids...)
		if r.follow {
			if res.AckedBy == nil {
				res.AckedBy = map[string][]int64{}
			}
			res.AckedBy[r.addrs[k]] = slices.Sorted(slices.Values(ids))
		}
	}
	slices.Sort(res.Acked)
	if n := len(res.Acked); n > 0 {
		res.MaxAcked = res.Acked[n-1]
	}
	res.Refused, res.Windows = r.refused, r.windows
	res.Blocked, res.BlockedWorkerMax = blockedSpans(r.windows)
	return res
}

func (r *loadRun) worker(w int) {
	for r.ctx.Err() == nil && r.next.Add(1) <= r.rows {
		id, err := r.insert(0, w)
		r.mu.Lock()
		if err != nil {
			r.errors++
			r.lastErr = err
		} else {
			r.acked[0] = append(r.acked[0], id)
		}
		r.mu.Unlock()
		if err != nil {
			r.stop()
			return
		}
	}
}

// insert does not use r.ctx: ending the load must not abort an INSERT in
// flight, whose outcome would then be unknown.
func (r *loadRun) insert(k, w int) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.dbs[k].ExecContext(ctx,
		"INSERT INTO mhago_test.load (worker, payload, created) VALUES (?, ?, NOW(6))", w, r.payload)
	if err != nil {
		return 0, fmt.Errorf("load worker %d INSERT on %s: %w", w, r.addrs[k], err)
	}
	return res.LastInsertId()
}
