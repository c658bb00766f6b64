package chaos

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/mhago/mhago/report"
)

// lostBound is the "lost" bound of the run whose plan was carried out: the
// last report past its point of no return that states one, else the last
// report that does.
func (s *scenarioRun) lostBound() *report.Lost {
	var bound *report.Lost
	for _, r := range s.res.Runs {
		rep := readReport(r.ReportFile)
		if rep == nil || rep.Lost == nil {
			continue
		}
		if bound == nil || rep.PointOfNoReturnPassed {
			bound = rep.Lost
		}
	}
	return bound
}

// deadHostDown tells whether chaos stopped the dead master's sshd: only
// then may the binlog it alone had be lost.
func (s *scenarioRun) deadHostDown() bool {
	for _, f := range s.struck {
		if f.Kind == DeadSSHDown {
			return true
		}
	}
	return false
}

// checkTransactions compares the new master with the record of the load:
// each client's ledger is a prefix of its transactions, its rows are the
// model's after that prefix, every acknowledged transaction is there
// unless the report's lost bound covers it, and none that it covers is.
func (s *scenarioRun) checkTransactions(ctx context.Context, nm int) []string {
	lost := map[txTag]bool{}
	var p []string
	if b := s.lostBound(); b != nil && !s.deadHostDown() {
		p = append(p, fmt.Sprintf("the dead master's host answered over SSH throughout, yet the report says its binlog after %s:%d was lost: %s", b.File, b.Pos, b.Why))
	}
	if b := s.lostBound(); b != nil {
		var err error
		if lost, err = committedAfter(s.c.BinlogDir(1), b.File, b.Pos); err != nil {
			return []string{fmt.Sprintf("read the dead master's binlog after the report's bound %s:%d: %v", b.File, b.Pos, err)}
		}
	}
	db, err := s.c.DB(nm)
	if err != nil {
		return append(p, err.Error())
	}
	for _, c := range s.load.Clients {
		var k int
		var err error
		if c.ID == DDLClient {
			k, err = s.ddlPrefix(ctx, db, c, lost)
		} else {
			k, err = s.dmlPrefix(ctx, db, c)
		}
		if err != nil {
			p = append(p, fmt.Sprintf("client %d: %v", c.ID, err))
			continue
		}
		p = append(p, checkPrefix(c, k, lost)...)
		for t := range lost {
			if t.Client == c.ID && t.Seq > k {
				s.res.Lost++
				if t.Seq <= c.Acked {
					s.res.LostAcked++
				}
			}
		}
	}
	return p
}

// checkPrefix: the host holds the first k transactions of c. Each must
// be outside the lost bound, each acknowledged one after k inside it.
func checkPrefix(c *client, k int, lost map[txTag]bool) []string {
	var p []string
	if k > c.Acked+boolInt(c.InFlight) {
		p = append(p, fmt.Sprintf("client %d: %d transactions on the new master, but only %d were acknowledged and %d in flight", c.ID, k, c.Acked, boolInt(c.InFlight)))
	}
	var wrongly, missing []string
	for seq := 1; seq <= k; seq++ {
		if lost[txTag{c.ID, seq}] {
			wrongly = append(wrongly, Tag(c.ID, seq))
		}
	}
	for seq := k + 1; seq <= c.Acked; seq++ {
		if !lost[txTag{c.ID, seq}] {
			missing = append(missing, Tag(c.ID, seq))
		}
	}
	if len(missing) > 0 {
		p = append(p, fmt.Sprintf("client %d: %d acknowledged transactions lost outside the report's lost bound: %s", c.ID, len(missing), first(missing, 5)))
	}
	if len(wrongly) > 0 {
		p = append(p, fmt.Sprintf("client %d: %d transactions the report's bound calls lost are on the new master: %s", c.ID, len(wrongly), first(wrongly, 5)))
	}
	return p
}

