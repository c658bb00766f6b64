package monitor

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/phases"
)

func TestStep(t *testing.T) {
	rule := Rule{Confirmations: 3}
	tests := []struct {
		name     string
		before   Tracker
		obs      Observation
		want     State
		failures int
		why      bool
	}{
		{"healthy stays healthy", Tracker{State: StateHealthy}, Observation{Ping: PingOK}, StateHealthy, 0, false},
		{"an answered error is alive", Tracker{State: StateSuspect, Failures: 2}, Observation{Ping: PingAnswered}, StateHealthy, 0, false},
		{"first silent ping: suspect", Tracker{State: StateHealthy}, Observation{Ping: PingSilent, Replicas: 3}, StateSuspect, 1, false},
		{"second silent ping: still suspect", Tracker{State: StateSuspect, Failures: 1}, Observation{Ping: PingSilent, Replicas: 3}, StateSuspect, 2, false},
		{"third silent ping: dead", Tracker{State: StateSuspect, Failures: 2}, Observation{Ping: PingSilent, Replicas: 3}, StateDead, 3, true},
		{"slow master answers before the window ends", Tracker{State: StateSuspect, Failures: 2}, Observation{Ping: PingOK}, StateHealthy, 0, false},
		{"crash: refused and every replica lost it", Tracker{State: StateHealthy}, Observation{Ping: PingRefused, Replicas: 3, ReplicasLost: 3}, StateDead, 1, true},
		{"refused but a replica still connected", Tracker{State: StateHealthy}, Observation{Ping: PingRefused, Replicas: 3, ReplicasLost: 2}, StateSuspect, 1, false},
		{"refused, no replica answered: no fast path", Tracker{State: StateHealthy}, Observation{Ping: PingRefused}, StateSuspect, 1, false},
		{"refused three times with a replica connected", Tracker{State: StateSuspect, Failures: 2}, Observation{Ping: PingRefused, Replicas: 3, ReplicasLost: 1}, StateDead, 3, true},
		{"silent with every replica lost still waits", Tracker{State: StateHealthy}, Observation{Ping: PingSilent, Replicas: 2, ReplicasLost: 2}, StateSuspect, 1, false},
		{"early look at a crash confirms it", Tracker{State: StateHealthy}, Observation{Ping: PingRefused, Replicas: 3, ReplicasLost: 3, Early: true}, StateDead, 1, true},
		{"early silent look does not count toward the window", Tracker{State: StateSuspect, Failures: 2}, Observation{Ping: PingSilent, Replicas: 3, Early: true}, StateSuspect, 2, false},
		{"early refused look with a replica connected does not count", Tracker{State: StateHealthy}, Observation{Ping: PingRefused, Replicas: 3, ReplicasLost: 1, Early: true}, StateSuspect, 0, false},
		{"early look at an answering master is healthy", Tracker{State: StateSuspect, Failures: 1}, Observation{Ping: PingOK, Early: true}, StateHealthy, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, why := Step(tt.before, tt.obs, rule)
			if got.State != tt.want || got.Failures != tt.failures || (why != "") != tt.why {
				t.Errorf("Step(%+v, %+v) = %+v, %q; want %s with %d failures (reason: %v)", tt.before, tt.obs, got, why, tt.want, tt.failures, tt.why)
			}
		})
	}
}

func TestStepZeroConfirmationsStillNeedsOneFailure(t *testing.T) {
	got, _ := Step(Tracker{State: StateHealthy}, Observation{Ping: PingOK}, Rule{})
	if got.State != StateHealthy {
		t.Fatalf("a zero rule declared an answering master %s", got.State)
	}
	got, _ = Step(Tracker{State: StateHealthy}, Observation{Ping: PingSilent}, Rule{})
	if got.State != StateDead {
		t.Fatalf("a zero rule is one ping, got %s", got.State)
	}
}

func TestClassify(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("phase x: %w", err) }
	tests := []struct {
		err  error
		want Outcome
	}{
		{nil, OutcomeDone},
		{wrap(phases.ErrPartial), OutcomeDone},
		{wrap(phases.ErrAfterPONR), OutcomeBroken},
		{wrap(phases.ErrAbortIncomplete), OutcomeBroken},
		{wrap(&coord.LockedError{Key: "k"}), OutcomeLost},
		{wrap(journal.ErrBusy), OutcomeLost},
		{wrap(phases.ErrUnfinished), OutcomeLost},
		{wrap(phases.ErrMasterAlive), OutcomeAlive},
		{wrap(phases.ErrGuard), OutcomeRefused},
		{wrap(phases.ErrTopology), OutcomeRefused},
		{errors.New("ssh: no route"), OutcomeAborted},
		// After the point of no return wins over anything else in the chain.
		{fmt.Errorf("%w: %w", phases.ErrAfterPONR, coord.ErrLocked), OutcomeBroken},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %s, want %s", tt.err, got, tt.want)
		}
	}
}

func TestBackoff(t *testing.T) {
	iv := time.Second
	for o, want := range map[Outcome]time.Duration{OutcomeDone: 0, OutcomeLost: 3 * iv, OutcomeAborted: 10 * iv, OutcomeRefused: 3 * iv, OutcomeAlive: 3 * iv} {
		if got := Backoff(o, iv); got != want {
			t.Errorf("Backoff(%s) = %s, want %s", o, got, want)
		}
	}
}
