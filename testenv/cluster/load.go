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
}

// LoadResult lists the ids whose autocommit INSERT the server acknowledged.
type LoadResult struct {
	Acked    []int64 // sorted
	MaxAcked int64
	Errors   int   // failed INSERTs
	LastErr  error // last failure, nil if none
	Elapsed  time.Duration
}

// Load is a running write load; Wait returns its result.
type Load struct {
	done   chan struct{}
	cancel context.CancelFunc
	res    LoadResult
}

// StartLoad inserts into mhago_test.load on opts.Host until Rows inserts,
// Duration, ctx's end or the first error (e.g. the master was killed).
func (c *Cluster) StartLoad(ctx context.Context, opts LoadOptions) (*Load, error) {
	opts = opts.withDefaults()
	if err := c.checkHost(opts.Host); err != nil {
		return nil, err
	}
	cfg := c.adminConfig(opts.Host)
	// A hung master must fail an INSERT quickly rather than stall the load.
	cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, 5*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("host %d load connector: %w", opts.Host, err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(opts.Workers)
	db.SetMaxIdleConns(opts.Workers)
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	l := &Load{done: make(chan struct{}), cancel: cancel}
	go l.run(ctx, db, opts)
	return l, nil
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
	db      *sql.DB
	ctx     context.Context
	stop    context.CancelFunc
	rows    int64
	next    atomic.Int64
	mu      sync.Mutex
	acked   []int64
	errors  int
	lastErr error
	payload string
}

func (l *Load) run(ctx context.Context, db *sql.DB, opts LoadOptions) {
	defer close(l.done)
	defer db.Close()
	defer l.cancel()
	t0 := time.Now()
	ctx, stop := context.WithCancel(ctx)
	r := &loadRun{db: db, ctx: ctx, stop: stop, rows: int64(opts.Rows), payload: strings.Repeat("x", 100)}
	var wg sync.WaitGroup
	for w := 1; w <= opts.Workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(w)
		}()
	}
	wg.Wait()
	stop()
	slices.Sort(r.acked)
	l.res = LoadResult{Acked: r.acked, Errors: r.errors, LastErr: r.lastErr, Elapsed: time.Since(t0)}
	if n := len(r.acked); n > 0 {
		l.res.MaxAcked = r.acked[n-1]
	}
}

func (r *loadRun) worker(w int) {
	for r.ctx.Err() == nil && r.next.Add(1) <= r.rows {
		id, err := r.insert(w)
		r.mu.Lock()
		if err != nil {
			r.errors++
			r.lastErr = err
		} else {
			r.acked = append(r.acked, id)
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
func (r *loadRun) insert(w int) (int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := r.db.ExecContext(ctx,
		"INSERT INTO mhago_test.load (worker, payload, created) VALUES (?, ?, NOW(6))", w, r.payload)
	if err != nil {
		return 0, fmt.Errorf("load worker %d INSERT: %w", w, err)
	}
	return res.LastInsertId()
}
