package cluster

import (
	"context"
	"fmt"
)

// dualMasterCnf is the my.cnf part that makes hosts 1 and 2 a dual-master
// pair (Options.DualMaster); nil for every other host and cluster.
//
// auto_increment_increment=2 with offsets 1 and 2 keeps the two masters
// from handing out the same AUTO_INCREMENT value if both take writes.
// Each master also writes its own GTID domain (gtid_domain_id 1 and 2), as
// MariaDB advises for multi-master: with gtid_strict_mode=ON every domain
// must stay in order, and two masters that both write to one domain (for a
// moment during a switch, or by mistake) would stop each other's
// replication with an out-of-order GTID; in separate domains their streams
// never interleave. Replicas 3.. keep domain 0: they never write their own
// transactions.
func (c *Cluster) dualMasterCnf(i int) []string {
	if !c.opts.DualMaster || i > 2 {
		return nil
	}
	return []string{
		"auto_increment_increment=2",
		fmt.Sprintf("auto_increment_offset=%d", i),
		fmt.Sprintf("gtid_domain_id=%d", i),
	}
}

// closeDualMasterLoop makes host 1 a replica of host 2, from host 2's
// current position: everything before it came from host 1. In GTID mode
// host 1 first takes its own binlog position as its replica position, so
// host 2 does not send host 1's transactions back to it.
func (c *Cluster) closeDualMasterLoop(ctx context.Context) error {
	db, err := c.rootDB(1)
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := c.rootMasterStatus(ctx, 2)
	if err != nil {
		return err
	}
	pos := fmt.Sprintf("MASTER_LOG_FILE=%s, MASTER_LOG_POS=%s, MASTER_USE_GTID=no", quoteString(ms["File"]), ms["Position"])
	if c.opts.GTID {
		if _, err := db.ExecContext(ctx, "SET GLOBAL gtid_slave_pos = @@GLOBAL.gtid_binlog_pos"); err != nil {
			return fmt.Errorf("host 1 set gtid_slave_pos: %w", err)
		}
		pos = "MASTER_USE_GTID=slave_pos"
	}
	q := fmt.Sprintf("CHANGE MASTER TO MASTER_HOST=%s, MASTER_PORT=%d, MASTER_USER='repl', "+
		"MASTER_PASSWORD=%s, MASTER_CONNECT_RETRY=1, %s",
		quoteString(c.IP(2)), c.opts.MySQLPort, quoteString(c.opts.ReplPassword), pos)
	if _, err := db.ExecContext(ctx, q); err != nil {
		return processError("host 1 CHANGE MASTER TO host 2", c.MySQLLog(1), err)
	}
	if _, err := db.ExecContext(ctx, "START SLAVE"); err != nil {
		return processError("host 1 START SLAVE", c.MySQLLog(1), err)
	}
	if err := waitSlaveRunning(ctx, db); err != nil {
		return processError("host 1 replication from host 2", c.MySQLLog(1), err)
	}
	return nil
}

func (c *Cluster) rootMasterStatus(ctx context.Context, i int) (map[string]string, error) {
	db, err := c.rootDB(i)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	st, err := showRow(ctx, db, "SHOW MASTER STATUS")
	if err != nil {
		return nil, fmt.Errorf("host %d SHOW MASTER STATUS: %w", i, err)
	}
	return st, nil
}

// SetAutoIncrement sets host i's auto_increment_increment and
// auto_increment_offset (until a restart): a test breaks a dual-master
// pair's settings with it to see the check fire.
func (c *Cluster) SetAutoIncrement(ctx context.Context, i, increment, offset int) error {
	return c.Exec(ctx, i, fmt.Sprintf("SET GLOBAL auto_increment_increment=%d, auto_increment_offset=%d", increment, offset))
}
