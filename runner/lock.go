package runner

import (
	"context"
	"fmt"
)

// takeLock takes the cluster lock and begins the journal: from here on
// every change is recorded before it is made.
func (r *Runner[S]) takeLock(ctx context.Context) error {
	var fence int64
	if r.cfg.Lock != nil {
		l, err := r.cfg.Lock(ctx)
		if err != nil {
			return err
		}
		if l != nil {
			r.mu.Lock()
			r.lock = l
			r.mu.Unlock()
			fence = l.Fence()
			go r.watch(l)
		}
	}
	if r.cfg.Begin == nil {
		return nil
	}
	w, err := r.cfg.Begin(ctx, fence)
	if err != nil {
		return err
	}
	r.mu.Lock()
	r.journal = w
	r.mu.Unlock()
	return nil
}

// watch reacts to the loss of l at once, not between steps: before the
// point of no return the run is cancelled (another manager may act now);
// after it, the run tries to take the lock again and, failing that, goes
// on with rerunnable steps only.
func (r *Runner[S]) watch(l Lock) {
	select {
	case <-l.Lost():
	case <-r.done:
		return
	}
	if !r.past.Load() {
		r.cancel(fmt.Errorf("%w: %w", ErrLockLost, l.Err()))
		return
	}
	ctx := context.Background()
	r.note(ctx, fmt.Sprintf("cluster lock lost after the point of no return: %v", l.Err()))
	r.warnf("the cluster lock was lost after the point of no return (%v); trying to take it again", l.Err())
	r.relock(ctx)
}

// relock tries to take the lock again after it was lost past the point of
// no return. When Redis restarted, the key is simply gone and this works;
// when another manager holds it, only rerunnable steps go on.
func (r *Runner[S]) relock(ctx context.Context) bool {
	if r.cfg.Lock == nil {
		return false
	}
	l, err := r.cfg.Lock(ctx)
	if err != nil || l == nil {
		r.mu.Lock()
		r.lockLost = true
		r.mu.Unlock()
		r.note(ctx, fmt.Sprintf("cluster lock not taken again: %v; only steps that are safe to repeat go on", err))
		return false
	}
	r.mu.Lock()
	r.lock, r.lockLost = l, false
	r.mu.Unlock()
	r.note(ctx, fmt.Sprintf("cluster lock taken again, fence %d", l.Fence()))
	go r.watch(l)
	return true
}

// lockGone tells whether the lock is lost past the point of no return and
// still cannot be taken again.
func (r *Runner[S]) lockGone(ctx context.Context) bool {
	r.mu.Lock()
	lost := r.lockLost
	r.mu.Unlock()
	return lost && !r.relock(ctx)
}

// Fence is the fencing number of the lock held now (0 without a lock).
func (r *Runner[S]) Fence() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lock == nil {
		return 0
	}
	return r.lock.Fence()
}

// LockHeld tells whether the run holds the cluster lock now.
func (r *Runner[S]) LockHeld() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lock != nil && !r.lockLost && r.lock.Err() == nil
}

// releaseLock gives the lock back unless it was lost: a lost lock is not
// ours to delete, and the run already said it lost it.
func (r *Runner[S]) releaseLock(ctx context.Context) error {
	r.mu.Lock()
	l, lost := r.lock, r.lockLost
	r.mu.Unlock()
	if l == nil || lost || l.Err() != nil {
		return nil
	}
	return l.Release(ctx)
}
