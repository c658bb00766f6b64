// Package monitor is mhago's long-running manager (MHA's masterha_manager):
// it pings the master every ping_interval, decides when it is dead, runs
// the failover under the Redis lock, and follows the cluster config the
// winner of the lock publishes.
//
// This file decides; the rest does. Step is a pure state machine over
// plain values, so every transition is table-tested without a server.
package monitor

import (
	"errors"
	"fmt"
	"time"

	"github.com/mhago/mhago/coord"
	"github.com/mhago/mhago/journal"
	"github.com/mhago/mhago/phases"
)

// State is where the monitor stands about the master.
type State string

// The monitor's states, in the order a dead master passes them.
const (
	StateHealthy State = "healthy" // the last ping was answered
	StateSuspect State = "suspect" // pings fail, not yet confirmed
	StateDead    State = "dead"    // confirmed: the failover is due
)

// PingResult classifies one ping of the master.
type PingResult string

// What a ping found.
const (
	// PingOK: the master answered the ping.
	PingOK PingResult = "ok"
	// PingAnswered: the server answered with an error (too many
	// connections, access denied, read_only for INSERT...): mysqld runs,
	// which MHA's "alive list" of errors also counts as no crash.
	PingAnswered PingResult = "answered"
	// PingRefused: the connection was refused at once (RST): nothing
	// listens on the port, as after a crash of mysqld.
	PingRefused PingResult = "refused"
	// PingSilent: no answer within the ping's time (timeout, no route):
	// the host or mysqld vanished without closing its sockets, or hangs.
	PingSilent PingResult = "silent"
)

// Observation is one check cycle: the ping and, when it failed, what the
// master's replicas see.
type Observation struct {
	Ping PingResult
	// Replicas counts the replicas of the master that answered;
	// ReplicasLost those whose IO thread is not running (they lost it).
	Replicas, ReplicasLost int
	// Early: the cycle ran between pings because the watch connection to
	// the master broke. It may confirm a crash, but it never counts
	// toward the Confirmations window, which stays ping_interval × N.
	Early bool
}

// Tracker is the monitor's memory between cycles.
type Tracker struct {
	State State
	// Failures counts the consecutive failed pings.
	Failures int
}

// Rule is how many failed pings confirm a death.
type Rule struct {
	// Confirmations is the number of consecutive failed pings that
	// confirm a master that vanished silently (3 = ping_interval × 3).
	Confirmations int
}

// Step is one check cycle's transition: the new tracker and, when the
// master became confirmed dead, why.
//
// A crash is confirmed at its first failed ping when the port refuses
// the connection and every replica that answered already lost its IO
// thread: the kernel closed mysqld's sockets, so the replicas saw it at
// the same moment, and nothing can be slow about a closed port. Any other
// failure (a silent port, or replicas still connected) needs
// Confirmations pings in a row: a master that is only slow for less than
// that window answers again before, and resets the count.
func Step(t Tracker, o Observation, r Rule) (Tracker, string) {
	switch o.Ping {
	case PingOK, PingAnswered:
		return Tracker{State: StateHealthy}, ""
	}
	if o.Ping == PingRefused && o.Replicas > 0 && o.ReplicasLost == o.Replicas {
		t.Failures++
		t.State = StateDead
		return t, fmt.Sprintf("connection refused and all %d replicas lost their IO thread", o.Replicas)
	}
	if o.Early {
		if t.State == StateHealthy {
			t.State = StateSuspect
		}
		return t, ""
	}
	t.Failures++
	if t.Failures >= max(r.Confirmations, 1) {
		t.State = StateDead
		return t, fmt.Sprintf("%d pings in a row failed (%s), %d of %d replicas lost their IO thread",
			t.Failures, o.Ping, o.ReplicasLost, o.Replicas)
	}
	t.State = StateSuspect
	return t, ""
}

// Outcome is what a failover run the monitor started came to.
type Outcome string

// Failover outcomes, as the failovers_total metric labels them.
const (
	// OutcomeDone: this monitor failed the master over (also partially:
	// some replica not recovered, the report says which).
	OutcomeDone Outcome = "done"
	// OutcomeLost: another manager holds the lock or the run journal, or
	// its run is under way: this one waits for its published config.
	OutcomeLost Outcome = "lost"
	// OutcomeAlive: the failover's own confirmation found the master
	// alive; monitoring goes on.
	OutcomeAlive Outcome = "alive"
	// OutcomeRefused: a guard refused before any change (last failover
	// too recent, the topology changed, the master now answers...):
	// rediscover the master and go on.
	OutcomeRefused Outcome = "refused"
	// OutcomeAborted: the run aborted before its point of no return and
	// left the cluster as it was; the next cycles may try again.
	OutcomeAborted Outcome = "aborted"
	// OutcomeBroken: the run failed after its point of no return, or
	// could not restart what it stopped: an operator must finish it
	// (--resume, --abandon), so the monitor stops.
	OutcomeBroken Outcome = "broken"
)

// Classify maps a failover's error to its outcome. The order follows the
// exit code table: the most severe conditions first.
func Classify(err error) Outcome {
	switch {
	case err == nil, errors.Is(err, phases.ErrPartial):
		return OutcomeDone
	case errors.Is(err, phases.ErrAfterPONR), errors.Is(err, phases.ErrAbortIncomplete):
		return OutcomeBroken
	case errors.Is(err, coord.ErrLocked), errors.Is(err, journal.ErrBusy), errors.Is(err, phases.ErrUnfinished):
		return OutcomeLost
	case errors.Is(err, phases.ErrMasterAlive):
		return OutcomeAlive
	case errors.Is(err, phases.ErrGuard), errors.Is(err, phases.ErrTopology):
		return OutcomeRefused
	}
	return OutcomeAborted
}

// Backoff is how long the monitor waits before it may start another
// failover after one came to o: an aborted run is not retried in a tight
// loop, a refused or lost one waits for the cluster to settle.
func Backoff(o Outcome, interval time.Duration) time.Duration {
	switch o {
	case OutcomeAborted:
		return 10 * interval
	case OutcomeRefused, OutcomeAlive, OutcomeLost:
		return 3 * interval
	}
	return 0
}
