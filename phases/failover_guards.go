package phases

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
)

// checkGuards refuses a failover too soon after the last one (MHA's
// last_failover_minute) or after one that failed past its point of no
// return and was not cleared. The guards belong to the cluster: the files
// in manager_workdir are named by the cluster id, and the last run in
// Redis speaks for the other manager hosts.
func checkGuards(ctx context.Context, st *State) error {
	if err := st.errorFileGuard(); err != nil {
		return err
	}
	if err := st.completeFileGuard(); err != nil {
		return err
	}
	if err := st.lastFailoverGuard(ctx); err != nil {
		return err
	}
	if err := checkConfigVersion(ctx, st); err != nil {
		return err
	}
	return st.lastRunGuard(st.mirroredRun(ctx))
}

// lastFailoverGuard applies the complete-file guard to the cluster's last
// completed failover as Redis recorded it, whichever host ran it.
func (st *State) lastFailoverGuard(ctx context.Context) error {
	if st.redis == nil {
		return nil
	}
	l, err := coord.GetLastFailover(ctx, st.redis, st.cfg.Redis.KeyPrefix, st.cluster)
	if err != nil || l == nil {
		return nil // an unreachable Redis is the lock's to report
	}
	return st.tooSoon(l.Ended, fmt.Sprintf("run %s on %s, recorded in Redis", l.RunID, l.ManagerHost))
}

func (st *State) errorFileGuard() error {
	fi, err := os.Stat(st.stateFile("error"))
	if err != nil {
		return nil
	}
	return fmt.Errorf("%w: %s exists (left %s by a failover that failed after its point of no return): finish that run with --resume or check the cluster by hand, then remove the file",
		ErrGuard, st.stateFile("error"), fi.ModTime().Format(time.RFC3339))
}

func (st *State) completeFileGuard() error {
	fi, err := os.Stat(st.stateFile("complete"))
	if err != nil {
		return nil
	}
	return st.tooSoon(fi.ModTime(), st.stateFile("complete"))
}

// lastRunGuard refuses to start while the last run of another manager
// host, as Redis recorded it, failed after its point of no return: that
// host's error file is not here to say so.
func (st *State) lastRunGuard(last *journal.Replay) error {
	host, _ := os.Hostname()
	if last == nil || !last.Ended || last.Begin.ManagerHost == host || !last.PastNoReturn || last.Outcome != report.OutcomeFailed {
		return nil
	}
	ended := last.Records[len(last.Records)-1].Time
	return fmt.Errorf("%w: run %s on %s (Redis) failed after its point of no return at %s: finish it with --resume, or close it with --abandon once the cluster is repaired",
		ErrGuard, last.Run, last.Begin.ManagerHost, ended.Format(time.RFC3339))
}

// tooSoon refuses when a failover completed less than LastFailover ago.
func (st *State) tooSoon(at time.Time, what string) error {
	age := st.deps.Now().Sub(at)
	switch {
	case age >= st.opts.LastFailover:
		return nil
	case st.opts.IgnoreLastFailover:
		st.Report.Note(fmt.Sprintf("last failover %s ago ignored (--ignore-last-failover)", age.Round(time.Second)))
		return nil
	}
	return fmt.Errorf("%w: the last failover completed %s ago (%s), less than %s: to fail over again now, pass --ignore-last-failover",
		ErrGuard, age.Round(time.Second), what, st.opts.LastFailover)
}

// stateFile is <manager_workdir>/<cluster id>.failover.<suffix>: the guard
// files belong to the cluster, so two config files for it share them.
func (st *State) stateFile(suffix string) string {
	return filepath.Join(st.cfg.ManagerWorkdir, st.cluster+".failover."+suffix)
}
