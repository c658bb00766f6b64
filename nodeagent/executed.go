package nodeagent

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mhago/mhago/nodeagent/proto"
	"github.com/mhago/mhago/repl"
)

// executedState is what the server says it has executed, read under the
// apply lock before replaying.
type executedState struct {
	// tracked: the server records the GTIDs of what a client applies
	// (MariaDB with log_bin on and the binlog not disabled for the apply,
	// MySQL with gtid_mode=ON), so has can be trusted.
	tracked bool
	text    string // as read, for the result
	has     func(gtid string) bool
}

// readExecuted asks the server for its GTID state, through the same client
// and option file as the apply.
func readExecuted(ctx context.Context, c *clientConn, disableLogBin bool) (executedState, error) {
	rows, err := c.query(ctx, "SELECT VERSION()")
	if err != nil {
		return executedState{}, fmt.Errorf("read server version: %w", err)
	}
	if strings.Contains(strings.ToLower(rows[0]), "mariadb") {
		rows, err = c.query(ctx, "SELECT @@GLOBAL.log_bin, @@GLOBAL.gtid_binlog_state, @@GLOBAL.gtid_slave_pos")
		if err != nil {
			return executedState{}, fmt.Errorf("read executed GTIDs: %w", err)
		}
		return mariaExecuted(rows[0], disableLogBin)
	}
	rows, err = c.query(ctx, `SELECT @@GLOBAL.gtid_mode, REPLACE(@@GLOBAL.gtid_executed, '\n', '')`)
	if err != nil {
		return executedState{}, fmt.Errorf("read executed GTIDs: %w", err)
	}
	return mysqlExecuted(rows[0])
}

// mariaExecuted reads "log_bin<TAB>gtid_binlog_state<TAB>gtid_slave_pos".
// A transaction d-s-n is executed when gtid_slave_pos has domain d at seq
// n or later (the SQL thread applied it), or gtid_binlog_state has (d, s)
// at n or later (a client applied it with its original GTID, as
// mariadb-binlog output does, or the server wrote it).
func mariaExecuted(row string, disableLogBin bool) (executedState, error) {
	f := strings.Split(row, "\t")
	if len(f) != 3 {
		return executedState{}, fmt.Errorf("unexpected answer %q to the MariaDB GTID query", row)
	}
	slave, err := repl.ParseMariaGTIDPos(f[2])
	if err != nil {
		return executedState{}, fmt.Errorf("gtid_slave_pos: %w", err)
	}
	state := map[[2]uint32]uint64{}
	for _, s := range strings.Split(f[1], ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		g, err := repl.ParseMariaGTID(s)
		if err != nil {
			return executedState{}, fmt.Errorf("gtid_binlog_state: %w", err)
		}
		state[[2]uint32{g.Domain, g.Server}] = g.Seq
	}
	has := func(gtid string) bool {
		g, err := repl.ParseMariaGTID(gtid)
		if err != nil {
			return false
		}
		if s, ok := slave.Get(g.Domain); ok && s.Seq >= g.Seq {
			return true
		}
		seq, ok := state[[2]uint32{g.Domain, g.Server}]
		return ok && seq >= g.Seq
	}
	text := fmt.Sprintf("log_bin=%s gtid_binlog_state=%s gtid_slave_pos=%s", f[0], f[1], f[2])
	return executedState{tracked: f[0] == "1" && !disableLogBin, text: text, has: has}, nil
}

// mysqlExecuted reads "gtid_mode<TAB>gtid_executed"; uuid:n is executed
// when gtid_executed holds it.
func mysqlExecuted(row string) (executedState, error) {
	mode, set, ok := strings.Cut(row, "\t")
	if !ok {
		return executedState{}, fmt.Errorf("unexpected answer %q to the MySQL GTID query", row)
	}
	executed, err := repl.ParseMySQLGTIDSet(set)
	if err != nil {
		return executedState{}, fmt.Errorf("gtid_executed: %w", err)
	}
	has := func(gtid string) bool {
		i := strings.LastIndexByte(gtid, ':')
		n, err := strconv.ParseUint(gtid[i+1:], 10, 64)
		return i > 0 && err == nil && executed.ContainsGTID(gtid[:i], "", n)
	}
	return executedState{tracked: mode == "ON", text: "gtid_mode=" + mode + " gtid_executed=" + set, has: has}, nil
}

// settleWait bounds the wait for an earlier apply's session to finish the
// statement it was executing.
const settleWait = 30 * time.Second

// settlePrevious waits until the server session of an apply that died
// mid-way (its pid file was left behind) no longer executes a statement.
// Its client is gone, but a COMMIT the server had received still completes;
// reading the executed state before then would replay that transaction a
// second time. An idle or vanished session has nothing in flight: a
// transaction whose COMMIT never came is rolled back. The id is only
// waited on, never killed: after a server restart it may name another
// session, which at worst delays this apply.
func settlePrevious(ctx context.Context, c *clientConn, stale *proto.RunningApply) error {
	if stale == nil || stale.ConnectionID == 0 {
		return nil
	}
	q := fmt.Sprintf("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = %d AND COMMAND <> 'Sleep'", stale.ConnectionID)
	deadline := time.Now().Add(settleWait)
	for {
		rows, err := c.query(ctx, q)
		if err != nil {
			return fmt.Errorf("check session %d of the earlier apply (%s): %w", stale.ConnectionID, describe(stale), err)
		}
		if rows[0] == "0" {
			return nil
		}
		if time.Now().After(deadline) {
			return &runningError{fmt.Sprintf("session %d of an earlier apply (%s) still executes a statement after %s; retry once it is done",
				stale.ConnectionID, describe(stale), settleWait)}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for session %d of the earlier apply: %w", stale.ConnectionID, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
