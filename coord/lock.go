package coord

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrLocked is matched (errors.Is) by a *LockedError: another manager holds
// the failover lock of the same application.
var ErrLocked = errors.New("failover lock held by another manager")

// ErrNotReplicated marks a new lock that fewer replicas
// acknowledged than Options.LockReplicas asks; it also wraps ErrUnreachable.
var ErrNotReplicated = errors.New("failover lock not acknowledged by enough replicas")

// ErrLockLost marks a lock we held but can no longer vouch for: its key was
// deleted or taken over, or Redis stayed unreachable past the lock's TTL.
var ErrLockLost = errors.New("failover lock lost")

const (
	// DefaultLockTTL is the lock TTL when LockOptions.TTL is zero.
	DefaultLockTTL = 30 * time.Second
	// MinLockTTL is the shortest TTL accepted: renewal runs every TTL/3 and
	// must survive one slow round trip.
	MinLockTTL = 3 * time.Second
	// DefaultKeyPrefix prefixes every key when no prefix is configured.
	DefaultKeyPrefix = "mhago"
)

// Holder says who holds the failover lock, for the operator who finds it
// taken.
type Holder struct {
	Host    string    `json:"host"`
	PID     int       `json:"pid"`
	RunID   string    `json:"run_id"`
	Command string    `json:"command"`
	Since   time.Time `json:"since"`
}

// LockOptions configures Acquire.
type LockOptions struct {
	KeyPrefix string        // "" => DefaultKeyPrefix
	Cluster   string        // cluster id (config.Config.ClusterID); required
	TTL       time.Duration // 0 => DefaultLockTTL; raised to MinLockTTL
	Owner     Holder        // empty Host/PID/Since are filled from this process
	Logger    *slog.Logger  // nil => discard
	// OnLost is called once, on its own goroutine, with an error wrapping
	// ErrLockLost when the lock can no longer be renewed.
	OnLost func(error)
	// TakeOver, when set, is asked about a holder found in the key: true
	// deletes exactly that holder's value and claims the lock. It serves a
	// run that finishes an earlier run of this host whose process is gone,
	// so the operator does not wait a whole TTL at 3 a.m.
	TakeOver func(Holder) bool
}

// lockValue is what the lock key holds: the token proves ownership, the
// holder informs whoever finds the lock taken.
type lockValue struct {
	Token  string `json:"token"`
	Holder Holder `json:"holder"`
}

// Lock is a held failover lock. It renews itself until Release, until the
// context given to Acquire is done, or until it is lost.
type Lock struct {
	c        *Client
	key      string
	fenceK   string
	value    string // exact stored value; it embeds our token
	holder   Holder
	fence    int64
	ttl      time.Duration
	log      *slog.Logger
	onLost   func(error)
	takeOver func(Holder) bool

	lost     chan struct{}
	lostOnce sync.Once
	lostErr  error
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{} // closed when renewal exits; nil if never started

	mu       sync.Mutex
	released bool
}

