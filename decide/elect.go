package decide

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// DefaultMaxDelayBytes is MHA's fixed limit for check_repl_delay: a replica
// whose SQL thread is more than this many bytes behind the latest read
// position is not promoted, because applying the backlog would take long.
const DefaultMaxDelayBytes = 100_000_000

// Errors wrapped by Election.Err, for errors.Is.
var (
	// ErrNoNewMaster: every replica is dead or a bad candidate (MHA step 7).
	ErrNoNewMaster = errors.New("none of the replicas can be the new master")
	// ErrNewMasterRejected: the replica forced with --new-master is unknown,
	// dead or a bad candidate.
	ErrNewMasterRejected = errors.New("the forced new master cannot be promoted")
	// ErrBadCandidates: the candidate list itself is unusable (empty, or
	// names missing or repeated).
	ErrBadCandidates = errors.New("invalid candidate list")
)

// Rules are the election settings, MHA's defaults being DefaultRules.
type Rules struct {
	// NewMaster forces this replica (--new-master); "" elects normally.
	NewMaster string
	// LatestPriority prefers replicas that read the most of the master's
	// binlog (latest_priority); without it only config order counts.
	LatestPriority bool
	// CheckReplDelay rejects replicas whose SQL thread lags far behind the
	// latest read position (check_repl_delay).
	CheckReplDelay bool
	// MaxDelayBytes is the lag limit for CheckReplDelay within one binlog
	// file; 0 means DefaultMaxDelayBytes.
	MaxDelayBytes uint64
}

// DefaultRules returns MHA's defaults: latest_priority=1,
// check_repl_delay=1, a 100 MB lag limit, nothing forced.
func DefaultRules() Rules {
	return Rules{LatestPriority: true, CheckReplDelay: true, MaxDelayBytes: DefaultMaxDelayBytes}
}

// Election is the outcome of Elect.
type Election struct {
	// Chosen is the new master's name, "" when Err is set.
	Chosen string
	// Rule is the MHA selection step (1-7, see Elect) that decided.
	Rule int
	// Step describes that rule for the report.
	Step string
	// Latest are the latest replicas, in config order.
	Latest []string
	// Reasons maps every other replica to why it was not chosen.
	Reasons map[string]string
	// Err is set when no replica can be promoted; its message names every
	// replica with its reason.
	Err error
}

// Steps 2-6 of MHA's select_new_master, after the forced choice (step 1).
var selectionSteps = []step{
	{rule: 3, text: "candidate_master among the latest replicas (latest_priority)", latestPriority: true, latestOnly: true, candidatesOnly: true},
	{rule: 4, text: "first candidate_master replica in config order", candidatesOnly: true},
	{rule: 5, text: "first of the latest replicas (latest_priority)", latestPriority: true, latestOnly: true},
	{rule: 6, text: "first replica in config order"},
}

// step is one selection rule: the first alive, not bad replica matching
// the filters wins.
type step struct {
	rule           int
	text           string
	latestPriority bool // skipped when latest_priority is off
	latestOnly     bool
	candidatesOnly bool
}

// Elect chooses the new master with MHA 0.58's rules:
//
//  1. Rules.NewMaster, if set: that replica, unless it is dead or bad.
//  2. With latest_priority, no alive candidate_master and no bad replica:
//     the first latest replica.
//  3. With latest_priority: the first latest candidate_master not bad.
//  4. The first candidate_master (config order) not bad.
//  5. With latest_priority: the first latest replica not bad.
//  6. The first replica (config order) not bad.
//  7. Otherwise Err wraps ErrNoNewMaster.
//
// A replica is bad (never promoted) when it has no_master, log_bin off, a
// major version newer than the oldest alive replica's, LackRelayLogs, or,
// with check_repl_delay, an SQL thread too far behind the latest read
// position (see badReasons).
func Elect(cs []Candidate, r Rules) Election {
	if err := validate(cs); err != nil {
		return Election{Err: err}
	}
	st := newState(cs, r)
	e := st.choose()
	e.Latest = st.latest
	e.Reasons = st.reasons(e)
	return e
}

