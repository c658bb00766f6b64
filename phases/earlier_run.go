package phases

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/endpoints"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/report"
	"github.com/mhago/mhago/runner"
)

// ErrNothingToResume: --resume or --abandon found no run to act on.
var ErrNothingToResume = errors.New("no earlier run to resume or abandon")

// prepare makes sure the run can keep its records, takes this manager
// host's lock on the cluster, and looks for an earlier run that did not
// finish, in manager_workdir and in Redis.
func (st *State) prepare(ctx context.Context) error {
	if err := st.checkManagerWorkdir(); err != nil {
		return err
	}
	hl, err := journal.LockHost(st.cfg.ManagerWorkdir, st.cluster)
	if err != nil {
		return err
	}
	st.hostLock = hl
	if ro, ok := endpoints.Redis(st.cfg); ok && !st.opts.NoLock {
		st.redis = coord.NewClient(ro)
		st.mirror = coord.NewJournalMirror(st.redis, ro.KeyPrefix, st.cluster)
	}
	return st.findEarlierRun(ctx)
}

// checkManagerWorkdir refuses to start a run that could not write its
// journal, report and guard files: one that fails over and then cannot say
// so is worse than one that does not start.
func (st *State) checkManagerWorkdir() error {
	dir := st.cfg.ManagerWorkdir
	fail := func(err error) error {
		return fmt.Errorf("%w: %s: %w (fix: create it writable for this user, or set manager_workdir)", ErrManagerWorkdir, dir, err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fail(err)
	}
	f, err := os.CreateTemp(dir, ".mhago-probe-*")
	if err != nil {
		return fail(err)
	}
	defer os.Remove(f.Name())
	_, err = f.Write([]byte("probe\n"))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// findEarlierRun sets st.prev to the run to resume or abandon, if any: an
// unfinished journal here or in Redis, or, for --resume, the last run if
// it failed after its point of no return (exit 13).
func (st *State) findEarlierRun(ctx context.Context) error {
	active, err := journal.Active(st.cfg.ManagerWorkdir, st.cluster)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrGuard, err)
	}
	remote := st.mirroredRun(ctx)
	active = st.closeResumedElsewhere(active, remote)
	st.prev, st.superseded = journal.Current(active)
	if st.prev == nil && remote != nil && !remote.Ended {
		st.prev = remote
	}
	if st.prev == nil && st.opts.Resume {
		st.prev = st.lastFailedRun(remote)
	}
	return nil
}

// mirroredRun is the run Redis holds, or nil (none, or Redis unreachable:
// the lock step then says so).
func (st *State) mirroredRun(ctx context.Context) *journal.Replay {
	if st.mirror == nil {
		return nil
	}
	r, err := st.mirror.Replay(ctx)
	if err != nil {
		st.Report.Note("run journal in Redis not read: " + err.Error())
		return nil
	}
	return r
}

// closeResumedElsewhere closes local unfinished journals of runs that
// another manager host has since resumed (the run in Redis names them).
func (st *State) closeResumedElsewhere(active []*journal.Replay, remote *journal.Replay) []*journal.Replay {
	if remote == nil || remote.Begin.Resumes == "" {
		return active
	}
	var keep []*journal.Replay
	for _, r := range active {
		if r.Run != remote.Begin.Resumes {
			keep = append(keep, r)
			continue
		}
		note := fmt.Sprintf("resumed by run %s on %s", remote.Run, remote.Begin.ManagerHost)
		if err := journal.CloseUnfinished(r.Source, r, journal.EndResumed, note); err != nil {
			st.Report.Note(fmt.Sprintf("could not close journal %s: %v", r.Source, err))
		}
	}
	return keep
}

// lastFailedRun is the newest ended run if it failed after its point of
// no return: --resume finishes it like an unfinished one.
func (st *State) lastFailedRun(remote *journal.Replay) *journal.Replay {
	last, err := journal.Latest(st.cfg.ManagerWorkdir, st.cluster)
	if err != nil {
		st.Report.Note("ended run journals not read: " + err.Error())
	}
	if remote != nil && (last == nil || remote.Run > last.Run) {
		last = remote
	}
	if last != nil && last.PastNoReturn && last.Outcome == report.OutcomeFailed {
		return last
	}
	return nil
}

