package coord

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// LockedError says the failover lock is held by another manager, who it is,
// and how the operator gets past it. errors.Is(err, ErrLocked) matches it.
type LockedError struct {
	Key     string
	Holder  Holder
	TTLLeft time.Duration // < 0: the key has no expiry
	Raw     string        // the stored value when it is not a mhago holder
	value   string        // the stored value, to take a dead holder's lock over
}

func newLockedError(key, raw string, ttl time.Duration) *LockedError {
	e := &LockedError{Key: key, TTLLeft: ttl, value: raw}
	var v lockValue
	if err := json.Unmarshal([]byte(raw), &v); err != nil || v.Token == "" {
		e.Raw = raw
		return e
	}
	e.Holder = v.Holder
	return e
}

// Error names the holder and the ways out.
func (e *LockedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "failover lock %s is held by %s", e.Key, e.holderText())
	b.WriteString(": wait for it to finish, or if that manager is gone, ")
	if e.TTLLeft < 0 {
		b.WriteString("note the lock has no expiry (set by hand?)")
	} else {
		fmt.Fprintf(&b, "the lock expires in %d s", int(math.Ceil(e.TTLLeft.Seconds())))
	}
	fmt.Fprintf(&b, "; `redis-cli DEL %s` only if you are sure", e.Key)
	return b.String()
}

func (e *LockedError) holderText() string {
	if e.Raw != "" || e.Holder == (Holder{}) {
		return fmt.Sprintf("an unknown owner (value %.80q)", e.Raw)
	}
	h := e.Holder
	s := fmt.Sprintf("host %s pid %d run %s since %s", h.Host, h.PID, h.RunID,
		h.Since.Format(time.RFC3339))
	if h.Command != "" {
		s += fmt.Sprintf(" (%s)", h.Command)
	}
	return s
}

// Is makes errors.Is(err, ErrLocked) true.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// redisErr wraps err for op. Failures to get an answer wrap ErrUnreachable;
// an answer that is an error (auth, wrong type, script) and our own
// cancellation do not, since retrying elsewhere would not help.
func redisErr(op string, c *Client, err error) error {
	var re redis.Error
	if errors.As(err, &re) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s on redis %s: %w", op, c.Where(), err)
	}
	return fmt.Errorf("%w: %s on redis %s: %w", ErrUnreachable, op, c.Where(), err)
}