// The renew and release scripts compare the whole value, which embeds our
// random token, so a manager never extends or deletes a lock another one
// took after expiry. The acquire script sets the lock and takes the fencing
// number in one step: a lock is never held without its number, and a number
// is never taken without the lock. Its two keys share the cluster's hash
// tag (see Key), which Redis Cluster requires of a script's keys.
var (
	acquireScript = redis.NewScript(`
if redis.call("SET", KEYS[1], ARGV[1], "NX", "PX", ARGV[2]) then
  return redis.call("INCR", KEYS[2])
end
return false`)
	renewScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("PEXPIRE", KEYS[1], ARGV[2])
end
return 0`)
	releaseScript = redis.NewScript(`
if redis.call("GET", KEYS[1]) == ARGV[1] then
  return redis.call("DEL", KEYS[1])
end
return 0`)
)

// Acquire takes the failover lock <prefix>:{<cluster>}:failover-lock with
// SET NX PX and, in the same script, increments the fencing counter
// <prefix>:{<cluster>}:fence; then it renews the lock every TTL/3. If
// another manager holds it, the error is a *LockedError (errors.Is
// ErrLocked); if Redis does not answer, it wraps ErrUnreachable.
//
// With Options.LockReplicas = n > 0, the lock counts as taken only once n
// replicas acknowledged it and its fencing number (WAIT): so a replica
// that Sentinel or Cluster promotes after acknowledging holds both, and the
// holder goes on renewing there. Otherwise Acquire gives the lock back and
// fails with ErrNotReplicated. See README "What the Redis lock guarantees".
//
// ctx bounds the lock's life: when it is done renewal stops (the lock is not
// released and expires after its TTL), so pass the run's context, not a
// short per-call timeout.
func Acquire(ctx context.Context, c *Client, o LockOptions) (*Lock, error) {
	l, err := newLock(c, o, rand.Text())
	if err != nil {
		return nil, err
	}
	start := time.Now()
	if err := l.claim(ctx); err != nil {
		return nil, err
	}
	l.log.Info("failover lock acquired", "key", l.key, "fence", l.fence, "ttl", l.ttl)
	l.done = make(chan struct{})
	go l.renew(ctx, start)
	return l, nil
}

// newLock validates the options and builds an unclaimed lock for token.
func newLock(c *Client, o LockOptions, token string) (*Lock, error) {
	if c == nil {
		return nil, errors.New("acquire failover lock: nil redis client")
	}
	if o.Cluster == "" {
		return nil, errors.New("acquire failover lock: empty cluster id")
	}
	h := fillHolder(o.Owner)
	v, err := json.Marshal(lockValue{Token: token, Holder: h})
	if err != nil {
		return nil, fmt.Errorf("acquire failover lock: encode holder: %w", err)
	}
	return &Lock{
		c: c, key: Key(o.KeyPrefix, o.Cluster, "failover-lock"), fenceK: Key(o.KeyPrefix, o.Cluster, "fence"),
		value:  string(v),
		holder: h, ttl: lockTTL(o.TTL), log: orDiscard(o.Logger), onLost: o.OnLost, takeOver: o.TakeOver,
		lost: make(chan struct{}), stop: make(chan struct{}),
	}, nil
}

// Key returns <prefix>:{<cluster>}:<name>, with DefaultKeyPrefix for an
// empty prefix: the naming of every key and channel of a cluster. The
// braces are a Redis Cluster hash tag: all keys of one cluster hash to one
// slot, so a script or transaction may touch several of them. (A prefix
// must not contain braces, or the tag would be taken from it; config
// rejects them.)
func Key(prefix, cluster, name string) string {
	if prefix == "" {
		prefix = DefaultKeyPrefix
	}
	return prefix + ":{" + cluster + "}:" + name
}

func lockTTL(ttl time.Duration) time.Duration {
	switch {
	case ttl == 0:
		return DefaultLockTTL
	case ttl < MinLockTTL:
		return MinLockTTL
	}
	return ttl.Truncate(time.Millisecond)
}

// fillHolder completes the fields an operator needs to find this process.
func fillHolder(h Holder) Holder {
	if h.Host == "" {
		h.Host, _ = os.Hostname()
	}
	if h.PID == 0 {
		h.PID = os.Getpid()
	}
	if h.Since.IsZero() {
		h.Since = time.Now().UTC().Truncate(time.Millisecond)
	}
	return h
}

func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

// claim sets the key and takes the fence, or reports who holds it. The key
// can expire between a failed SET and the GET that names the holder; then
// SET is tried again.
func (l *Lock) claim(ctx context.Context) error {
	for range 3 {
		got, err := l.tryClaim(ctx)
		if got || err != nil {
			return err
		}
		err = l.readHolder(ctx)
		var le *LockedError
		switch {
		case errors.As(err, &le) && le.value == l.value && l.c.replicas > 0:
			// Our own SET, whose answer a retry lost, and with it the
			// WAIT's: nothing says the replicas have it.
			l.dropAfterFailure()
			return l.notReplicated(0)
		case errors.As(err, &le) && le.value == l.value:
			// Our own SET, whose answer a retry lost: the fence it took
			// is still the counter's value, as nobody can take one while
			// we hold the lock.
			return l.readOwnFence(ctx)
		case errors.As(err, &le) && l.mayTakeOver(le):
			if err := l.dropValue(ctx, le.value); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
	}
	return fmt.Errorf("acquire failover lock %s: %w: it changed hands three times in a row", l.key, ErrLocked)
}

// tryClaim runs the acquire script, and WAITs for the replicas when asked
// to. false and no error: someone else holds the lock.
func (l *Lock) tryClaim(ctx context.Context) (bool, error) {
	op := "acquire failover lock " + l.key
	res := redis.NewCmd(ctx) // stays empty if the pipeline never runs
	acked, err := l.c.replicated(ctx, l.key, func(p redis.Pipeliner) {
		res = acquireScript.Eval(ctx, p, []string{l.key, l.fenceK}, l.value, l.ttl.Milliseconds())
	}, l.waitBound())
	switch {
	case errors.Is(res.Err(), redis.Nil):
		return false, nil
	case res.Err() != nil: // the script's own failure, rather than the pipeline's summary of it
		return false, redisErr(op, l.c, res.Err())
	}
	fence, ferr := res.Int64()
	if ferr != nil { // the script never ran: no connection, AUTH refused...
		return false, redisErr(op, l.c, cmp.Or(err, ferr))
	}
	l.fence = fence
	switch {
	case err != nil: // the lock is set, but the WAIT failed
		l.dropAfterFailure()
		return false, redisErr(op, l.c, err)
	case acked < l.c.replicas:
		l.dropAfterFailure()
		return false, l.notReplicated(acked)
	}
	return true, nil
}

// waitBound is how long WAIT may block: a healthy replica acknowledges in
// milliseconds; at most a second, a third of the TTL, and half the I/O
// timeout, so that the reply arrives before the client gives up on it.
func (l *Lock) waitBound() time.Duration { return min(l.ttl/3, time.Second, l.c.timeout/2) }

func (l *Lock) notReplicated(acked int) error {
	return fmt.Errorf("%w: %w: acquire failover lock %s: %d of the %d replicas required (redis_lock_replicas) acknowledged within %s on redis %s; "+
		"a Redis failover now could lose the lock and its fencing number: fix the replicas (INFO replication on the master) or lower redis_lock_replicas",
		ErrUnreachable, ErrNotReplicated, l.key, acked, l.c.replicas, l.waitBound(), l.c.Where())
}

func (l *Lock) readOwnFence(ctx context.Context) error {
	n, err := l.c.Get(ctx, l.fenceK).Int64()
	if err != nil {
		return redisErr("read fence "+l.fenceK, l.c, err)
	}
	l.fence = n
	return nil
}

// readHolder returns the *LockedError naming the current holder, or nil if
// the key is gone.
func (l *Lock) readHolder(ctx context.Context) error {
	var get *redis.StringCmd
	var pttl *redis.DurationCmd
	_, err := l.c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		get, pttl = p.Get(ctx, l.key), p.PTTL(ctx, l.key)
		return nil
	})
	if errors.Is(err, redis.Nil) {
		return nil
	}
	if err != nil {
		return redisErr("read failover lock holder "+l.key, l.c, err)
	}
	return newLockedError(l.key, get.Val(), pttl.Val())
}

func (l *Lock) mayTakeOver(le *LockedError) bool {
	return l.takeOver != nil && le.Raw == "" && l.takeOver(le.Holder)
}

// dropValue deletes the key only while it still holds value.
func (l *Lock) dropValue(ctx context.Context, value string) error {
	n, err := releaseScript.Run(ctx, l.c, []string{l.key}, value).Int64()
	if err != nil {
		return redisErr("take over failover lock "+l.key, l.c, err)
	}
	l.log.Warn("failover lock taken over from a dead holder", "key", l.key, "deleted", n == 1)
	return nil
}

// dropAfterFailure gives the lock back when Acquire cannot complete, so a
// half-taken lock does not block the next manager for a whole TTL.
func (l *Lock) dropAfterFailure() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := l.deleteIfOwned(ctx); err != nil {
		l.log.Warn("could not drop failover lock after a failed acquire", "key", l.key, "err", err)
	}
}

// renew extends the lock every TTL/3. expiry tracks when Redis drops the key
// if no renewal succeeds: it is measured from before each successful call,
// so we declare the lock lost no later than Redis expires it.
func (l *Lock) renew(ctx context.Context, since time.Time) {
	defer close(l.done)
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	deadline := since.Add(l.ttl) // when Redis drops the key, at the latest
	expiry := time.NewTimer(time.Until(deadline))
	defer expiry.Stop()
	var lastErr error
	for {
		select {
		case <-ctx.Done():
			l.log.Warn("failover lock no longer renewed: context done", "key", l.key, "err", ctx.Err())
			return
		case <-l.stop:
			return
		case <-expiry.C:
			l.markLost(l.expiredErr(lastErr))
			return
		case <-tick.C:
			sent := time.Now()
			owned, err := l.extend(ctx)
			switch {
			case err != nil:
				lastErr = err
				l.log.Warn("failover lock renewal failed", "key", l.key, "err", err)
				// A renewal can take as long as a period: do not leave
				// the verdict to select's random choice.
				if !time.Now().Before(deadline) {
					l.markLost(l.expiredErr(lastErr))
					return
				}
			case !owned:
				l.markLost(fmt.Errorf("%w: %s was deleted, expired or taken over by another manager "+
					"(after a Redis failover: the promoted replica did not have it)", ErrLockLost, l.key))
				return
			default:
				deadline = sent.Add(l.ttl)
				expiry.Reset(time.Until(deadline))
			}
		}
	}
}

func (l *Lock) expiredErr(lastErr error) error {
	if lastErr == nil {
		return fmt.Errorf("%w: %s not renewed within its TTL %s", ErrLockLost, l.key, l.ttl)
	}
	return fmt.Errorf("%w: %s not renewed within its TTL %s: %w", ErrLockLost, l.key, l.ttl, lastErr)
}

// extend runs the renew script, bounded by a renewal period. It does not
// WAIT for replicas: a renewal reaches a healthy replica in milliseconds,
// and with no replica left after a Redis failover, waiting would only make
// the lock unrenewable. So a promoted replica that missed the last renewals
// keeps an earlier expiry than we count on (README: what the lock
// guarantees).
func (l *Lock) extend(ctx context.Context) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, l.ttl/3)
	defer cancel()
	n, err := renewScript.Run(ctx, l.c, []string{l.key}, l.value, l.ttl.Milliseconds()).Int64()
	if err != nil {
		return false, redisErr("renew failover lock "+l.key, l.c, err)
	}
	return n == 1, nil
}

func (l *Lock) markLost(err error) {
	l.lostOnce.Do(func() {
		l.log.Error("failover lock lost", "key", l.key, "err", err)
		l.lostErr = err
		close(l.lost)
		if l.onLost != nil {
			go l.onLost(err) // on its own goroutine: it may call Release
		}
	})
}

// Release stops renewal and deletes the lock if it is still ours. It is
// idempotent. If the lock had already expired or been taken over, nothing is
// deleted and the error wraps ErrLockLost. Pass a live context: a cancelled
// one cannot reach Redis.
func (l *Lock) Release(ctx context.Context) error {
	l.stopRenewal()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.released {
		return nil
	}
	owned, err := l.deleteIfOwned(ctx)
	if err != nil {
		return err
	}
	l.released = true
	if !owned {
		return fmt.Errorf("release %s: %w: it had expired or been taken over", l.key, ErrLockLost)
	}
	l.log.Info("failover lock released", "key", l.key, "fence", l.fence)
	return nil
}

func (l *Lock) stopRenewal() {
	l.stopOnce.Do(func() { close(l.stop) })
	if l.done != nil {
		<-l.done
	}
}

func (l *Lock) deleteIfOwned(ctx context.Context) (bool, error) {
	n, err := releaseScript.Run(ctx, l.c, []string{l.key}, l.value).Int64()
	if err != nil {
		return false, redisErr("release failover lock "+l.key, l.c, err)
	}
	return n == 1, nil
}

// Lost is closed when the lock is lost (not when it is released).
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err returns why the lock was lost (wrapping ErrLockLost), or nil.
func (l *Lock) Err() error {
	select {
	case <-l.lost:
		return l.lostErr
	default:
		return nil
	}
}

// Holder returns who we recorded as the holder.
func (l *Lock) Holder() Holder { return l.holder }

// Key returns the Redis key of the lock.
func (l *Lock) Key() string { return l.key }

// TTL returns the lock's effective TTL.
func (l *Lock) TTL() time.Duration { return l.ttl }

// Fence returns the fencing number taken on Acquire: it grows with every
// acquisition, so reports and hooks can tell a newer failover from an older.
func (l *Lock) Fence() int64 { return l.fence }
