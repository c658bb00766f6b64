package chaos

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Bounds that keep a load finite whatever happens to the master.
const (
	maxOpsPerClient = 20000
	maxDDL          = 40
	ddlPause        = 150 * time.Millisecond
	retryPause      = 20 * time.Millisecond
	maxRetries      = 200
	bigRowsPerStmt  = 8
)

// client is one connection of the write load and the record of what it
// did: its ops in order, how many the server acknowledged, and whether
// the next one was in flight (sent, outcome unknown) when the load ended.
type client struct {
	ID       int
	Ops      []op
	Acked    int
	InFlight bool
	Retries  int
	LastErr  string

	rng    *rand.Rand
	state  clientState // after every op generated so far
	nextID int64
	// ddl client only: the schema it has built so far
	tables  []string
	columns int
	facts   map[string]bool
}

func newClient(id int, seed int64) *client {
	return &client{ID: id, rng: rand.New(rand.NewPCG(uint64(seed), uint64(id))), state: newClientState(), facts: map[string]bool{}}
}

func (c *client) newID(big bool) int64 {
	c.nextID++
	base := int64(c.ID) * 10_000_000
	if big {
		base += 5_000_000
	}
	return base + c.nextID
}

// existing picks one of the client's current rows, 0 when it has none.
func (c *client) existing() int64 {
	if len(c.state.KV) == 0 {
		return 0
	}
	ids := make([]int64, 0, len(c.state.KV))
	for id := range c.state.KV {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids[c.rng.IntN(len(ids))]
}

func (c *client) randomChange() change {
	p := c.rng.IntN(100)
	id := c.existing()
	switch {
	case id != 0 && p < 30:
		return change{Kind: "update", ID: id, Val: fmt.Sprintf("u%d", c.rng.Int64())}
	case id != 0 && p < 42:
		return change{Kind: "delete", ID: id}
	default:
		return change{Kind: "insert", ID: c.newID(false), Val: fmt.Sprintf("i%d", c.rng.Int64())}
	}
}

// nextDML makes the client's next transaction and applies it to the
// generator's state (ops run in order, so the state after the last op
// generated is what the next one sees).
func (c *client) nextDML(bigMB int) op {
	o := op{Seq: len(c.Ops) + 1}
	switch {
	case bigMB > 0:
		o.Kind = opBig
		for range bigMB << 20 / bigRowBytes {
			o.BigIDs = append(o.BigIDs, c.newID(true))
		}
	case c.rng.IntN(4) == 0:
		o.Kind = opMulti
		for range 2 + c.rng.IntN(5) {
			ch := c.randomChange()
			c.state.apply(op{Changes: []change{ch}})
			o.Changes = append(o.Changes, ch)
		}
		c.Ops = append(c.Ops, o)
		return o
	default:
		ch := c.randomChange()
		o.Kind = opKind(ch.Kind)
		o.Changes = []change{ch}
	}
	c.state.apply(o)
	c.Ops = append(c.Ops, o)
	return o
}

// nextDDL makes the DDL client's next statement.
func (c *client) nextDDL() op {
	o := op{Seq: len(c.Ops) + 1, Kind: opDDL}
	tag := " /* " + Tag(DDLClient, o.Seq) + " */"
	p := c.rng.IntN(100)
	var t string
	if len(c.tables) > 0 {
		t = c.tables[c.rng.IntN(len(c.tables))]
	}
	switch {
	case t == "" || p < 25:
		t = fmt.Sprintf("d%d", len(c.tables)+1)
		c.tables = append(c.tables, t)
		o.DDL, o.Fact = "CREATE TABLE chaos."+t+" (id INT PRIMARY KEY, v VARCHAR(32)) ENGINE=InnoDB"+tag, "+table "+t
	case p < 55:
		c.columns++
		col := fmt.Sprintf("x%d", c.columns)
		o.DDL = fmt.Sprintf("ALTER TABLE chaos.%s ADD COLUMN %s INT NOT NULL DEFAULT %d%s", t, col, c.columns, tag)
		o.Fact = "+column " + t + "." + col
	case p < 75 && !c.facts["index "+t+".iv"]:
		o.DDL, o.Fact = "CREATE INDEX iv ON chaos."+t+" (v)"+tag, "+index "+t+".iv"
	case c.facts["index kv.ix_n"]:
		o.DDL, o.Fact = "ALTER TABLE chaos.kv DROP INDEX ix_n"+tag, "-index kv.ix_n"
	default:
		o.DDL, o.Fact = "ALTER TABLE chaos.kv ADD INDEX ix_n (n)"+tag, "+index kv.ix_n"
	}
	if f, ok := strings.CutPrefix(o.Fact, "-"); ok {
		delete(c.facts, f)
	} else {
		c.facts[o.Fact[1:]] = true
	}
	c.Ops = append(c.Ops, o)
	return o
}

// bigRequest asks client 0 for one large transaction; it reports on
// signal when its rows start to go out ("rows") and just before COMMIT
// ("commit").
type bigRequest struct {
	MB     int
	Signal chan string
}

// Workload is a running mixed write load on the master.
type Workload struct {
	Clients []*client // DML clients, then the DDL client
	big     chan bigRequest
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func init() {
	// The driver logs every connection the SIGKILL cuts; the workload
	// records those itself.
	mysql.SetLogger(log.New(io.Discard, "", 0))
}

// startWorkload opens one connection per client and starts them.
func startWorkload(ctx context.Context, cfg *mysql.Config, sc Scenario) (*Workload, error) {
	cfg = cfg.Clone()
	cfg.InterpolateParams = true
	// A killed master must fail a statement quickly; a large statement or a
	// DDL waiting for its metadata lock may take a few seconds.
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 2*time.Second, 15*time.Second, 15*time.Second
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("workload connector: %w", err)
	}
	db := sql.OpenDB(conn)
	ctx, cancel := context.WithCancel(ctx)
	w := &Workload{big: make(chan bigRequest), cancel: cancel}
	for i := range sc.Clients {
		w.Clients = append(w.Clients, newClient(i, sc.Seed))
	}
	w.Clients = append(w.Clients, newClient(DDLClient, sc.Seed))
	conns := make([]*sql.Conn, len(w.Clients))
	for i := range conns {
		if conns[i], err = db.Conn(ctx); err != nil {
			cancel()
			db.Close()
			return nil, fmt.Errorf("workload connection %d: %w", i, err)
		}
	}
	for i, c := range w.Clients {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			defer conns[i].Close()
			if c.ID == DDLClient {
				c.runDDL(ctx, conns[i])
			} else {
				c.runDML(ctx, conns[i], w.bigFor(c))
			}
		}()
	}
	go func() { w.wg.Wait(); db.Close() }()
	return w, nil
}