// validate rejects lists the election cannot key by name.
func validate(cs []Candidate) error {
	if len(cs) == 0 {
		return fmt.Errorf("%w: no replicas", ErrBadCandidates)
	}
	seen := make(map[string]bool, len(cs))
	for _, c := range cs {
		if c.Name == "" || seen[c.Name] {
			return fmt.Errorf("%w: replica name %q is empty or repeated", ErrBadCandidates, c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}

// state is what every selection step looks at.
type state struct {
	rules  Rules
	all    []Candidate // config order
	latest []string
	bad    map[string][]string // alive name -> why it must not be promoted
}

func newState(cs []Candidate, r Rules) *state {
	if r.MaxDelayBytes == 0 {
		r.MaxDelayBytes = DefaultMaxDelayBytes
	}
	st := &state{rules: r, all: inConfigOrder(cs)}
	st.latest, _ = LatestAndOldest(cs)
	st.bad = badCandidates(st.all, st.latest, r)
	return st
}

// choose runs the selection steps in MHA's order.
func (st *state) choose() Election {
	if st.rules.NewMaster != "" {
		return st.forced()
	}
	if len(st.latest) == 0 {
		return Election{Rule: 7, Err: fmt.Errorf("%w: no replica is alive: %s", ErrNoNewMaster, st.describeAll())}
	}
	if st.rules.LatestPriority && len(st.bad) == 0 && !st.anyCandidateMaster() {
		return Election{Chosen: st.latest[0], Rule: 2, Step: "first of the latest replicas (latest_priority, no candidate_master, no bad replica)"}
	}
	for _, s := range selectionSteps {
		if s.latestPriority && !st.rules.LatestPriority {
			continue
		}
		if name, ok := st.first(s); ok {
			return Election{Chosen: name, Rule: s.rule, Step: s.text}
		}
	}
	return Election{Rule: 7, Err: fmt.Errorf("%w: %s", ErrNoNewMaster, st.describeAll())}
}

// forced checks the replica named by --new-master (step 1).
func (st *state) forced() Election {
	name := st.rules.NewMaster
	c, ok := st.find(name)
	var err error
	switch {
	case !ok:
		err = fmt.Errorf("%w: --new-master %s is not a replica in the config", ErrNewMasterRejected, name)
	case !c.Alive:
		err = fmt.Errorf("%w: --new-master %s is not alive", ErrNewMasterRejected, name)
	case len(st.bad[name]) > 0:
		err = fmt.Errorf("%w: --new-master %s: %s", ErrNewMasterRejected, name, strings.Join(st.bad[name], ", "))
	}
	if err != nil {
		return Election{Rule: 1, Err: err}
	}
	return Election{Chosen: name, Rule: 1, Step: "forced by --new-master"}
}

// first returns the first alive, not bad replica in config order that
// matches the step's filters.
func (st *state) first(s step) (string, bool) {
	for _, c := range st.all {
		if c.Alive && len(st.bad[c.Name]) == 0 && st.matches(c, s) {
			return c.Name, true
		}
	}
	return "", false
}

func (st *state) matches(c Candidate, s step) bool {
	return (!s.latestOnly || st.isLatest(c.Name)) && (!s.candidatesOnly || c.CandidateMaster)
}

func (st *state) isLatest(name string) bool { return slices.Contains(st.latest, name) }

func (st *state) anyCandidateMaster() bool {
	return slices.ContainsFunc(st.all, func(c Candidate) bool { return c.Alive && c.CandidateMaster })
}

func (st *state) find(name string) (Candidate, bool) {
	i := slices.IndexFunc(st.all, func(c Candidate) bool { return c.Name == name })
	if i < 0 {
		return Candidate{}, false
	}
	return st.all[i], true
}