// chooseSteps picks the steps: the operation's own, or, with an earlier
// run that did not finish, what the operator chose to do with it. A resume
// continues the earlier run's operation; an abandon restores what any
// operation changed before its point of no return.
func (st *State) chooseSteps() (steps []step, pastNoReturn bool, err error) {
	p := st.prev
	switch {
	case p == nil && (st.opts.Resume || st.opts.Abandon):
		return nil, false, fmt.Errorf("%w: no unfinished run of cluster %s in %s or Redis, and the last one did not fail after its point of no return",
			ErrNothingToResume, st.cluster, st.cfg.ManagerWorkdir)
	case p == nil:
		return st.opSteps(), false, nil
	case st.opts.Abandon:
		st.Report.Mode = report.ModeAbandon
		st.Report.PointOfNoReturnPassed = p.PastNoReturn // by the run abandoned
		return abandonSteps(p.PastNoReturn), false, nil
	case st.opts.Resume && prevOp(p) == OpRejoin:
		return nil, false, fmt.Errorf("%w: run %s was a rejoin, which is not resumed: close it with `mhago %s --conf %s --abandon` (it makes the host writable again if the rejoin had made it read-only), then run the rejoin again",
			ErrUnfinished, p.Run, st.op, st.cfg.Path)
	case st.opts.Resume && prevOp(p) != st.op:
		return nil, false, fmt.Errorf("%w: run %s was a %s: finish it with `mhago %s --conf %s --resume`", ErrUnfinished, p.Run, prevOp(p), prevOp(p), st.cfg.Path)
	case st.opts.Resume && p.PastNoReturn:
		st.Report.Mode = report.ModeResume
		st.Report.PointOfNoReturnPassed = true // by the run resumed
		return st.resumeSteps(), true, nil
	case st.opts.Resume:
		st.Report.Mode = report.ModeResume
		return restartSteps(st.opSteps()), false, nil
	}
	return nil, false, st.unfinishedError()
}

// opSteps are the steps of a fresh run of the operation.
func (st *State) opSteps() []step {
	if st.op == OpSwitchover {
		return switchoverSteps()
	}
	return failoverSteps()
}

// resumeSteps finish the earlier run's operation past its point of no
// return.
func (st *State) resumeSteps() []step {
	if st.op == OpSwitchover {
		return switchResumeSteps()
	}
	return resumeSteps()
}

// prevOp is the operation an earlier run did.
func prevOp(p *journal.Replay) Operation {
	if p.Begin.Op == "" {
		return OpFailover
	}
	return Operation(p.Begin.Op)
}

// unfinishedError says where the earlier run stopped and both ways on.
func (st *State) unfinishedError() error {
	p := st.prev
	what := "restores the replication threads it stopped, then fails over afresh"
	if p.PastNoReturn {
		what = fmt.Sprintf("finishes its plan: same new master, and each host's own GTID state decides what is still to apply")
	}
	undo := "restores what it stopped and changes nothing else"
	if p.PastNoReturn {
		undo = "changes nothing on the servers and leaves the error file until you have repaired the cluster"
	}
	op := prevOp(p)
	if op == OpSwitchover {
		what = "restores the old master, then switches afresh"
		if p.PastNoReturn {
			what = "finishes its plan: the same new master, the replicas repointed at the position it recorded"
		}
	}
	return fmt.Errorf("%w: %s (journal %s).\n  To finish it (%s):\n    mhago %s --conf %s --resume\n  To close it without finishing it (%s):\n    mhago %s --conf %s --abandon",
		ErrUnfinished, p.StoppedAt(), p.Source, what, op, st.cfg.Path, undo, op, st.cfg.Path)
}

