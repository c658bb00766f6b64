package phases

import (
	"context"
	"fmt"

	"github.com/mhago/mhago/replsql"
)

// cleanupNewMaster (phase 5) removes the new master's replication settings
// for the dead master, unless skip_reset_slave. Already clean is done.
func cleanupNewMaster(ctx context.Context, st *State) error {
	nm := st.NewMaster
	if nm.Server.SkipResetSlave {
		st.Report.Note("skip_reset_slave=1: " + nm.Name() + " keeps its replication settings")
		return nil
	}
	if s, err := refresh(ctx, nm); err == nil && s.Replica == nil {
		return nil
	}
	stmts := cleanupStatements(nm)
	for _, stmt := range stmts {
		if err := execSQL(ctx, nm, stmt); err != nil {
			return err
		}
	}
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if s.Replica != nil {
		return fmt.Errorf("%s on %s left replication settings behind", stmts[len(stmts)-1], nm.Name())
	}
	return nil
}

// cleanupStatements drop the new master's replication settings.
func cleanupStatements(nm *Host) []replsql.Statement {
	v := hostVersion(nm)
	return []replsql.Statement{replsql.Stop(v, replsql.BothThreads), replsql.ResetAll(v)}
}
