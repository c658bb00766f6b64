package phases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/report"
)

// phase is one named step of the script. dry marks the read-only phases
// that also run in a dry run.
type phase struct {
	name string
	run  func(context.Context, *State) error
	dry  bool
	// plan, for a phase that does not run in a dry run, records what it
	// would do.
	plan func(*State)
}

// pointOfNoReturn names the step after which the cluster cannot be put back
// as it was: the new master starts to receive writes of its own.
const pointOfNoReturn = "point of no return"

// script is the failover, in order. Everything before the point of no
// return only reads or can be undone (replication threads are restarted on
// abort); everything after it is recorded and finished best-effort.
func script() []phase {
	return []phase{
		{"1 configuration check", checkConfiguration, true, nil},
		{"1 failover guards", checkGuards, true, nil},
		{"1 dead master confirmation", confirmDeadMaster, true, nil},
		{"lock", takeLock, false, nil},
		{"agents", deployAgents, true, nil},
		{"2 dead master shutdown", shutdownDeadMaster, false, planShutdown},
		{"3.1 latest replicas", findLatestReplicas, true, nil},
		{"3.2 save dead master binlog", saveDeadMasterBinlog, true, nil},
		{"3.3 new master election", electNewMaster, true, nil},
		{"3.4 diff generation", generateDiffs, true, planLosses},
		{pointOfNoReturn, passPointOfNoReturn, false, nil},
		{"3.5 new master recovery", recoverNewMaster, false, planNewMaster},
		{"4 replica recovery", recoverReplicas, false, planReplicas},
		{"5 new master cleanup", cleanupNewMaster, false, nil},
		{"publish topology", publishTopology, false, nil},
	}
}

// Failover runs a dead-master failover (or, with DryRun, plans one). The
// report is written in every case, also when the run fails.
func Failover(ctx context.Context, deps Deps, opts Options) (rep *report.Report, err error) {
	st := newState(deps, opts)
	defer st.close()
	defer func() { err = st.finish(err) }()
	for _, p := range script() {
		if err := st.interrupted(ctx); err != nil {
			return st.Report, st.abort(ctx, err)
		}
		if opts.DryRun && !p.dry {
			st.Report.SkipPhase(p.name, "dry run")
			if p.plan != nil {
				p.plan(st)
			}
			continue
		}
		if err := st.runPhase(ctx, p); err != nil {
			return st.Report, st.abort(ctx, err)
		}
		if opts.DryRun && p.plan != nil {
			p.plan(st)
		}
	}
	return st.Report, nil
}

// runPhase runs one phase under the phase timeout and records it.
func (st *State) runPhase(ctx context.Context, p phase) error {
	pctx, cancel := context.WithTimeout(ctx, st.cfg.Timeouts.Phase)
	defer cancel()
	rp := st.Report.StartPhase(p.name)
	st.log.Info("phase start", "phase", p.name, "host", "-")
	err := p.run(pctx, st)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		err = fmt.Errorf("phase %q timed out after %s (phase_timeout): %w", p.name, st.cfg.Timeouts.Phase, err)
	}
	rp.End(err)
	st.log.Info("phase end", "phase", p.name, "host", "-", "duration", time.Since(rp.Started), "error", err)
	return err
}

// interrupted reports a cancelled run, or a lost lock before the point of
// no return: another manager may act now, so this one must not start to.
func (st *State) interrupted(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if st.lock == nil {
		return nil
	}
	select {
	case <-st.lock.Lost():
		if !st.pastNoReturn {
			return fmt.Errorf("redis lock %s lost: %w", st.lock.Key(), st.lock.Err())
		}
		st.Report.Note(fmt.Sprintf("redis lock lost after the point of no return: %v", st.lock.Err()))
	default:
	}
	return nil
}

func passPointOfNoReturn(_ context.Context, st *State) error {
	st.pastNoReturn = true
	st.Report.PointOfNoReturnPassed = true
	return nil
}

// abort classifies a failure. Before the point of no return it restores
// the replication threads phase 2 and 3.1 stopped, so the cluster is as it
// was; after it, it records the error file that blocks further failovers
// until an operator has looked.
func (st *State) abort(ctx context.Context, err error) error {
	if st.pastNoReturn {
		st.writeErrorFile(err)
		return fmt.Errorf("%w: %w", ErrAfterPONR, err)
	}
	if uerr := st.undo(context.WithoutCancel(ctx)); uerr != nil {
		err = errors.Join(err, fmt.Errorf("restoring replication threads: %w", uerr))
	}
	if refused(err) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrAborted, err)
}