// beginJournal starts this run's journal once the lock is held, after
// checking, under the lock, that no other run started meanwhile.
func (st *State) beginJournal(ctx context.Context, fence int64) (*journal.Writer, error) {
	if r := st.mirroredRun(ctx); r != nil && !r.Ended && (st.prev == nil || r.Run != st.prev.Run) {
		st.prev = r
		return nil, st.unfinishedError()
	}
	host, _ := os.Hostname()
	b := journal.Begin{Operation: string(st.Report.Mode), Op: string(st.op), Cluster: st.cluster, App: st.cfg.App, Config: st.cfg.Path,
		ManagerHost: host, PID: os.Getpid(), Command: st.opts.Command, Fence: fence, Started: st.Report.Started}
	if st.prev != nil {
		b.Resumes = st.prev.Run
	}
	var m journal.Mirror
	if st.mirror != nil {
		m = st.mirror
	}
	return journal.Create(ctx, st.cfg.ManagerWorkdir, st.cluster, st.opts.RunID, b, m, func(err error) {
		st.warn(fmt.Sprintf("%v (the local journal %s is complete; another manager host sees it only once Redis answers)",
			err, journal.Path(st.cfg.ManagerWorkdir, st.cluster, st.opts.RunID)))
	})
}

// closeEarlierRuns ends the journals this run takes over, once what it
// needs from them is in its own journal.
func (st *State) closeEarlierRuns(outcome string) {
	if st.opts.DryRun {
		return
	}
	for _, r := range append([]*journal.Replay{st.prev}, st.superseded...) {
		if r == nil || r.Ended || !isFile(r.Source) {
			continue
		}
		if err := journal.CloseUnfinished(r.Source, r, outcome, "by run "+st.opts.RunID); err != nil {
			st.Report.Note(fmt.Sprintf("could not close the journal of run %s: %v", r.Run, err))
		}
	}
}

func isFile(p string) bool {
	if !filepath.IsAbs(p) {
		return false
	}
	_, err := os.Stat(p)
	return err == nil
}

// lockFunc takes the cluster's Redis lock for the runner. A run that
// resumes or abandons an earlier run of this host whose process is gone
// takes that run's lock over instead of waiting for its TTL.
func (st *State) lockFunc() func(context.Context) (runner.Lock, error) {
	return func(ctx context.Context) (runner.Lock, error) {
		if st.redis == nil {
			st.noteNoLock()
			return nil, nil
		}
		ro, _ := endpoints.Redis(st.cfg)
		host, _ := os.Hostname()
		l, err := coord.Acquire(context.WithoutCancel(ctx), st.redis, coord.LockOptions{KeyPrefix: ro.KeyPrefix, Cluster: st.cluster,
			TTL: st.cfg.Redis.LockTTL, Logger: st.log, TakeOver: st.mayTakeOver,
			Owner: coord.Holder{Host: host, PID: os.Getpid(), RunID: st.opts.RunID, Command: st.opts.Command, Since: st.deps.Now()}})
		if errors.Is(err, coord.ErrUnreachable) {
			return nil, fmt.Errorf("%w (fix: start Redis at %s, or pass --no-lock if you are sure no other manager runs)", err, ro.Addr)
		}
		if err != nil {
			return nil, err
		}
		st.Report.SetLock(l.Key(), l.Fence(), host)
		return l, nil
	}
}

func (st *State) noteNoLock() {
	why := "no redis_address in the config"
	if st.opts.NoLock {
		why = "--no-lock"
	}
	msg := fmt.Sprintf("ran without the cluster lock (%s): nothing stopped another manager host from failing over at the same time", why)
	st.Report.Note(msg)
	st.warn(msg)
}

// mayTakeOver allows taking the lock from the earlier run this one
// resumes or abandons, when that run was on this host and its process is
// gone (SIGKILLed, or the host rebooted).
func (st *State) mayTakeOver(h coord.Holder) bool {
	host, _ := os.Hostname()
	if !(st.opts.Resume || st.opts.Abandon) || st.prev == nil || h.RunID != st.prev.Run || h.Host != host {
		return false
	}
	return !processAlive(h.PID)
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

func (st *State) warn(msg string) {
	if st.deps.Warn != nil {
		st.deps.Warn(msg)
	}
}