// dmlPrefix reads c's ledger (which must be 1..k) and checks its rows
// against the model after k transactions.
func (s *scenarioRun) dmlPrefix(ctx context.Context, db *sql.DB, c *client) (int, error) {
	seqs, err := column[int](ctx, db, "SELECT seq FROM chaos.ledger WHERE client = ? ORDER BY seq", c.ID)
	if err != nil {
		return 0, fmt.Errorf("read the ledger: %w", err)
	}
	for i, seq := range seqs {
		if seq != i+1 {
			return 0, fmt.Errorf("ledger has a gap: seq %d where %d was expected", seq, i+1)
		}
	}
	k := len(seqs)
	if k > len(c.Ops) {
		return 0, fmt.Errorf("ledger holds %d transactions, the client sent %d", k, len(c.Ops))
	}
	got, err := readClientState(ctx, db, c.ID)
	if err != nil {
		return 0, err
	}
	if d := diffState(stateAfter(c.Ops, k), got); d != "" {
		return 0, fmt.Errorf("rows differ from the model after %d transactions: %s", k, d)
	}
	return k, nil
}

func readClientState(ctx context.Context, db *sql.DB, client int) (clientState, error) {
	st := newClientState()
	rows, err := db.QueryContext(ctx, "SELECT id, val, n FROM chaos.kv WHERE client = ?", client)
	if err != nil {
		return st, fmt.Errorf("read kv: %w", err)
	}
	for rows.Next() {
		var id int64
		var r kvRow
		if err := rows.Scan(&id, &r.Val, &r.N); err != nil {
			rows.Close()
			return st, err
		}
		st.KV[id] = r
	}
	rows.Close()
	rows, err = db.QueryContext(ctx, "SELECT id, MD5(payload) FROM chaos.big WHERE client = ?", client)
	if err != nil {
		return st, fmt.Errorf("read big: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var sum string
		if err := rows.Scan(&id, &sum); err != nil {
			return st, err
		}
		// A row with the wrong payload counts as absent, so the diff
		// names it.
		if sum == bigPayloadMD5(id) {
			st.Big[id] = true
		}
	}
	return st, rows.Err()
}

// ddlPrefix finds how many of the DDL client's statements the host's
// schema reflects: the largest k whose model matches and agrees with the
// lost bound (several k can give the same schema: an index added, dropped
// and added again).
func (s *scenarioRun) ddlPrefix(ctx context.Context, db *sql.DB, c *client, lost map[txTag]bool) (int, error) {
	got, err := readSchemaFacts(ctx, db)
	if err != nil {
		return 0, err
	}
	top := min(len(c.Ops), c.Acked+boolInt(c.InFlight))
	fallback := -1
	for k := top; k >= 0; k-- {
		if !maps.Equal(schemaAfter(c.Ops, k), got) {
			continue
		}
		if len(checkPrefix(c, k, lost)) == 0 {
			return k, nil
		}
		if fallback < 0 {
			fallback = k
		}
	}
	if fallback >= 0 {
		return fallback, nil
	}
	return 0, fmt.Errorf("the schema matches no prefix of the %d DDL statements (%d acknowledged): %s", len(c.Ops), c.Acked, strings.Join(slices.Sorted(maps.Keys(got)), ", "))
}

// readSchemaFacts reads the schema facts the DDL client's statements make.
func readSchemaFacts(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	facts := map[string]bool{}
	for _, q := range []string{
		"SELECT CONCAT('table ', table_name) FROM information_schema.tables WHERE table_schema = 'chaos' AND table_name LIKE 'd%'",
		"SELECT CONCAT('column ', table_name, '.', column_name) FROM information_schema.columns WHERE table_schema = 'chaos' AND table_name LIKE 'd%' AND column_name LIKE 'x%'",
		"SELECT DISTINCT CONCAT('index ', table_name, '.', index_name) FROM information_schema.statistics WHERE table_schema = 'chaos' AND index_name IN ('iv', 'ix_n')",
	} {
		vals, err := column[string](ctx, db, q)
		if err != nil {
			return nil, fmt.Errorf("read the schema: %w", err)
		}
		for _, v := range vals {
			facts[v] = true
		}
	}
	return facts, nil
}

func readReport(path string) *report.Report {
	if path == "" {
		return nil
	}
	rep := &report.Report{}
	b, err := os.ReadFile(path)
	if err != nil || json.Unmarshal(b, rep) != nil {
		return nil
	}
	return rep
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func first(s []string, n int) string {
	if len(s) > n {
		return strings.Join(s[:n], " ") + " …"
	}
	return strings.Join(s, " ")
}
