package phases

import (
	"context"
	"fmt"
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
	for _, stmt := range []string{"STOP SLAVE", "RESET SLAVE ALL"} {
		if err := execSQL(ctx, nm, stmt); err != nil {
			return err
		}
	}
	s, err := refresh(ctx, nm)
	if err != nil {
		return err
	}
	if s.Replica != nil {
		return fmt.Errorf("RESET SLAVE ALL on %s left replication settings behind", nm.Name())
	}
	return nil
}
