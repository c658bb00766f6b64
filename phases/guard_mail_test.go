package phases

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mhago/mhago/coord"
)

func TestGuardMail(t *testing.T) {
	tooSoon := func(ago string) error {
		return fmt.Errorf("%w: the last failover completed %s ago (/var/lib/mhago/c1.failover.complete), less than 8h0m0s", ErrGuard, ago)
	}
	locked := fmt.Errorf("%w: held by mgr2 pid 4242", coord.ErrLocked)
	s := guardState("server1", tooSoon("3m2s"))
	if s != guardState("server1", tooSoon("4m2s")) {
		t.Error("the same guard a minute later is another state")
	}
	if s == guardState("server2", tooSoon("3m2s")) || s == guardState("server1", locked) {
		t.Error("another master or another guard is the same state")
	}
	if !guardBlocked(tooSoon("1s")) || !guardBlocked(locked) || guardBlocked(ErrMasterAlive) || guardBlocked(errors.New("x")) {
		t.Error("guardBlocked")
	}
	t0 := time.Unix(1_800_000_000, 0)
	for _, tc := range []struct {
		name, last string
		lastAt     time.Time
		now        time.Time
		want       bool
	}{
		{"first refusal", "", time.Time{}, t0, true},
		{"same state a minute later", s, t0, t0.Add(time.Minute), false},
		{"same state a day later: a reminder", s, t0, t0.Add(guardRemindEvery), true},
		{"another state", "other", t0, t0.Add(time.Minute), true},
	} {
		if got := guardMailDue(tc.last, tc.lastAt, s, tc.now); got != tc.want {
			t.Errorf("%s: due %v, want %v", tc.name, got, tc.want)
		}
	}
	if st, at := parseGuardFile(s + " 1800000000\n"); st != s || !at.Equal(t0) {
		t.Errorf("parse: %q %v", st, at)
	}
	if st, _ := parseGuardFile(""); st != "" {
		t.Errorf("empty file: %q", st)
	}
}