// bigFor gives client 0 the large-transaction requests.
func (w *Workload) bigFor(c *client) <-chan bigRequest {
	if c.ID == 0 {
		return w.big
	}
	return nil
}

// Big asks for one large transaction and returns its signal channel, or
// nil when client 0 has already stopped.
func (w *Workload) Big(ctx context.Context, mb int) chan string {
	req := bigRequest{MB: mb, Signal: make(chan string, 2)}
	select {
	case w.big <- req:
		return req.Signal
	case <-time.After(5 * time.Second):
		return nil
	case <-ctx.Done():
		return nil
	}
}

// Wait waits until every client stopped (the master died), at most d;
// then it cancels those still running.
func (w *Workload) Wait(d time.Duration) {
	done := make(chan struct{})
	go func() { w.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		w.cancel()
		<-done
	}
	w.cancel()
}

// Acked is the number of acknowledged transactions of all clients.
func (w *Workload) Acked() int {
	n := 0
	for _, c := range w.Clients {
		n += c.Acked
	}
	return n
}

func (c *client) runDML(ctx context.Context, conn *sql.Conn, big <-chan bigRequest) {
	for len(c.Ops) < maxOpsPerClient && ctx.Err() == nil {
		var req bigRequest
		select {
		case req = <-big:
		default:
		}
		o := c.nextDML(req.MB)
		if !c.do(ctx, func() error { return c.execDML(ctx, conn, o, req.Signal) }) {
			return
		}
	}
}

func (c *client) runDDL(ctx context.Context, conn *sql.Conn) {
	for len(c.Ops) < maxDDL && ctx.Err() == nil {
		o := c.nextDDL()
		if !c.do(ctx, func() error { _, err := conn.ExecContext(ctx, o.DDL); return err }) {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(ddlPause):
		}
	}
}

// do runs one op until the server acknowledges it. A server error (a
// deadlock, a table changed by concurrent DDL) means it did not commit:
// it is retried. Any other error (connection lost) leaves it in flight:
// it may or may not have committed, and the client stops.
func (c *client) do(ctx context.Context, run func() error) bool {
	for attempt := 0; ; attempt++ {
		err := run()
		if err == nil {
			c.Acked++
			return true
		}
		c.LastErr = err.Error()
		var me *mysql.MySQLError
		if !errors.As(err, &me) || attempt >= maxRetries || ctx.Err() != nil {
			c.InFlight = true
			return false
		}
		c.Retries++
		time.Sleep(retryPause)
	}
}

func (c *client) execDML(ctx context.Context, conn *sql.Conn, o op, signal chan string) (err error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for _, ch := range o.Changes {
		if err = execChange(ctx, tx, c.ID, ch); err != nil {
			return err
		}
	}
	for i := 0; i < len(o.BigIDs); i += bigRowsPerStmt {
		if err = insertBig(ctx, tx, c.ID, o.BigIDs[i:min(i+bigRowsPerStmt, len(o.BigIDs))]); err != nil {
			return err
		}
		notify(signal, "rows")
	}
	if _, err = tx.ExecContext(ctx, "INSERT INTO chaos.ledger (client, seq, tag) VALUES (?, ?, ?)", c.ID, o.Seq, Tag(c.ID, o.Seq)); err != nil {
		return err
	}
	notify(signal, "commit")
	return tx.Commit()
}

func notify(signal chan string, what string) {
	if signal == nil {
		return
	}
	select {
	case signal <- what:
	default:
	}
}

func execChange(ctx context.Context, tx *sql.Tx, client int, ch change) error {
	var err error
	switch ch.Kind {
	case "insert":
		_, err = tx.ExecContext(ctx, "INSERT INTO chaos.kv (id, client, val, n) VALUES (?, ?, ?, 0)", ch.ID, client, ch.Val)
	case "update":
		_, err = tx.ExecContext(ctx, "UPDATE chaos.kv SET val = ?, n = n + 1 WHERE id = ?", ch.Val, ch.ID)
	case "delete":
		_, err = tx.ExecContext(ctx, "DELETE FROM chaos.kv WHERE id = ?", ch.ID)
	}
	return err
}

func insertBig(ctx context.Context, tx *sql.Tx, client int, ids []int64) error {
	q := "INSERT INTO chaos.big (id, client, payload) VALUES " + strings.TrimSuffix(strings.Repeat("(?, ?, ?),", len(ids)), ",")
	args := make([]any, 0, 3*len(ids))
	for _, id := range ids {
		args = append(args, id, client, bigPayload(id))
	}
	_, err := tx.ExecContext(ctx, q, args...)
	return err
}
